"""The crux table in docs/model.md still tells the truth: each crux moves the effect of the controls
the way the table says (recomputed on the model as it is now)."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.calibration.crux import CRUXES, control_effect, parse_table
from sim.config.paths import get_path

DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"
SEEDS = range(8)
BIG = ("world.diffusion", "controls.api_block", "labs.meta.open_weights")


def test_every_crux_is_in_the_table() -> None:
    _, rows = parse_table(DOC.read_text(encoding="utf-8"))
    assert set(rows) == {c.path for c in CRUXES}


@pytest.mark.parametrize("path", BIG)
def test_the_big_cruxes_move_the_effect_of_controls_as_documented(path: str) -> None:
    default_doc, rows = parse_table(DOC.read_text(encoding="utf-8"))
    crux = next(c for c in CRUXES if c.path == path)
    low_doc, high_doc = rows[path]
    default = control_effect(seeds=SEEDS)
    assert abs(default - default_doc) <= 1.0, (
        "regenerate the crux table: python -m sim.calibration.crux --write docs/model.md"
    )
    baseline = get_path(sim.load_scenario("baseline").model_dump(), path)
    for value, doc in ((crux.low, low_doc), (crux.high, high_doc)):
        if value == baseline:  # the default end of a switch: the default effect itself
            continue
        now = control_effect(assumptions={path: value}, seeds=SEEDS)
        assert (now - default) * (doc - default_doc) > 0, (
            f"{path}={value}: the table says {doc:+.1f} vs {default_doc:+.1f} by default, "
            f"the model now gives {now:+.1f} vs {default:+.1f}"
        )
