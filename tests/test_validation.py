"""One malformed scenario per kind of error (tests/fixtures/bad/), each with a test of its message:
one line that names the file, the key path and the reason (with a suggestion where a key is misspelt)."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

import sim
from sim.config import check_param_path

BAD = FIXTURES / "bad"

# fixture file -> (key path named in the message, words of the reason)
CASES = {
    "unknown-key.toml": ("controls.enforcment", ["unknown key", "did you mean 'enforcement'"]),
    "wrong-type.toml": ("controls.enforcement", ["'high'", "valid number"]),
    "out-of-range.toml": ("controls.enforcement", ["1.5", "less than or equal to 1"]),
    "origin-shares.toml": ("labs.deepseek", ["origin_mix", "sum to 0.7", "not 1"]),
    "undefined-nation.toml": ("labs.sakana.nation", ["'japan' is not defined", "usa"]),
    "event-year.toml": ("events[2].year", ["2060", "outside the horizon 2025-2045"]),
    "event-path.toml": (
        "events[2].set.controls.enforcment",
        ["unknown parameter", "did you mean 'enforcement'"],
    ),
    "cycle-a.toml": ("extends", ["cycle", "cycle-a -> cycle-b -> cycle-a"]),
    "unknown-parent.toml": ("extends", ["baselin", "no such scenario", "did you mean 'baseline'"]),
    "malformed.toml": ("line 4", ["not valid TOML"]),
    "format-version.toml": ("format_version", ["3 is not supported", "reads 2"]),
    "format-version-1.toml": ("format_version", ["1 is not supported", "renamed", "CHANGELOG"]),
}


def problems(name: str) -> list[str]:
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(BAD / name)
    return info.value.problems


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_scenario_gives_one_clear_line(name):
    key, reasons = CASES[name]
    lines = problems(name)
    assert len(lines) == 1, lines
    line = lines[0]
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(str(BAD / name)), line  # names the file
    assert key in line, line  # names the key path
    for word in reasons:
        assert word in line, line  # gives the reason


def test_every_fixture_has_a_case():
    shipped = {p.name for p in BAD.glob("*.toml")} - {
        "cycle-b.toml"
    }  # cycle-b is cycle-a's partner
    assert shipped == set(CASES)


def test_problems_in_a_parent_are_blamed_on_the_child_that_set_them():
    line = problems("origin-shares.toml")[0]
    assert "baseline.toml" not in line


def test_overrides_are_blamed_on_set():
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario("baseline", {"controls.enforcement": "2"})
    (line,) = info.value.problems
    assert line.startswith("--set: controls.enforcement:")


def test_unknown_scenario_name_suggests_the_nearest():
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario("stargat")
    assert "did you mean 'stargate'" in info.value.problems[0]


def test_missing_file():
    with pytest.raises(sim.ScenarioError, match="file not found"):
        sim.load_scenario(BAD / "no-such-file.toml")


def test_several_problems_give_several_lines(tmp_path):
    f = tmp_path / "two.toml"
    f.write_text(
        'extends = "baseline"\ntitle = "t"\n[controls]\nenforcement = 3\nsme_controls = -1\n'
    )
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(f)
    assert len(info.value.problems) == 2
    assert all(line.startswith(str(f.resolve())) for line in info.value.problems)


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("controls.enforcement", 0.9, None),
        ("labs.deepseek.open_weights", True, None),
        ("vendors.huawei.domestic.yield_rate", 0.6, None),
        ("controls.licence.fee_share", 0.15, None),
        ("wrld.diffusion", 0.5, "did you mean 'world'"),
        ("labs.deepsek.open_weights", True, "did you mean 'deepseek'"),
        ("controls.enforcement", 2.0, "out of range"),
        ("controls.enforcement", "lots", "valid number"),
        ("nations.china.tier", "friendly", "Input should be"),
    ],
)
def test_check_param_path(path, value, reason):
    err = check_param_path(sim.load_scenario("baseline"), path, value)
    if reason is None:
        assert err is None
    else:
        assert err is not None and reason in err


def test_binary_file_is_named_not_a_traceback(tmp_path):
    bad = tmp_path / "binary.toml"
    bad.write_bytes(b"\xff\xfe\x00title = 1")
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(bad)
    assert info.value.problems == [f"{bad}: not a text file (not valid UTF-8)"]


def test_table_created_by_an_override_is_blamed_on_the_override():
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario("baseline", overrides={"nations.mars.gdp_usd": 1e12})
    assert any(line.startswith("--set: nations.mars") for line in info.value.problems)
    assert not any("baseline.toml" in line for line in info.value.problems)


def test_horizon_override_keeps_earlier_rules_and_drops_later_events():
    scen = sim.load_scenario(
        "baseline", overrides={"horizon.start_year": 2030, "horizon.end_year": 2040}
    )
    assert scen.events and all(
        ev.year == 2030 for ev in scen.events
    )  # 2026 rules in force from 2030
    short = sim.load_scenario("baseline", overrides={"horizon.end_year": 2025})
    assert all(ev.year <= 2025 for ev in short.events)


def test_one_override_path_for_a_loaded_scenario_and_a_name():
    """Overrides on a Scenario object go through the loader's path (horizon fitting included)."""
    from sim.model.model import ComputeRaceModel

    by_object = ComputeRaceModel(sim.load_scenario("baseline"), **{"horizon.start_year": 2030})
    by_name = ComputeRaceModel("baseline", **{"horizon.start_year": 2030})
    assert by_object.scenario == by_name.scenario
    assert by_object.start_year == 2030
    assert all(ev.year >= 2030 for ev in by_object.events)


