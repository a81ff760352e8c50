"""Fuzz suite: every input kind a user gives, mutated, must keep the contract.

Contract (``docs/cli.md``): exit 0 with finite, invariant-respecting tables, or exit 2 with one
clean line per problem; never exit 1, never a traceback, never a file outside ``--out``, never a
lost round. Kinds: scenario files, ``--set``, sweep specs, move scripts, decks, role files and
save files. CLI calls run in-process (``sim.cli.main``) so a case costs milliseconds.

In ``make test`` each kind runs 80 derandomized cases (about 40 s in all);
``make fuzz`` sets ``SPUTNIK_FUZZ=1`` for a long random campaign (``SPUTNIK_FUZZ_EXAMPLES`` per
kind, default 1,500: over 10,000 cases) and writes its tally to ``.hypothesis/fuzz-stats.json``.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sqlite3
import tempfile
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from fuzzing import call, check_contract, check_tables, dumps, files_under, toml_value
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sim
from sim.config.paths import set_path

LONG = bool(os.environ.get("SPUTNIK_FUZZ"))
EXAMPLES = int(os.environ.get("SPUTNIK_FUZZ_EXAMPLES", "1500" if LONG else "0") or 0)
FUZZ = settings(
    max_examples=EXAMPLES or 80,
    deadline=None,
    derandomize=not LONG,  # CI: the same cases every run
    database=None,
    suppress_health_check=list(HealthCheck),
)
STATS: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _tally():
    yield
    if LONG:
        path = Path(".hypothesis") / "fuzz-stats.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(dict(sorted(STATS.items())), indent=2) + "\n")


def record(kind: str, verdict: str) -> None:
    STATS[f"{kind}:{verdict}"] += 1
    STATS[f"{kind}:cases"] += 1


# --- value strategies --------------------------------------------------------------------------

EXTREMES = [0, 1, -1, 0.5, 2, 2030, 1e-300, 5e-324, 1e-320, 1e300, 1.7e308, 1e12, -1e9, 0.999999]
values = st.one_of(
    st.sampled_from(EXTREMES),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["usa", "china", "mars", "deepseek", "skynet", "", "../x", "/abs"]),
    st.lists(st.sampled_from([1, 0.5, "a", True, "deepseek"]), max_size=3),
    st.dictionaries(st.sampled_from(["legal", "smuggled", "x"]), st.floats(-1, 4), max_size=2),
)


@lru_cache(maxsize=1)
def leaf_paths() -> tuple[str, ...]:
    """Every leaf key path of the resolved baseline (the places a file or --set can touch)."""
    data = sim.load_scenario("baseline").model_dump(mode="json")
    data.pop("events")
    out: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        for k, v in node.items():
            if isinstance(v, dict) and v and k != "origin_mix":
                walk(v, f"{prefix}{k}.")
            else:
                out.append(f"{prefix}{k}")

    walk(data, "")
    return tuple(out)


@lru_cache(maxsize=1)
def numeric_fields() -> tuple[tuple[str, float, float, bool], ...]:
    """(path, low, high, is_int) of every bounded-or-not numeric leaf of the baseline."""
    from sim.config.paths import resolve_field

    base = sim.load_scenario("baseline")
    out = []
    for path in leaf_paths():
        field, _ = resolve_field(base, path)
        if field is None or field.annotation not in (float, int):
            continue
        lo, hi = -1e308, 1e308
        for m in field.metadata:
            lo = max(lo, float(getattr(m, "ge", None) or getattr(m, "gt", None) or lo))
            hi = min(hi, float(getattr(m, "le", None) or getattr(m, "lt", None) or hi))
        out.append((path, lo, hi, field.annotation is int))
    return tuple(out)


@st.composite
def valid_extreme(draw: Any) -> tuple[str, Any]:
    """A numeric parameter set to a value its schema accepts, biased to the bounds: the values
    most likely to break the model's arithmetic while passing validation."""
    path, lo, hi, is_int = draw(st.sampled_from(numeric_fields()))
    lo = max(lo, -1e12) if lo < -1e300 else lo
    hi = min(hi, 1e15) if hi > 1e300 else hi
    kind = draw(st.sampled_from(["lo", "hi", "near-lo", "uniform", "log"]))
    if kind == "lo":
        v = lo if lo > -1e12 else 0.0
    elif kind == "hi":
        v = hi
    elif kind == "near-lo":
        v = lo + (hi - lo) * 1e-9
    elif kind == "log" and lo > 0:
        v = float(10 ** draw(st.floats(math.log10(lo), math.log10(hi))))
    else:
        v = draw(st.floats(lo, hi))
    v = min(max(v, lo), hi)
    if is_int:
        v = int(math.ceil(v)) if v < hi else int(v)
    return path, v


