"""Regenerate the golden numbers of the regression test (Covasim-style baseline).

Run this on purpose, after a change that is meant to alter model results, and add a ``[results]``
line to ``CHANGELOG.md`` saying what changed and why::

    .venv/bin/python tests/update_golden.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent / "golden" / "baseline_seed0.json"
SCENARIO, SEED = "baseline", 0


def key_numbers(result: Any) -> dict[str, float | int | str | None]:
    """A few headline numbers of a run: capability, lag, shares, compute, money."""
    n = result.nations.set_index(["year", "nation"])
    y = result.years.set_index("year")
    out: dict[str, float | int | str | None] = {}
    for year in (2025, 2030, 2045):
        out[f"frontier_oom_{year}"] = float(y.frontier_oom.loc[year])
        out[f"frontier_lab_{year}"] = str(y.frontier_lab.loc[year])
        out[f"world_compute_h100e_{year}"] = float(y.world_compute_h100e.loc[year])
        for nation in ("usa", "china"):
            out[f"{nation}_lag_months_{year}"] = float(n.lag_months.loc[(year, nation)])
            out[f"{nation}_compute_share_{year}"] = float(n.compute_share.loc[(year, nation)])
        out[f"china_domestic_chip_share_{year}"] = float(n.domestic_chip_share.loc[(year, "china")])
        out[f"china_smuggled_share_{year}"] = float(n.smuggled_share.loc[(year, "china")])
        out[f"china_efficiency_spend_share_{year}"] = float(
            n.efficiency_spend_share.loc[(year, "china")]
        )
    out["licence_fees_usd_total"] = float(y.licence_fees_usd.sum())
    out["sputnik_year"] = result.manifest["sputnik_moment"]["year"]
    return out


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import sim

    numbers = key_numbers(sim.run(SCENARIO, seed=SEED))
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(numbers, indent=2, sort_keys=True) + "\n")
    print(f"wrote {len(numbers)} numbers to {GOLDEN}")
    SAVED_GAME.parent.mkdir(parents=True, exist_ok=True)
    SAVED_GAME.write_text(json.dumps(saved_game(), indent=1) + "\n")
    print(f"wrote a saved game to {SAVED_GAME}")
    return 0


SAVED_GAME = Path(__file__).resolve().parent / "fixtures" / "saves" / "game.json"


def saved_game() -> dict[str, Any]:
    """A five-round game as the store saves it (setup and rounds with their fingerprints): the
    replay test checks that a saved game replays exactly. Results changed on purpose change the
    fingerprints, so the file is rewritten with the golden numbers."""
    import sim
    from sim.game.cards import read_deck
    from sim.game.engine import Game, GameSetup
    from sim.game.roles import read_role_file

    setup = GameSetup(
        sim.load_scenario(SCENARIO).model_dump(mode="json"),
        SCENARIO,
        seed=2,
        max_rounds=5,
        deck=read_deck(),
        role_file=read_role_file(),
        humans=["usa"],
        bots={"china": "adaptive"},
    )
    game = Game(setup)
    for v in (0.6, 0.7, 0.8, 0.9, 1.0):
        game.submit("usa", {"enforcement": v, "cloud_loophole_open": v < 0.8})
        game.predict("usa", "lag_months:china", 10)
        game.resolve()
    return {
        "note": "A saved game (tests/update_golden.py writes it): replays must match its fingerprints.",
        "setup": game.setup.to_dict(),
        "rounds": game.inputs(),
    }


if __name__ == "__main__":
    raise SystemExit(main())