def test_override_into_a_scalar_is_a_clear_error():
    with pytest.raises(sim.ScenarioError, match=r"--set: controls\.enforcement"):
        sim.load_scenario("baseline", overrides={"controls.enforcement.x": 1})


# --- issue 12: the reproducers, one named fixture each (tests/fixtures/issue12/) --------------

ISSUE12 = FIXTURES / "issue12"
ISSUE12_CASES = {
    # cross-references checked again after events apply
    "event-lab-nation-mars.toml": ("events[2].set", ["2028", "labs.deepseek.nation", "'mars'"]),
    "event-controller-mars.toml": ("events[2].set", ["controls.controller", "'mars'"]),
    "event-rival-mars.toml": ("events[3].set", ["nations.usa.reactions[0].rival", "'mars'"]),
    "event-exclusive-skynet.toml": ("events[2].set", ["exclusive_buyers", "lab 'skynet'"]),
    "event-origin-mix.toml": ("events[2].set", ["labs.deepseek", "sum to 3, not 1"]),
    "event-min-above-max.toml": ("events[2].set", ["efficiency_share_min exceeds"]),
    # finite numbers only, strict types, finite extremes bounded
    "inf-compute.toml": ("labs.deepseek.compute_h100e", ["inf", "finite"]),
    "nan-origin-mix.toml": ("labs.deepseek.origin_mix.legal", ["nan", "finite"]),
    "bool-as-number.toml": ("labs.deepseek.efficiency", ["True", "not true/false"]),
    "tiny-price.toml": ("vendors.nvidia.price_usd", ["1e-300", "greater than or equal to 1"]),
    "tiny-threshold.toml": ("controls.tpp_threshold", ["1e-320", "greater than or equal to 1"]),
    "huge-perf.toml": ("vendors.huawei.perf_h100e", ["1e+300", "less than or equal to 1000"]),
    # poor messages
    "no-title.toml": ("title", ["required key is missing"]),
    "empty-extends.toml": ("extends", ["empty", "scenario id"]),
    "id-abs-path.toml": ("id", ["'/abs/path' is not an id"]),
}


@pytest.mark.parametrize("name", sorted(ISSUE12_CASES))
def test_issue12_scenario_gives_one_clear_line_naming_the_file(name):
    key, reasons = ISSUE12_CASES[name]
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(ISSUE12 / name)
    (line,) = info.value.problems
    assert line.startswith(str((ISSUE12 / name).resolve())), line  # the child, never the parent
    assert "baseline.toml" not in line and "http" not in line, line
    assert key in line, line
    for word in reasons:
        assert word in line, line


def test_every_issue12_scenario_fixture_has_a_case():
    assert {p.name for p in ISSUE12.glob("*.toml")} - {"bom.toml"} == set(ISSUE12_CASES)


