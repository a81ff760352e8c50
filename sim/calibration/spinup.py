"""The baseline's start-2025 lab state, derived from the history run (not set by hand).

Algorithmic efficiency and the necessity edge a lab brings into 2025 are what the history run
(``history-2020``, fitted to 2020-2024) leaves at the end of 2024: the median over seeds, with
efficiency relative to the most efficient US lab (the 2025 frontier algorithms define 1.0).
``scenarios/baseline.toml`` copies these numbers; a test keeps the two in step.
"""

from __future__ import annotations

import statistics

US_LABS = ("stargate", "google", "meta", "anthropic", "xai")


def derive_start_state(
    seeds: range = range(8), scenario: str = "history-2020", year: int = 2024
) -> dict[str, dict[str, float]]:
    """``{lab: {"efficiency": ..., "necessity_edge": ...}}`` from the history run's end state."""
    from sim.model.model import ComputeRaceModel

    eff: dict[str, list[float]] = {}
    edge: dict[str, list[float]] = {}
    for seed in seeds:
        model = ComputeRaceModel(scenario, seed=seed)
        while model.running and model.year <= year:
            model.step()
        top = max(model.lab_by_key[k].efficiency for k in US_LABS if k in model.lab_by_key)
        for lab in model.labs:
            eff.setdefault(lab.key, []).append(lab.efficiency / top)
            edge.setdefault(lab.key, []).append(lab.adapt)
    return {
        k: {"efficiency": statistics.median(eff[k]), "necessity_edge": statistics.median(edge[k])}
        for k in eff
    }
