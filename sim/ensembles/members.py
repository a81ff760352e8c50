"""Which ensemble values a scenario takes, and each member's seed.

A member sets every ensemble parameter the scenario leaves as its reference has it. A parameter
that the scenario (or the caller's overrides) sets to a value of its own is that scenario's
choice, its lever, and is kept: an ensemble must never undo the difference a scenario is about.
Parameters of agents the scenario does not have are skipped. The reference is the scenario the
ensemble's provenance names (``settings.reference``, normally ``baseline``).

Seeds: member ``k`` of an ensemble run with seed ``s`` runs with the ``k``-th child of
``SeedSequence(s)``, so a member's seed depends only on ``s`` and its id, never on the order in
which workers finish or on how many members are run; two scenarios run with the same seed over
the same members share their random numbers, which is what makes paired differences sharp.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import UserError

if TYPE_CHECKING:
    from sim.calibration.ensemble import EnsembleFile
    from sim.config.schema import Scenario

MAX_SEED = 2**63 - 1


def member_seed(seed: int, member_id: int) -> int:
    """The run seed of member ``member_id`` of an ensemble run with master ``seed``."""
    state = np.random.SeedSequence(int(seed), spawn_key=(int(member_id),)).generate_state(
        1, np.uint64
    )
    return int(state[0]) & MAX_SEED


@dataclass(frozen=True)
class Plan:
    """The runs of an ensemble over one scenario: member ids, seeds and the overrides each sets."""

    scenario: Scenario
    member_ids: list[int]
    seeds: list[int]
    values: list[dict[str, float]]  # per member: the ensemble values this scenario takes
    applied: list[str]
    held: dict[str, str] = field(default_factory=dict)  # path -> why the scenario keeps its own


def _reference(ens: EnsembleFile) -> Scenario | None:
    name = ens.provenance.settings.get("reference")
    if not isinstance(name, str):
        return None
    from sim.config.loader import load_scenario

    return load_scenario(name)


def plan(
    ens: EnsembleFile,
    scenario: Scenario,
    n: int | None = None,
    seed: int = 0,
    user_overrides: Mapping[str, Any] | None = None,
) -> Plan:
    """The first ``n`` members (all when None) of ``ens`` over ``scenario`` (overrides applied)."""
    from sim.config.paths import get_path, resolve_field

    total = len(ens.members)
    if n is not None and not (isinstance(n, int) and 1 <= n <= total):
        raise UserError(
            f"ensemble size {n!r} is invalid: the ensemble has {total} members (use 1-{total})"
        )
    if not (isinstance(seed, int) and 0 <= seed <= MAX_SEED):
        raise UserError(f"seed {seed!r} is invalid: must be a whole number from 0 to 2^63-1")
    members = ens.members[: n or total]
    ref = _reference(ens)
    mine, theirs = scenario.model_dump(), ref.model_dump() if ref is not None else None
    user = set(user_overrides or ())
    applied, held = [], {}
    for p in ens.parameters:
        field_, why = resolve_field(scenario, p.path)
        if field_ is None:
            held[p.path] = f"not in scenario '{scenario.id}' ({why})"
        elif p.path in user:
            held[p.path] = "set by the caller's overrides"
        elif theirs is not None and get_path(mine, p.path, None) != get_path(theirs, p.path, None):
            held[p.path] = f"scenario '{scenario.id}' sets its own value"
        else:
            applied.append(p.path)
    return Plan(
        scenario=scenario,
        member_ids=[m.id for m in members],
        seeds=[member_seed(seed, m.id) for m in members],
        values=[{p: m.values[p] for p in applied} for m in members],
        applied=applied,
        held=held,
    )


def ensemble_ranges(
    ens: EnsembleFile, scenario: Scenario, n: int | None = None
) -> dict[str, tuple[float, float]]:
    """Per parameter the scenario takes from the ensemble, the members' (min, max)."""
    p = plan(ens, scenario, n)
    out = {}
    for path in p.applied:
        vals = [v[path] for v in p.values]
        if min(vals) < max(vals):
            out[path] = (min(vals), max(vals))
    return out
