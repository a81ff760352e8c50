"""Game round latency: median time from the last move submitted to results ready (target < 100 ms).

"Results ready" = bots have moved, the round is applied and stepped, saved to SQLite, and the
results table a room sees is built. Also reports resume (replay) and report-turning-point cost.
Run: ``python benchmarks/bench_game.py`` (part of ``make bench``).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import sim
from sim.game.cards import read_deck
from sim.game.engine import Game, GameSetup
from sim.game.roles import read_role_file
from sim.game.store import Store

TARGET_MS = 100.0


def setup(scenario: str, years_per_round: int = 1) -> GameSetup:
    """Two people (usa, deepseek) and active bots for China and two labs."""
    scen = sim.load_scenario(scenario)
    return GameSetup(
        scen.model_dump(mode="json"),
        scenario,
        seed=0,
        years_per_round=years_per_round,
        humans=["usa", "deepseek"],
        bots={"china": "adaptive", "stargate": "scale-first", "alibaba": "adaptive"},
        deck=read_deck(),
        role_file=read_role_file(),
    )


def play(scenario: str, years_per_round: int, db: Path) -> tuple[list[float], Game]:
    """Play a whole game; return per-round latency in ms (submit of last move -> results)."""
    s = setup(scenario, years_per_round)
    game = Game(s)
    game.store = Store.create(db, s)
    lat = []
    r = 0
    while not game.over:
        game.submit("usa", {"enforcement": 0.5 + 0.4 * (r % 2)})
        game.submit("deepseek", {"efficiency_share": 0.3 + 0.05 * (r % 5)})  # the last move
        t0 = time.perf_counter()
        res = game.resolve()
        _ = res.nations  # the table shown to the room
        lat.append(1000 * (time.perf_counter() - t0))
        r += 1
    return lat, game


def main() -> int:
    scenario = (
        "stargate-vs-deepseek"
        if any(s.id == "stargate-vs-deepseek" for s in sim.list_scenarios())
        else "baseline"
    )
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for k in (1, 2):
            lat, game = play(scenario, k, Path(tmp) / f"g{k}.db")
            med = statistics.median(lat)
            ok &= med < TARGET_MS
            print(
                f"game round latency ({scenario}, {k} yr/round, {len(lat)} rounds, SQLite save): "
                f"median {med:.1f} ms, max {max(lat):.1f} ms (target < {TARGET_MS:.0f} ms)"
            )
        t0 = time.perf_counter()
        again = Game(game.setup, game.inputs())
        print(
            f"resume/replay of a {len(again.log)}-round game: {1000 * (time.perf_counter() - t0):.1f} ms"
        )
        from sim.game.report import turning_points

        t0 = time.perf_counter()
        turning_points(game)
        print(f"turning points (re-runs without each move/card): {time.perf_counter() - t0:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
