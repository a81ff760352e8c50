"""Runs over a calibrated ensemble: every projection as a median with a 5-95% band.

An ensemble file (``scenarios/ensemble/history-matched.json``, format in
:mod:`sim.calibration.ensemble`) holds parameter sets that history matching could not rule out.
Running a scenario over it gives one run per member; the spread of the members is the model's
honest uncertainty, and the same lever applied to every member gives the distribution of its
effect (paired differences, common random numbers)::

    import sim
    base = sim.run_ensemble("baseline", n=50, workers=2)
    tight = sim.run_ensemble("tight-controls", n=50, workers=2)
    base.band("lag_months:china")                       # median, p5, p95 by year
    effect = sim.paired_effect(base, tight)             # tight - base, member by member
    effect.band("lag_months:china").loc[2035]
    effect.share_above("lag_months:china", 2035, 0.0)   # share of members where China falls back

Modules: :mod:`~sim.ensembles.parameters` (the uncertain parameters, from the schema),
:mod:`~sim.ensembles.members` (what each member sets, seeds), :mod:`~sim.ensembles.runner`
(serial or pooled runs, streamed), :mod:`~sim.ensembles.result` (bands, paired effects),
:mod:`~sim.ensembles.extract` (what is kept of each run), :mod:`~sim.ensembles.report` (printed
tables).
"""

from __future__ import annotations

from collections.abc import Mapping

from sim.ensembles.result import HIGH, LOW, EnsembleResult, paired_effect
from sim.ensembles.runner import (
    Progress,
    default_ensemble_path,
    ensemble_pool,
    resolve_ensemble,
    run_ensemble,
    run_ensembles,
)


def compare_ensembles(results: Mapping[str, EnsembleResult]) -> dict[str, EnsembleResult]:
    """Paired effects of every scenario against the first (``{id: other - first}``)."""
    items = list(results.items())
    if len(items) < 2:
        return {}
    base = items[0][1]
    return {sid: paired_effect(base, res) for sid, res in items[1:]}


__all__ = [
    "HIGH",
    "LOW",
    "EnsembleResult",
    "Progress",
    "compare_ensembles",
    "default_ensemble_path",
    "ensemble_pool",
    "paired_effect",
    "resolve_ensemble",
    "run_ensemble",
    "run_ensembles",
]
