"""Named outcome metrics computed from one :class:`sim.Result`.

An outcome is written ``metric:arg:arg`` in a sweep spec, e.g. ``lag_months:china:2030``; its column
in ``outcomes.parquet`` is the same text with ``_`` for ``:`` (``lag_months_china_2030``). A year
argument may be ``end`` (the last simulated year). Every metric returns a float; ``nan`` means "did
not happen" (e.g. no Sputnik moment) so every outcome column is float64.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# metric -> (argument kinds, description). Kinds: "nation", "year", "number".
METRICS: dict[str, tuple[tuple[str, ...], str]] = {
    "lag_months": (
        ("nation", "year"),
        "months the nation's best lab trails the frontier in that year",
    ),
    "oom": (
        ("nation", "year"),
        "nation's frontier capability (orders of magnitude of effective compute)",
    ),
    "compute_share": (
        ("nation", "year"),
        "nation's share of world AI compute (H100e) in that year",
    ),
    "smuggled_share": (("nation", "year"), "share of the nation's compute stock that was smuggled"),
    "rented_share": (("nation", "year"), "share of the nation's compute rented abroad"),
    "domestic_chip_share": (("nation", "year"), "share of the nation's compute on domestic chips"),
    "compute_h100e": (("nation", "year"), "nation's compute stock in H100-equivalents"),
    "cumulative_spending": (
        ("nation", "year"),
        "nation's AI spending (USD) summed from the start year through that year",
    ),
    "oom_gap": (
        ("nation", "nation", "year"),
        "OOM of the first nation minus OOM of the second in that year",
    ),
    "frontier_oom": (("year",), "world frontier OOM in that year"),
    "world_compute": (("year",), "world AI compute (H100e) in that year"),
    "cumulative_licence_fees": (
        ("year",),
        "licence fees (USD) paid to the controller through that year",
    ),
    "sputnik_year": ((), "first year of a Sputnik moment (nan if none)"),
    "sputnik_moment": ((), "1 if a Sputnik moment happened, else 0"),
    "catch_up_year": (
        ("nation", "number"),
        "first year the nation's lag is at or under N months (nan if never)",
    ),
}


@dataclass(frozen=True)
class Outcome:
    """A parsed outcome: metric name and resolved arguments (years as ints)."""

    text: str
    metric: str
    args: tuple[Any, ...]

    @property
    def column(self) -> str:
        """Column name in the outcomes table."""
        return column_name(self.text)


def column_name(text: str) -> str:
    """``lag_months:china:2030`` -> ``lag_months_china_2030``."""
    return text.replace(":", "_").replace(".", "p").replace("-", "m")


def parse_outcome(text: str, scenario: Any) -> Outcome:
    """Parse and check ``metric:arg:...`` against a scenario (nations, horizon); ValueError says why."""
    import difflib

    metric, *raw = text.split(":")
    if metric not in METRICS:
        m = difflib.get_close_matches(metric, list(METRICS), n=1)
        raise ValueError(
            f"unknown metric '{metric}'"
            + (f" (did you mean '{m[0]}'?)" if m else f" (known: {', '.join(METRICS)})")
        )
    kinds, _ = METRICS[metric]
    if len(raw) != len(kinds):
        usage = ":".join([metric, *kinds])
        raise ValueError(f"'{metric}' takes {len(kinds)} argument(s): {usage}")
    start, end = scenario.horizon.start_year, scenario.horizon.end_year
    args: list[Any] = []
    for kind, a in zip(kinds, raw, strict=True):
        if kind == "nation":
            if a not in scenario.nations:
                m = difflib.get_close_matches(a, list(scenario.nations), n=1)
                raise ValueError(
                    f"nation '{a}' is not defined"
                    + (
                        f" (did you mean '{m[0]}'?)"
                        if m
                        else f" (nations: {', '.join(scenario.nations)})"
                    )
                )
            args.append(a)
        elif kind == "year":
            y = end if a == "end" else (int(a) if a.isdigit() else None)
            if y is None or not start <= y <= end:
                raise ValueError(
                    f"year '{a}' is outside the simulated years {start}-{end} (or use 'end')"
                )
            args.append(y)
        else:
            try:
                args.append(float(a))
            except ValueError:
                raise ValueError(f"'{a}' is not a number") from None
    return Outcome(text, metric, tuple(args))


class _Tables:
    """Fast lookups into one run's tables (built once per run, shared by all outcomes)."""

    def __init__(self, result: Any):
        nat = result.nations
        self.nat_year = nat["year"].to_numpy()
        self.nat_key = nat["nation"].to_numpy()
        self.nat = nat
        self.years = result.years

    def nation_col(self, nation: str, column: str) -> tuple[np.ndarray, np.ndarray]:
        mask = self.nat_key == nation
        return self.nat_year[mask], self.nat[column].to_numpy()[mask]

    def at(self, nation: str, column: str, year: int) -> float:
        ys, vs = self.nation_col(nation, column)
        hit = vs[ys == year]
        return float(hit[0]) if len(hit) else math.nan

    def world_at(self, column: str, year: int) -> float:
        ys = self.years["year"].to_numpy()
        hit = self.years[column].to_numpy()[ys == year]
        return float(hit[0]) if len(hit) else math.nan


