"""Frontier history and the lag-in-months measure."""

from __future__ import annotations

from bisect import bisect_left


class FrontierHistory:
    """Running maximum of the frontier OOM score by year, for lag look-ups.

    Before the first recorded year the frontier is extrapolated backwards at
    ``prehistory_slope`` OOM per year.
    """

    def __init__(self, prehistory_slope: float):
        self.slope = prehistory_slope
        self.years: list[float] = []
        self.levels: list[float] = []

    def record(self, year: float, level: float) -> None:
        """Add this year's frontier (kept monotone: the frontier never moves backwards)."""
        if self.levels:
            level = max(level, self.levels[-1])
        self.years.append(year)
        self.levels.append(level)

    def first_reached(self, score: float) -> float:
        """Time (fractional year) at which the frontier first reached ``score``."""
        ys, ls = self.years, self.levels
        if not ls:
            raise ValueError("no frontier recorded yet")
        if score <= ls[0]:
            return ys[0] - (ls[0] - score) / self.slope
        i = bisect_left(ls, score)  # levels are monotone: first year at or above the score
        if i >= len(ls):
            return ys[-1]
        lo, hi = ls[i - 1], ls[i]
        frac = 0.0 if hi == lo else (score - lo) / (hi - lo)
        return ys[i - 1] + frac * (ys[i] - ys[i - 1])

    def lag_months(self, score: float, year: float) -> float:
        """Months since the frontier first reached ``score`` (0 at or above the frontier)."""
        if not self.levels or score >= self.levels[-1]:
            return 0.0
        return max(0.0, 12.0 * (year - self.first_reached(score)))