paths = st.one_of(
    st.sampled_from(leaf_paths()),
    st.sampled_from(["world.nope", "labs.mars.name", "controls.enforcement.x", "id", "horizon"]),
)


def workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="sputnik-fuzz-")


def run_and_check(kind: str, argv: list[str], root: Path, out: Path | None) -> str:
    """Call the CLI, check the contract, the tables and that nothing escaped ``root``/``out``."""
    before = files_under(root)
    res = call(argv)
    verdict = check_contract(res, argv)
    new = files_under(root) - before
    if out is not None:
        outside = {p for p in new if out not in p.parents}
        assert not outside, (argv, sorted(map(str, outside))[:5])
        if verdict == "ok" and (out / "nations.csv").exists():
            check_tables(out)
    else:
        assert not new, (argv, sorted(map(str, new))[:5])
    record(kind, verdict)
    return verdict


# --- scenario files -----------------------------------------------------------------------------

events = st.fixed_dictionaries(
    {
        "year": st.one_of(st.integers(2024, 2031), st.sampled_from([1899, 10**6])),
        "title": st.text(max_size=10),
        "set": st.dictionaries(paths, values, min_size=1, max_size=2),
    }
)


@FUZZ
@given(
    sets=st.lists(st.tuples(paths, values), max_size=3),
    good=st.lists(valid_extreme(), max_size=6),
    evs=st.lists(events, max_size=2),
    drop_title=st.booleans(),
    only_valid=st.booleans(),
)
def test_fuzz_scenario_files(sets, good, evs, drop_title, only_valid):
    if only_valid:  # half the cases: accepted values only, so the run itself is exercised
        sets, evs, drop_title = [], [], False
    with workdir() as d:
        root = Path(d)
        doc: dict[str, Any] = {"extends": "baseline", "title": "fuzz"}
        for path, value in [*good, *sets]:
            set_path(doc, path, value)
        if drop_title:
            doc.pop("title", None)
        if evs:
            doc["events"] = evs
        f = root / "fuzz.toml"
        f.write_text(dumps(doc))
        out = root / "out"
        argv = ["run", str(f), "--years", "2025:2029", "--no-charts", "--out", str(out)]
        run_and_check("scenario", argv, root, out)


# --- --set ----------------------------------------------------------------------------------------