def _cum(t: _Tables, nation: str, year: int) -> float:
    ys, vs = t.nation_col(nation, "ai_spend_usd")
    return float(vs[ys <= year].sum())


def _sputnik_year(t: _Tables) -> float:
    flags = t.years["sputnik_moment"].to_numpy().astype(bool)
    return float(t.years["year"].to_numpy()[flags][0]) if flags.any() else math.nan


def _catch_up(t: _Tables, nation: str, months: float) -> float:
    ys, vs = t.nation_col(nation, "lag_months")
    hit = ys[vs <= months]
    return float(hit.min()) if len(hit) else math.nan


def _licence(t: _Tables, year: int) -> float:
    ys = t.years["year"].to_numpy()
    return float(t.years["licence_fees_usd"].to_numpy()[ys <= year].sum())


_FUNCS: dict[str, Callable[..., float]] = {
    "lag_months": lambda t, n, y: t.at(n, "lag_months", y),
    "oom": lambda t, n, y: t.at(n, "oom", y),
    "compute_share": lambda t, n, y: t.at(n, "compute_share", y),
    "smuggled_share": lambda t, n, y: t.at(n, "smuggled_share", y),
    "rented_share": lambda t, n, y: t.at(n, "rented_share", y),
    "domestic_chip_share": lambda t, n, y: t.at(n, "domestic_chip_share", y),
    "compute_h100e": lambda t, n, y: t.at(n, "compute_h100e", y),
    "cumulative_spending": _cum,
    "oom_gap": lambda t, a, b, y: t.at(a, "oom", y) - t.at(b, "oom", y),
    "frontier_oom": lambda t, y: t.world_at("frontier_oom", y),
    "world_compute": lambda t, y: t.world_at("world_compute_h100e", y),
    "cumulative_licence_fees": _licence,
    "sputnik_year": _sputnik_year,
    "sputnik_moment": lambda t: 0.0 if math.isnan(_sputnik_year(t)) else 1.0,
    "catch_up_year": _catch_up,
}


def compute(outcomes: list[Outcome] | tuple[Outcome, ...], result: Any) -> list[float]:
    """Evaluate each outcome on a run's :class:`sim.Result` (same order as ``outcomes``)."""
    t = _Tables(result)
    return [float(_FUNCS[o.metric](t, *o.args)) for o in outcomes]


def describe() -> list[tuple[str, str]]:
    """(usage, description) for every metric, for docs and ``--help`` text."""
    return [(":".join([m, *kinds]), doc) for m, (kinds, doc) in METRICS.items()]
