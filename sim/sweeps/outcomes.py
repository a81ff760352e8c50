"""Sweep outcomes: metrics of the one vocabulary (:mod:`sim.metrics`) computed from each run.

An outcome is a metric written ``metric:arg:arg:year`` in a sweep spec, e.g.
``lag_months:china:2030``; its column in ``outcomes.parquet`` is the same text with ``_`` for
``:`` (``lag_months_china_2030``). The year may be ``end`` (the last simulated year) or left out
(the same). Every outcome is a float; ``nan`` means "did not happen" (e.g. no Sputnik moment),
so every outcome column is float64.
"""

from __future__ import annotations

from typing import Any

from sim import metrics
from sim.metrics import Metric as Outcome
from sim.metrics import column_name

__all__ = ["Outcome", "column_name", "compute", "describe", "parse_outcome"]


def parse_outcome(text: str, scenario: Any) -> Outcome:
    """Parse and check ``metric:arg:...`` against a scenario (nations, labs, horizon); ValueError
    says why."""
    return metrics.for_scenario(text, scenario)


def compute(outcomes: list[Outcome] | tuple[Outcome, ...], result: Any) -> list[float]:
    """Evaluate each outcome on a run's :class:`sim.Result`, or on the model that ran (same
    order as ``outcomes``)."""
    return metrics.values(result, list(outcomes))


def describe() -> list[tuple[str, str]]:
    """(usage, description) for every metric, for docs and ``--help`` text."""
    return [(usage, f"{doc} ({unit})" if unit else doc) for usage, unit, doc in metrics.describe()]