@FUZZ
@given(
    items=st.lists(
        st.one_of(
            st.tuples(paths, st.one_of(values.map(toml_value), st.text(max_size=15))),
            valid_extreme().map(lambda pv: (pv[0], toml_value(pv[1]))),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_fuzz_set_overrides(items):
    with workdir() as d:
        root = Path(d)
        out = root / "out"
        argv = ["run", "baseline", "--years", "2025:2028", "--no-charts", "--out", str(out)]
        for path, text in items:
            argv += ["--set", f"{path}={text}"]
        run_and_check("set", argv, root, out)


# --- sweep specs ----------------------------------------------------------------------------------

SWEEP = {
    "title": "fuzz",
    "base": "baseline",
    "seed": 1,
    "replications": 1,
    "chunk_size": 2,
    "outcomes": ["lag_months:china:2027", "sputnik_year"],
    "overrides": {"horizon.end_year": 2027},
    "sampler": {"method": "lhs", "n": 2},
    "uncertainties": {"controls.sme_effect": {"low": 0.3, "high": 0.9}},
    "levers": {"controls.enforcement": [0.2, 0.9]},
}
SWEEP_KEYS = [
    "seed",
    "replications",
    "chunk_size",
    "outcomes",
    "base",
    "sampler.method",
    "sampler.n",
    "sampler.levels",
    "uncertainties.controls.sme_effect.low",
    "uncertainties.controls.sme_effect.high",
    "uncertainties.controls.sme_effect.dist",
    "levers.controls.enforcement",
    "overrides.horizon.end_year",
    "keep_yearly",
    "nonsense",
]


@FUZZ
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(SWEEP_KEYS), st.one_of(values, st.sampled_from(leaf_paths()))),
        max_size=3,
    ),
    lever=st.one_of(st.none(), st.tuples(st.sampled_from(leaf_paths()), values)),
    really=st.integers(0, 5),
)
def test_fuzz_sweep_specs(changes, lever, really):
    with workdir() as d:
        root = Path(d)
        spec = json.loads(json.dumps(SWEEP))
        for key, value in changes:
            if key.startswith(("uncertainties.", "levers.")):
                head, rest = key.split(".", 1)
                param, _, field = (
                    rest.rpartition(".") if head == "uncertainties" else (rest, "", "")
                )
                if field:
                    spec[head].setdefault(param, {})[field] = value
                else:
                    spec[head][param] = value
            else:
                set_path(spec, key, value)
        if lever:
            spec["levers"][lever[0]] = [lever[1]]
        f = root / "spec.toml"
        f.write_text(dumps({k: v for k, v in spec.items() if not isinstance(v, dict)}))
        with f.open("a") as fh:  # tables keep dotted parameter paths as quoted keys
            for table in ("overrides", "sampler", "uncertainties", "levers"):
                if isinstance(spec.get(table), dict):
                    fh.write(f"[{table}]\n")
                    for k, v in spec[table].items():
                        fh.write(f'"{k}" = {toml_value(v)}\n')
        out = root / "out"
        argv = ["sweep", str(f), "--out", str(out), "--quiet"]
        argv += ["--workers", "1", "--allow-failures"] if really == 0 else ["--dry-run"]
        verdict = run_and_check("sweep", argv, root, out)
        if verdict == "ok" and really == 0:
            import pandas as pd

            df = pd.read_parquet(out / "outcomes.parquet")
            assert (df["status"] == "ok").all(), df["error"].dropna().tolist()[:3]


# --- move scripts ---------------------------------------------------------------------------------

roles = st.sampled_from(["usa", "china", "deepseek-like", "deepseek", "mars", "eu"])
levers = st.sampled_from(
    [
        "enforcement",
        "subsidy_usd",
        "efficiency_share",
        "tpp_threshold",
        "cloud_loophole_open",
        "nope",
    ]
)
moves = st.dictionaries(levers, values, max_size=2)
rounds = st.dictionaries(
    st.sampled_from(["1", "2", "3", "0", "x"]),
    st.one_of(
        st.dictionaries(roles, moves, max_size=2),
        st.fixed_dictionaries(
            {"cards": st.lists(st.sampled_from(["taiwan-crisis", "nope"]), max_size=2)}
        ),
        st.fixed_dictionaries(
            {
                "override": st.dictionaries(
                    roles, moves.map(lambda m: {**m, "reason": "r"}), max_size=1
                )
            }
        ),
        values,
    ),
    max_size=3,
)


@FUZZ
@given(rnds=rounds, seed=st.one_of(st.none(), values), play=st.integers(0, 5))
def test_fuzz_move_scripts(rnds, seed, play):
    with workdir() as d:
        root = Path(d)
        doc: dict[str, Any] = {"scenario": "baseline"}
        if seed is not None:
            doc["seed"] = seed
        lines = [dumps(doc).strip()]
        for n, table in rnds.items():
            if isinstance(table, dict):
                lines.append(f"[round.{toml_value(n) if not n.isdigit() else n}]")
                lines += [f"{toml_value(k)} = {toml_value(v)}" for k, v in table.items()]
            else:
                lines.append(f"round.{n} = {toml_value(table)}")
        f = root / "moves.toml"
        f.write_text("\n".join(lines) + "\n")
        if play == 0:
            argv = ["play", "baseline", "--script", str(f), "--rounds", "2"]
        else:
            argv = ["validate", str(f)]
        run_and_check("script", argv, root, None)


# --- decks and role files -------------------------------------------------------------------------

cards = st.fixed_dictionaries(
    {
        "id": st.one_of(st.sampled_from(["c1", "c2", "taiwan-crisis"]), st.text(max_size=6)),
        "title": st.one_of(st.just("t"), values),
        "trigger": st.one_of(
            st.just("manual"),
            st.integers(2020, 2030),
            st.sampled_from(["lag_months.china < 6", "year >= 2026 and", "nope > 1"]),
            values,
        ),
        "set": st.dictionaries(paths, values, max_size=2),
    },
    optional={"duration_years": values, "at_least": st.dictionaries(paths, values, max_size=1)},
)


