"""Adapters from the model to the ``simulate(params, seed) -> {target_id: value}`` contract.

:class:`BacktestSimulator` runs a history scenario with parameter overrides and reads the targets
the back-test already compares (largest runs by nation and year, Nvidia H100e shipped since 2022),
so history matching works on today's model. It is an interim adapter: once the metric vocabulary
(``sim/metrics.py``) names every target quantity, the mapping belongs there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# back-test (metric, region) -> target (quantity, region)
BACKTEST_ROWS = {
    ("largest run FLOP", "world"): ("largest_run_flop", "world"),
    ("largest run FLOP", "usa"): ("largest_run_flop", "usa"),
    ("largest run FLOP", "china"): ("largest_run_flop", "china"),
    ("H100e shipped since 2022", "nvidia"): ("nvidia_cum_h100e", "world"),
    ("H100e shipped since 2022", "china"): ("nvidia_cum_h100e", "china"),
}


@dataclass(frozen=True)
class BacktestSimulator:
    """``simulate(params, seed)`` over a history scenario; picklable for process executors."""

    scenario: str = "history-2020"

    def __call__(self, params: dict[str, float], seed: int) -> dict[str, float]:
        """Run the scenario with ``params`` as overrides; model values keyed by target id."""
        from sim.calibration.backtest import run_backtest

        table = run_backtest(self.scenario, seed=seed, overrides=dict(params)).table
        out: dict[str, float] = {}
        for r in table.itertuples(index=False):
            key: Any = BACKTEST_ROWS.get((r.metric, r.region))
            if key is not None:
                out[f"{key[0]}:{key[1]}:{r.year}"] = float(r.model)
        return out

    @staticmethod
    def target_ids() -> set[str]:
        """Quantities this adapter can produce (select targets with these)."""
        return {f"{q}:{reg}" for q, reg in BACKTEST_ROWS.values()}
