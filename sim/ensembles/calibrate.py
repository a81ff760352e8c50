"""``sputnik calibrate``: history matching of the model to the targets, and the ensemble it yields.

:func:`calibrate` wires the pieces together: the targets the model can express
(:func:`sim.calibration.simulators.supported`), every uncertain parameter of the schema
(:func:`sim.ensembles.parameters.uncertain_parameters`), the model simulator over
``history-2020`` with several seeds per parameter set, and the history-matching engine
(:func:`sim.calibration.history_matching.history_match`), which journals every chunk so a killed
run resumes exactly. :func:`make_ensemble` draws the ensemble file from its survivors.

Model discrepancy is given per target as a multiple of the target's own data uncertainty (one
number for all: 1.0 says the model is trusted as far as the data are).
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import RunFailure, UserError

if TYPE_CHECKING:
    from sim.calibration.ensemble import EnsembleFile
    from sim.calibration.history_matching import HistoryMatch
    from sim.calibration.targets import TargetSet

REFERENCE = "baseline"


@dataclass
class Calibration:
    """A finished (or resumed) history match and what was left out of it."""

    match: HistoryMatch
    targets: TargetSet
    skipped_targets: list[tuple[str, str]]
    held: list[Any] = field(default_factory=list)  # sim.ensembles.parameters.Held
    scenario: str = "history-2020"
    discrepancy: float = 1.0  # multiple of each target's data sd


def plan_calibration(
    scenario: str = "history-2020", targets_path: str | Path | None = None
) -> tuple[TargetSet, list[tuple[str, str]], list[Any], list[Any]]:
    """(targets used, targets skipped with reasons, parameters, parameters held with reasons)."""
    from sim.calibration.simulators import supported
    from sim.calibration.targets import load_targets
    from sim.ensembles.parameters import uncertain_parameters

    all_targets = load_targets(targets_path)
    kept, skipped = supported(all_targets, scenario)
    if not kept:
        raise UserError(
            f"{all_targets.path}: none of the targets can be computed from the model's tables"
        )
    params, held = uncertain_parameters(scenario, REFERENCE)
    return all_targets.select(ids=[t.id for t in kept]), skipped, params, held


def calibrate(
    out_dir: str | Path,
    *,
    scenario: str = "history-2020",
    targets_path: str | Path | None = None,
    waves: int = 5,
    per_wave: int = 200,
    seed: int = 0,
    replicates: int = 2,
    discrepancy: float = 1.0,
    cutoff: float = 3.0,
    screen: str = "nn",
    executor: cf.Executor | None = None,
    resume: bool = False,
    plots: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Calibration:
    """History-match ``scenario`` to the targets; outputs in ``out_dir`` (see the engine)."""
    from sim.calibration.history_matching import history_match
    from sim.calibration.simulators import ModelSimulator

    if not (discrepancy >= 0):
        raise UserError(f"--discrepancy: {discrepancy!r} is invalid: must be 0 or more")
    targets, skipped, params, held = plan_calibration(scenario, targets_path)
    disc = {t.id: discrepancy * float(t.sd()) for t in targets}
    hm = history_match(
        ModelSimulator.for_targets(list(targets), scenario),
        params,
        targets,
        waves=waves,
        n_per_wave=per_wave,
        seed=seed,
        out_dir=out_dir,
        executor=executor,
        cutoff=cutoff,
        replicates=replicates,
        discrepancy=disc,
        screen=screen,  # type: ignore[arg-type]
        resume=resume,
        plots=plots,
        progress=progress,
    )
    return Calibration(hm, targets, skipped, held, scenario, discrepancy)


def make_ensemble(
    cal: Calibration, n: int, *, allow_implausible: bool = False, created: str | None = None
) -> EnsembleFile:
    """``n`` survivors as an ensemble file with provenance (a seeded draw if more survive).

    With fewer than ``n`` survivors the ensemble holds them all. With none, a RunFailure unless
    ``allow_implausible``: then the ``n`` least implausible sets form a *provisional* ensemble,
    flagged as such in its provenance (notes, ``settings.provisional``).
    """
    from sim.calibration.ensemble import from_history_match

    hm = cal.match
    survivors = int(hm.runs["non_implausible"].sum())
    provisional = survivors == 0
    if provisional and not allow_implausible:
        best = float(hm.runs["max_implausibility"].min())
        raise RunFailure(
            [
                f"{hm.out_dir}: no parameter set passed the cut-off (least implausible: {best:.3g} "
                f"> {hm.config['config']['cutoff']:g}); no ensemble written",
                "next: resume with more waves (--resume --waves N), or --allow-implausible for a "
                "provisional ensemble of the least implausible sets",
            ]
        )
    source = hm
    if provisional:
        order = hm.runs["max_implausibility"].rank(method="first")
        source = dataclasses.replace(hm, runs=hm.runs.assign(non_implausible=order <= n))
    ens = from_history_match(source, n, created=created)
    settings = dict(ens.provenance.settings)
    settings.update(
        {
            "scenario": cal.scenario,
            "reference": REFERENCE,
            "discrepancy_multiple": cal.discrepancy,  # 'discrepancy' above: x each target's sd
            "held": {h.path: h.reason for h in cal.held},
            "skipped_targets": dict(cal.skipped_targets),
            "provisional": provisional,
        }
    )
    notes = ens.provenance.notes
    if provisional:
        worst = max(m.max_implausibility or 0.0 for m in ens.members)
        notes = (
            f"PROVISIONAL: no parameter set passed the cut-off; these are the {len(ens.members)} "
            f"least implausible of {len(hm.runs)} evaluated (max implausibility up to {worst:.3g}). "
            "Machinery only: its bands are not a calibrated uncertainty."
        )
    prov = ens.provenance.model_copy(
        update={"settings": settings, "notes": notes, "n_non_implausible": survivors}
    )
    return ens.model_copy(update={"provenance": prov})