@FUZZ
@given(deck=st.lists(cards, max_size=3))
def test_fuzz_decks(deck):
    with workdir() as d:
        root = Path(d)
        f = root / "deck.toml"
        f.write_text(dumps({"cards": deck}) if deck else "cards = []\n")
        argv = ["play", "baseline", "--bots", "--rounds", "1", "--deck", str(f)]
        run_and_check("deck", argv, root, None)


role_tables = st.fixed_dictionaries(
    {},
    optional={
        "brief": values,
        "bot": st.sampled_from(["hawkish", "sleepy", "adaptive"]),
        "headline": st.sampled_from(["lag_months.china", "nope"]),
        "score": st.lists(
            st.fixed_dictionaries(
                {
                    "metric": st.sampled_from(["lag_months.china", "compute_share.usa", "x"]),
                    "goal": st.sampled_from([">= 12", "<= 3", "== 1", ">= nan", ">= 1e999"]),
                    "weight": values,
                }
            ),
            max_size=2,
        ),
        "levers": st.dictionaries(
            levers,
            st.one_of(st.just(False), st.fixed_dictionaries({"lo": values, "hi": values})),
            max_size=1,
        ),
    },
)


@FUZZ
@given(tables=st.dictionaries(roles, role_tables, max_size=2))
def test_fuzz_role_files(tables):
    with workdir() as d:
        root = Path(d)
        f = root / "roles.toml"
        text = "".join(
            f"[roles.{toml_value(r)}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in t.items())
            for r, t in tables.items()
        )
        f.write_text(text)
        argv = ["play", "baseline", "--bots", "--rounds", "1", "--role-file", str(f)]
        run_and_check("roles", argv, root, None)


# --- save files -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def pristine_save() -> bytes:
    """A save with three bot rounds."""
    with workdir() as d:
        db = Path(d) / "g.db"
        res = call(["play", "baseline", "--bots", "--rounds", "3", "--save", str(db)])
        assert res.code == 0, res.err
        return db.read_bytes()


def _damage(db: Path, how: str, rng: random.Random) -> None:
    data = bytearray(db.read_bytes())
    if how == "flip":
        for _ in range(rng.randint(1, 20)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        db.write_bytes(bytes(data))
    elif how == "truncate":
        db.write_bytes(bytes(data[: rng.randrange(len(data))]))
    elif how == "zero-page":
        page = rng.randrange(len(data) // 4096) * 4096
        data[page : page + 4096] = bytes(4096)
        db.write_bytes(bytes(data))
    else:
        sql = {
            "delete-round": "DELETE FROM rounds WHERE round = 2",
            "edit-record": "UPDATE rounds SET record = replace(record, '1', '2') WHERE round = 1",
            "drop-meta": "DROP TABLE meta",
            "bad-format": "UPDATE meta SET value = '9' WHERE key = 'format'",
            "null-checksum": "UPDATE rounds SET checksum = NULL",
        }[how]
        conn = sqlite3.connect(db)
        with conn:
            conn.execute(sql)
        conn.close()


@FUZZ
@given(
    how=st.sampled_from(
        [
            "flip",
            "truncate",
            "zero-page",
            "delete-round",
            "edit-record",
            "drop-meta",
            "bad-format",
            "null-checksum",
        ]
    ),
    seed=st.integers(0, 2**32 - 1),
)
@example(how="flip", seed=241014)  # found by make fuzz: a flipped bit made a text value non-UTF-8
def test_fuzz_save_files(how, seed):
    with workdir() as d:
        root = Path(d)
        db = root / "g.db"
        db.write_bytes(pristine_save())
        _damage(db, how, random.Random(seed))
        argv = ["play", "--resume", str(db), "--bots", "--rounds", "4"]
        res = call(argv)
        verdict = check_contract(res, argv)
        if verdict == "ok":  # an undamaged-looking save must still hold its three rounds
            assert "Resumed after round 3" in res.out, (how, res.out[:300])
        record("save", verdict)
        shutil.rmtree(root, ignore_errors=True)
