"""Diffusion through channels: how a follower learns from better models it can reach.

A lab's *own* capability is ``c = log10(training FLOP x efficiency)``. Better models reach it through
three channels, each with its own lag and access:

- **open weights**: a model released openly can be fine-tuned and distilled by anyone after a
  publication lag;
- **API distillation**: a closed model's outputs can be used to train a student, after a lag, as far as
  the lab's nation can reach the model (market access) and the controller does not block target firms;
- **methods and talent**: papers, people and tricks spill over slowly into a lab's own algorithmic
  efficiency (:func:`sim.model.algorithms.catchup_gain`); this channel is permanent, the other two are redone each year.

The gain through a channel is ``access x min(share x gap, max_bonus)`` with ``gap`` the distance to the
teacher's (lagged) level in OOM: a student absorbs part of what a better teacher shows, never more than
``max_bonus`` OOM, and never passes the teacher. Because the gain saturates, a rival pushed further behind
by export controls falls further behind in months as well: the channels dampen controls, they do not
erase them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple


class Teacher(NamedTuple):
    """A model others can learn from this year: its level now and last year, and who can reach it."""

    lab: str
    nation: str
    level_now: float
    level_prev: float
    open_weights: bool


def lagged_level(now: float, prev: float, lag_years: float) -> float:
    """Level a release lag ago, interpolated in OOM between last year's and this year's level."""
    lag = min(max(lag_years, 0.0), 1.0)
    return (1.0 - lag) * now + lag * prev


def teacher_levels(
    teachers: Sequence[Teacher], open_lag: float, api_lag: float, scale: float = 1.0
) -> list[float]:
    """Each teacher's level as students see it: a release lag ago, through its channel (open
    weights after ``open_lag``, an API after ``api_lag``; lags divided by ``scale``)."""
    if scale > 0:
        open_lag, api_lag = open_lag / scale, api_lag / scale
    # :func:`lagged_level` with each channel's lag clamped once
    lag_open, lag_api = min(max(open_lag, 0.0), 1.0), min(max(api_lag, 0.0), 1.0)
    out = []
    for t in teachers:
        lag = lag_open if t.open_weights else lag_api
        out.append((1.0 - lag) * t.level_now + lag * t.level_prev)
    return out


@dataclass(slots=True)  # built every year: not frozen (a frozen init is ~5x slower)
class Board:
    """The year's teachers as every student sees them: their :func:`teacher_levels`, the best
    and the second-best open-weight model (indices, -1 if none: the first at the highest level)
    and the closed models, in order. Built once a year by :func:`board`."""

    teachers: Sequence[Teacher]
    levels: Sequence[float]
    best_open: int
    second_open: int
    closed: list[int]

    def reachable(
        self, nation: str, access: Mapping[tuple[str, str], float]
    ) -> list[tuple[int, float, float]]:
        """(index, level, access) of the closed models the labs of ``nation`` can query."""
        out = []
        for i in self.closed:
            a = access.get((self.teachers[i].nation, nation), 1.0)
            if a > 0.0:
                out.append((i, self.levels[i], a))
        return out


def board(teachers: Sequence[Teacher], levels: Sequence[float]) -> Board:
    """The :class:`Board` of ``teachers`` at ``levels``."""
    open_ = [i for i, t in enumerate(teachers) if t.open_weights]
    best = _first_best(open_, levels, -1)
    return Board(
        teachers,
        levels,
        best,
        _first_best(open_, levels, best),
        [i for i, t in enumerate(teachers) if not t.open_weights],
    )


def _first_best(indices: list[int], levels: Sequence[float], skip: int) -> int:
    """The first of ``indices`` (but ``skip``) at the highest level above -inf, or -1."""
    best, level = -1, -math.inf
    for i in indices:
        if i != skip and levels[i] > level:
            best, level = i, levels[i]
    return best


def channel_gain(gap: float, share: float, max_bonus: float) -> float:
    """OOM gained from a teacher ``gap`` OOM ahead: ``min(share x gap, max_bonus)``, never the gap."""
    if gap <= 0.0 or share <= 0.0 or max_bonus <= 0.0:
        return 0.0
    gain = share * gap  # min(share * gap, max_bonus, gap), without a builtin call
    if max_bonus < gain:
        gain = max_bonus
    return gap if gap < gain else gain


def distillation_bonus(
    own: float,
    lab: str,
    nation: str,
    teachers: Sequence[Teacher],
    access: Mapping[tuple[str, str], float],
    *,
    open_share: float,
    api_share: float,
    max_bonus: float,
    open_lag: float,
    api_lag: float,
    scale: float = 1.0,
    levels: Sequence[float] | None = None,
    classroom: Board | None = None,
) -> tuple[float, str]:
    """Capability gain (OOM) a lab at ``own`` gets from the models it can reach, and the main teacher.

    The best open-weight model (after ``open_lag``) and the best closed model the lab can query
    (after ``api_lag``, weighted by ``access[(teacher_nation, student_nation)]``) each close a share of
    the gap that is left: the lab learns from both, the bigger gain first. The total never exceeds
    ``max_bonus`` nor the best teacher's level. ``scale`` multiplies both shares and the cap and
    divides the lags (the world ``diffusion`` lever: 0 closes every channel, 2 doubles them).
    ``levels`` are the teachers' :func:`teacher_levels`, or ``classroom`` their :func:`board`, if
    already computed for the year.
    """
    if classroom is None:
        if levels is None:
            levels = teacher_levels(teachers, open_lag, api_lag, scale)
        classroom = board(teachers, levels)
    me = next((i for i, t in enumerate(teachers) if t.lab == lab), -1)
    return learn(
        own,
        me,
        classroom,
        classroom.reachable(nation, access),
        open_share * scale,
        api_share * scale,
        max_bonus * scale,
    )


def learn(
    own: float,
    me: int,
    classroom: Board,
    reachable: list[tuple[int, float, float]],
    s_open: float,
    s_api: float,
    cap: float,
) -> tuple[float, str]:
    """:func:`distillation_bonus` of teacher ``me`` (-1: not a teacher) who can query the closed
    models ``reachable`` (:meth:`Board.reachable`), with the shares and the cap already scaled."""
    teachers, levels = classroom.teachers, classroom.levels
    i_open = classroom.best_open if classroom.best_open != me else classroom.second_open
    best_api, a_api, i_api = -math.inf, 0.0, -1
    for i, level, a in reachable:
        if i != me and (i_api < 0 or a * (level - own) > a_api * (best_api - own)):
            best_api, a_api, i_api = level, a, i
    if i_api < 0:
        if i_open < 0:
            return 0.0, ""
        total = channel_gain(levels[i_open] - own, s_open, cap)
        return (cap if cap < total else total), teachers[i_open].lab if total > 0 else ""
    g_api = a_api * channel_gain(best_api - own, s_api, cap)
    if i_open < 0:
        return (cap if cap < g_api else g_api), teachers[i_api].lab if g_api > 0 else ""
    # both channels: the bigger gain first, then the other closes a share of the gap left
    best_open = levels[i_open]
    g_open = channel_gain(best_open - own, s_open, cap)
    if g_api > g_open:
        total = g_api + channel_gain(best_open - (own + g_api), s_open, cap - g_api)
        who = teachers[i_api].lab
    else:
        total = g_open + a_api * channel_gain(best_api - (own + g_open), s_api, cap - g_open)
        who = teachers[i_open].lab
    return (cap if cap < total else total), who if total > 0 else ""  # (min without a call)
