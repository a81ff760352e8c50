"""A tiny hand-made ensemble file for fast tests of the ensemble machinery."""

from __future__ import annotations

from pathlib import Path

from sim.calibration.ensemble import EnsembleFile, EnsembleParam, Member, Provenance, write_ensemble

PARAMS = (
    ("world.necessity_offset", 0.2, 1.2),
    ("world.catchup_rate_open", 0.3, 0.9),
    ("controls.sme_effect", 0.3, 0.9),
    ("vendors.huawei.domestic.training_penalty", 0.2, 0.6),
)
YEARS = "2025:2028"  # short horizon: the tests are about the machinery, not the projections


def tiny_ensemble(n: int = 6, reference: str | None = "baseline") -> EnsembleFile:
    """``n`` members spread evenly over each parameter's range (member k at (k + 0.5) / n)."""
    members = [
        Member(
            id=k,
            values={
                p: lo + (hi - lo) * ((k * (i + 1)) % n + 0.5) / n
                for i, (p, lo, hi) in enumerate(PARAMS)
            },
            max_implausibility=1.0 + k / 10,
            wave=1,
        )
        for k in range(n)
    ]
    return EnsembleFile(
        provenance=Provenance(
            method="hand-made test ensemble",
            targets_version="test",
            seed=0,
            created="2026-01-01",
            settings={"reference": reference} if reference else {},
        ),
        parameters=[EnsembleParam(path=p, low=lo, high=hi) for p, lo, hi in PARAMS],
        members=members,
    )


def write_tiny(path: Path, n: int = 6) -> Path:
    """Write :func:`tiny_ensemble` to ``path``."""
    return write_ensemble(tiny_ensemble(n), path)
