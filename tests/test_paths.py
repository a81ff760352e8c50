"""Dotted parameter paths (:mod:`sim.config.paths`): walking nested tables, and "did you mean"."""

from __future__ import annotations

import pytest

import sim
from sim.config.paths import did_you_mean, get_path, set_path, unset_table

DATA = {"a": {"b": {"c": 1, "n": None}, "opt": None, "x": 3}, "top": 0}


def test_get_path_reads_nested_tables_and_raises_or_defaults_when_absent():
    assert get_path(DATA, "a.b.c") == 1
    assert get_path(DATA, "top") == 0
    assert get_path(DATA, "a.b") == {"c": 1, "n": None}
    assert get_path(DATA, "a.b.n", "default") is None  # present but None is a value
    for absent in ("a.b.z", "a.x.y", "a.opt.y", "nope", "a.b.c.d"):
        assert get_path(DATA, absent, None) is None
        with pytest.raises(KeyError):
            get_path(DATA, absent)


def test_unset_table_names_the_first_none_table_on_the_way():
    assert unset_table(DATA, "a.opt.y") == "opt"
    assert unset_table(DATA, "a.opt.y.z") == "opt"
    assert unset_table(DATA, "a.b.n") is None  # the last part (the parameter) is not a table
    assert unset_table(DATA, "a.b.c") is None
    assert unset_table(DATA, "missing.opt.y") is None  # the path leaves the tables first
    assert unset_table(DATA, "top") is None


def test_unset_table_finds_an_optional_section_of_a_scenario():
    dump = sim.load_scenario("baseline").model_dump()
    unset = [nid for nid, n in dump["nations"].items() if n.get("programme") is None]
    assert unset, "baseline has a nation without a programme"
    assert unset_table(dump, f"nations.{unset[0]}.programme.total_usd") == "programme"
    assert unset_table(dump, "controls.enforcement") is None


def test_set_path_creates_tables_and_get_path_reads_them_back():
    d: dict = {"a": {"x": 1}}
    set_path(d, "a.b.c", 2)
    set_path(d, "a.x.y", 3)  # a value on the way becomes a table
    assert get_path(d, "a.b.c") == 2 and get_path(d, "a.x.y") == 3


def test_did_you_mean_does_not_depend_on_the_order_of_the_choices():
    words = ["controller", "control", "contro", "enforcement"]
    assert did_you_mean("contrl", words) == did_you_mean("contrl", reversed(words))
    assert did_you_mean("contrl", words) == " (did you mean 'control'?)"
    assert did_you_mean("zzz", words) == ""
    assert did_you_mean("zzz", ["b", "a"], fallback="known") == " (known: a, b)"