def test_a_utf8_bom_is_read_as_text():
    assert sim.load_scenario(ISSUE12 / "bom.toml").title == "A file saved with a UTF-8 BOM"


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("world.h100e_flops", "1e400", ["inf", "finite"]),
        ("world.h100e_flops", "nan", ["nan", "finite"]),
        ("labs.deepseek.efficiency", "true", ["not true/false"]),
        ("controls.enforcement.x", "1", ["'controls.enforcement' is a value"]),
        ("events.0.year", "2030", ["'events' is a list", "scenario file"]),
        ("id", '"../../../escaped"', ["is not an id"]),
        ("controls..enforcement", "1", ["empty part"]),
        ("x" * 600, "1", ["too long"]),
        (
            "world.diffusion",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
            ["invalid"],
        ),
    ],
)
def test_bad_set_values_are_one_line_on_set(key, value, words):
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario("baseline", {key: value})
    assert len(info.value.problems) == 1, info.value.problems
    line = info.value.problems[0]
    assert line.startswith("--set: "), line
    for word in words:
        assert word in line, line


def test_extends_chain_is_bounded(tmp_path):
    from sim.config.inputs import MAX_EXTENDS

    (tmp_path / "s0.toml").write_text('extends = "baseline"\ntitle = "0"\n')
    for i in range(1, MAX_EXTENDS + 5):
        (tmp_path / f"s{i}.toml").write_text(f'extends = "s{i - 1}"\ntitle = "{i}"\n')
    sim.load_scenario(tmp_path / "s5.toml")  # a short chain is fine
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario(tmp_path / f"s{MAX_EXTENDS + 4}.toml")
    (line,) = info.value.problems
    assert f"more than {MAX_EXTENDS} files" in line


def test_size_and_device_files_are_refused_without_reading_them_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("SPUTNIK_MAX_FILE_BYTES", "1000")
    big = tmp_path / "big.toml"
    big.write_text('title = "x"\n' + "# pad\n" * 400)
    with pytest.raises(sim.ScenarioError, match="larger than the 1,000-byte limit"):
        sim.load_scenario(big)
    with pytest.raises(sim.ScenarioError, match="larger than the 1,000-byte limit"):
        sim.load_scenario("/dev/zero")


def test_names_too_long_and_deep_nesting_are_one_line(tmp_path):
    with pytest.raises(sim.ScenarioError) as info:
        sim.load_scenario("n" * 5000)
    assert len(info.value.problems) == 1 and len(info.value.problems[0]) < 400
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 2000 + "]" * 2000 + "\n")
    with pytest.raises(sim.ScenarioError, match="nested more than"):
        sim.load_scenario(deep)


def test_ids_from_file_names_become_slugs(tmp_path):
    f = tmp_path / "My scenario (v2).toml"
    f.write_text('extends = "baseline"\ntitle = "t"\n')
    assert sim.load_scenario(f).id == "My-scenario-v2"


def test_event_checks_are_silent_for_valid_events():
    """Every shipped scenario (events included) passes the after-events check."""
    for info in sim.list_scenarios():
        sim.load_scenario(info.id)


def test_extends_chain_lists_each_file_with_its_own_table_root_first(tmp_path):
    from sim.config.loader import extends_chain, merged_raw, resolve_path

    (tmp_path / "mid.toml").write_text(
        'extends = "baseline"\ntitle = "m"\n[controls]\nenforcement = 0.2\n'
    )
    (tmp_path / "leaf.toml").write_text(
        'extends = "mid"\ntitle = "l"\n[labs.deepseek]\norigin_mix = { legal = 1.0 }\n'
    )
    chain = extends_chain(tmp_path / "leaf.toml")
    assert [p.stem for p, _ in chain] == ["baseline", "mid", "leaf"]
    assert chain[0][0] == resolve_path("baseline").resolve()
    assert chain[1][1] == {"extends": "baseline", "title": "m", "controls": {"enforcement": 0.2}}
    merged = merged_raw(tmp_path / "leaf.toml")
    assert merged["title"] == "l" and merged["extends"] == "mid"
    assert merged["controls"]["enforcement"] == 0.2
    assert merged["labs"]["deepseek"]["origin_mix"] == {"legal": 1.0}  # replaced whole
    assert merged["labs"]["deepseek"]["nation"] == chain[0][1]["labs"]["deepseek"]["nation"]
    scen = sim.load_scenario(tmp_path / "leaf.toml")
    assert scen.controls.enforcement == 0.2 and scen.labs["deepseek"].origin_mix == {"legal": 1.0}


def test_extends_chain_reports_a_cycle_as_the_loader_does():
    from sim.config.loader import extends_chain

    with pytest.raises(sim.ScenarioError) as info:
        extends_chain(FIXTURES / "bad" / "cycle-a.toml")
    assert "cycle-a -> cycle-b -> cycle-a" in info.value.problems[0]
