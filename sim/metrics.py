"""One vocabulary of named metrics, over a finished run and over a live model.

A metric is written ``ID:ARG:...:YEAR``, e.g. ``lag_months:china:2030``, ``oom_gap:usa:china``,
``frontier_oom:end``, ``catch_up_year:china:6``. The arguments are nation or lab ids (a lab
whose id is also a nation's is written ``ID-lab``) or numbers; the year is optional:

* over a :class:`sim.Result`, :func:`series` gives the metric by year, and :func:`value` one
  number: the given year, or the last simulated year (``end``) when none is given;
* over a live :class:`~sim.model.model.ComputeRaceModel` (the game), :func:`value` gives the
  value now (the last simulated year; a nation's or lab's ``oom`` and ``lag_months`` are known
  before the first step) or in a year already simulated.

Sweep outcomes, PRIM rules, the summary and compare charts, one-at-a-time sensitivity, the game's
goals, predictions and card triggers all name metrics this way. A dotted parameter path
(``controls.enforcement``) is also accepted on a live model. The spellings of earlier versions
(``lag_months.china``, ``sputnik``) still work and log a deprecation message.

Every metric is a float; ``nan`` (Result) or ``None`` (live model) means "not known" or "did
not happen" (no Sputnik moment).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sim.config.paths import SETTABLE_SECTIONS, did_you_mean
from sim.model.records import LAB_COLUMNS, NATION_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from sim.config.schema import Scenario
    from sim.model.model import ComputeRaceModel
    from sim.results import Result

log = logging.getLogger(__name__)

LAB_SUFFIX = "-lab"  # forces the lab of that id where a nation has the same id
END = "end"

# Argument kinds: "actor" (a nation, or a lab for the per-agent columns), "nation", "number".
Yearly = dict[int, float]


class View(Protocol):
    """What a metric reads: the per-year columns of a run's tables, finished or live."""

    def column(self, table: str, column: str, key: str | None) -> Yearly:
        """``column`` of ``table`` (``nations``, ``labs``, ``years``) for agent ``key``, by year."""

    def is_nation(self, key: str) -> bool:
        """True if ``key`` is a nation's id."""

    def sputnik_year(self) -> float | None:
        """First year of a Sputnik moment so far (None if none)."""


@dataclass(frozen=True)
class Definition:
    """A metric: id, label (``{0}``, ``{1}`` stand for the arguments), unit, argument kinds,
    what it means, and how it is computed from a :class:`View` (one value per year, or for the
    whole run when ``per_year`` is False). ``now`` gives the value on a live model where it is
    known before the year is recorded (the start fleets' scores, the frontier)."""

    id: str
    label: str
    unit: str
    args: tuple[str, ...]
    doc: str
    compute: Callable[..., Yearly | float | None]
    per_year: bool = True
    now: Callable[..., float | None] | None = None


# --- the columns of the nation and lab tables -------------------------------------------------

COLUMN_TEXT: dict[str, tuple[str, str]] = {
    "oom": ("{0} capability", "OOM"),
    "lag_months": ("{0} lag behind the frontier", "months"),
    "compute_h100e": ("{0} compute stock", "H100e"),
    "compute_share": ("{0} share of world compute", "share"),
    "largest_run_flop": ("{0} largest training run", "FLOP"),
    "legal_share": ("{0} compute bought legally", "share"),
    "licensed_share": ("{0} compute bought under licence", "share"),
    "smuggled_share": ("{0} compute that is smuggled", "share"),
    "rented_share": ("{0} compute rented abroad", "share"),
    "domestic_chip_share": ("{0} compute on domestic chips", "share"),
    "efficiency_spend_share": ("{0} spending on efficiency R&D", "share"),
    "ai_spend_usd": ("{0} AI spending", "USD"),
    "revenue_usd": ("{0} AI revenue", "USD"),
    "market_share": ("{0} share of AI usage", "share"),
    "efficiency": ("{0} algorithmic efficiency", "x 2025"),
    "budget_usd": ("{0} budget", "USD"),
    "training_flop": ("{0} flagship run", "FLOP"),
    "headline_training_cost_usd": ("{0} headline training cost", "USD"),
}
NUMERIC_SKIP = {"year", "nation", "lab", "tier", "strategy", "best_lab", "open_weights"}


def _column_text(column: str) -> tuple[str, str]:
    if column in COLUMN_TEXT:
        return COLUMN_TEXT[column]
    unit = next(
        (
            u
            for suffix, u in (("_usd", "USD"), ("_share", "share"), ("_h100e", "H100e"))
            if column.endswith(suffix)
        ),
        "",
    )
    return "{0} " + column.replace("_", " "), unit


def _actor(view: View, column: str, actor: str) -> tuple[str, str]:
    """(table, key) of an actor argument: a nation, else a lab (``ID-lab`` forces the lab)."""
    if actor.endswith(LAB_SUFFIX) or column not in NATION_COLUMNS or not view.is_nation(actor):
        return "labs", actor.removesuffix(LAB_SUFFIX)
    return "nations", actor


def _live_score(column: str) -> Callable[..., float | None]:
    """A nation's or lab's live ``oom`` / ``lag_months`` (scored before the first step too)."""

    def now(model: ComputeRaceModel, actor: str) -> float | None:
        table, key = _actor(ModelView(model), column, actor)
        agents: Mapping[str, Any] = model.nations if table == "nations" else model.lab_by_key
        agent = agents.get(key)
        return None if agent is None else float(getattr(agent, column))

    return now


def _column_metric(column: str) -> Definition:
    label, unit = _column_text(column)
    nation_col = column in NATION_COLUMNS
    lab_col = column in LAB_COLUMNS
    who = "nation or lab" if nation_col and lab_col else ("nation" if nation_col else "lab")

    def compute(view: View, actor: str) -> Yearly:
        table, key = _actor(view, column, actor)
        return view.column(table, column, key)

    return Definition(
        column,
        label,
        unit,
        ("actor",),
        f"the {who}'s `{column}` column (a nation's is its best lab's where it is a capability)",
        compute,
        now=_live_score(column) if column in ("oom", "lag_months") else None,
    )


# --- metrics computed from several columns ---------------------------------------------------


def _oom_gap(view: View, a: str, b: str) -> Yearly:
    x = view.column("nations", "oom", a)
    y = view.column("nations", "oom", b)
    return {yr: x[yr] - y[yr] for yr in x if yr in y}


def _cumulative(values: Yearly) -> Yearly:
    out, total = {}, 0.0
    for yr in sorted(values):
        total += values[yr]
        out[yr] = total
    return out


def _catch_up(view: View, nation: str, months: float) -> float | None:
    lag = view.column("nations", "lag_months", nation)
    hit = [yr for yr in sorted(lag) if lag[yr] <= months]
    return float(hit[0]) if hit else None


def _sputnik_flag(view: View) -> Yearly:
    first = view.sputnik_year()
    return {
        yr: 1.0 if first is not None and yr >= first else 0.0
        for yr in view.column("years", "frontier_oom", None)
    }


DERIVED: tuple[Definition, ...] = (
    Definition(
        "oom_gap",
        "{0} minus {1} capability",
        "OOM",
        ("nation", "nation"),
        "OOM of the first nation minus OOM of the second",
        _oom_gap,
    ),
    Definition(
        "frontier_oom",
        "Frontier capability",
        "OOM",
        (),
        "world frontier OOM",
        lambda v: v.column("years", "frontier_oom", None),
        now=lambda m: m.frontier_oom,
    ),
    Definition(
        "world_compute",
        "World AI compute",
        "H100e",
        (),
        "world AI compute stock",
        lambda v: v.column("years", "world_compute_h100e", None),
    ),
    Definition(
        "cumulative_spending",
        "{0} AI spending so far",
        "USD",
        ("nation",),
        "nation's AI spending summed from the start year",
        lambda v, n: _cumulative(v.column("nations", "ai_spend_usd", n)),
    ),
    Definition(
        "cumulative_licence_fees",
        "Licence fees so far",
        "USD",
        (),
        "licence fees paid to the controller, summed from the start year",
        lambda v: _cumulative(v.column("years", "licence_fees_usd", None)),
    ),
    Definition(
        "sputnik_moment",
        "Sputnik moment so far",
        "flag",
        (),
        "1 once a Sputnik moment has happened, else 0",
        _sputnik_flag,
        now=lambda m: 0.0 if m.sputnik_year is None else 1.0,
    ),
    Definition(
        "sputnik_year",
        "Year of the Sputnik moment",
        "year",
        (),
        "first year of a Sputnik moment (nan if none)",
        lambda v: v.sputnik_year(),
        per_year=False,
    ),
    Definition(
        "catch_up_year",
        "Year {0} is within {1} months",
        "year",
        ("nation", "number"),
        "first year the nation's lag is at or under N months (nan if never)",
        _catch_up,
        per_year=False,
    ),
)

METRICS: dict[str, Definition] = {
    **{
        c: _column_metric(c)
        for c in dict.fromkeys([*NATION_COLUMNS, *LAB_COLUMNS])
        if c not in NUMERIC_SKIP
    },
    **{d.id: d for d in DERIVED},
}
# Spellings of earlier versions, other than ``COLUMN.ID`` (handled in :func:`canonical`).
RENAMED = {"sputnik": "sputnik_moment"}


# --- parsing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """A parsed metric: its id, arguments and year (None: the series, or now/end). Plain data,
    so parsed metrics travel to worker processes."""

    text: str
    id: str
    args: tuple[Any, ...]
    year: int | None

    @property
    def definition(self) -> Definition:
        """What the metric is and how it is computed."""
        return METRICS[self.id]

    @property
    def column(self) -> str:
        """Its column name in tables (sweep outcomes)."""
        return column_name(self.text)

    def label(self, names: Mapping[str, str] | None = None) -> str:
        """The label with the arguments (or their display ``names``) filled in."""
        shown = [str((names or {}).get(str(a), a)) for a in self.args]
        text = self.definition.label.format(*shown)
        return text[:1].upper() + text[1:]


def canonical(text: str) -> str:
    """The current spelling of ``text``; an old spelling logs a deprecation message once."""
    text = text.strip()
    new = text
    head = text.split(".", 1)[0]
    if text in RENAMED:
        new = RENAMED[text]
    elif "." in text and ":" not in text and head not in SETTABLE_SECTIONS and head in METRICS:
        new = text.replace(".", ":", 1)  # lag_months.china -> lag_months:china
    if new != text:
        warn_old_spelling(text, new)
    return new


def warn_old_spelling(old: str, new: str) -> None:
    """Log, once per spelling, that ``old`` is a deprecated way to write the metric ``new``."""
    if old not in _WARNED:
        _WARNED.add(old)
        log.warning("metric '%s' is an old spelling: write '%s' (it will stop working)", old, new)


_WARNED: set[str] = set()


def is_parameter(text: str) -> bool:
    """True for a dotted parameter path (``controls.enforcement``), readable on a live model."""
    return "." in text and ":" not in text and text.split(".", 1)[0] in SETTABLE_SECTIONS


def parse(
    text: str,
    nations: Sequence[str],
    labs: Sequence[str],
    years: tuple[int, int] | None = None,
) -> Metric:
    """Parse and check a metric against a scenario's ``nations``, ``labs`` and (start, end)
    ``years``; ValueError says what is wrong, with a "did you mean"."""
    text = canonical(text)
    mid, *raw = text.split(":")
    if mid not in METRICS:
        hint = did_you_mean(mid, METRICS) or " (see sputnik metrics)"
        raise ValueError(f"unknown metric '{mid}'{hint}")
    d = METRICS[mid]
    if len(raw) not in (len(d.args), len(d.args) + int(d.per_year)):
        usage = ":".join([mid, *d.args, *(["YEAR"] if d.per_year else [])])
        raise ValueError(f"'{mid}' takes {len(d.args)} argument(s): {usage}")
    args: list[Any] = []
    for kind, a in zip(d.args, raw, strict=False):
        args.append(_check_arg(mid, kind, a, nations, labs))
    year = None
    if len(raw) > len(d.args):
        year = _check_year(raw[-1], years)
    return Metric(text, mid, tuple(args), year)


def _check_arg(mid: str, kind: str, a: str, nations: Sequence[str], labs: Sequence[str]) -> Any:
    if kind == "number":
        try:
            return float(a)
        except ValueError:
            raise ValueError(f"{mid}: '{a}' is not a number") from None
    nation_ok = mid in NATION_COLUMNS or kind == "nation"
    lab_ok = kind == "actor" and mid in LAB_COLUMNS
    if a.endswith(LAB_SUFFIX) and lab_ok and a.removesuffix(LAB_SUFFIX) in labs:
        return a
    if (nation_ok and a in nations) or (lab_ok and a in labs):
        return a
    # Name the kind of id the user probably meant: the one with a close match.
    for ok, what, ids in ((nation_ok, "nation", nations), (lab_ok, "lab", labs)):
        hint = did_you_mean(a, ids) if ok else ""
        if hint:
            return _raise(f"{what} '{a}' is not defined{hint}")
    if nation_ok and lab_ok:
        _raise(f"'{a}' is neither a nation nor a lab in this scenario")
    what, ids = ("nation", nations) if nation_ok else ("lab", labs)
    _raise(f"{what} '{a}' is not defined ({what}s: {', '.join(ids)})")


def _raise(message: str) -> Any:
    raise ValueError(message)


def _check_year(raw: str, years: tuple[int, int] | None) -> int | None:
    if raw == END:
        return years[1] if years else None
    y = int(raw) if raw.isdigit() else None
    if y is None or (years is not None and not years[0] <= y <= years[1]):
        span = f" {years[0]}-{years[1]}" if years else ""
        raise ValueError(f"year '{raw}' is outside the simulated years{span} (or use '{END}')")
    return y


def for_scenario(text: str, scenario: Scenario) -> Metric:
    """:func:`parse` against a scenario's nations, labs and horizon."""
    h = scenario.horizon
    return parse(text, list(scenario.nations), list(scenario.labs), (h.start_year, h.end_year))


def column_name(text: str) -> str:
    """A metric's column name in tables (sweep outcomes): ``lag_months:china:2030`` ->
    ``lag_months_china_2030``."""
    return text.replace(":", "_").replace(".", "p").replace("-", "m")


def describe() -> list[tuple[str, str, str]]:
    """(usage, unit, meaning) of every metric, for docs and help."""
    return [
        (":".join([d.id, *d.args, *(["[YEAR]"] if d.per_year else [])]), d.unit, d.doc)
        for d in METRICS.values()
    ]


# --- evaluation --------------------------------------------------------------------------------


class ResultView:
    """A :class:`View` of a finished run's tables."""

    def __init__(self, result: Result):
        self.result = result
        self._cache: dict[tuple[str, str, str | None], Yearly] = {}

    def column(self, table: str, column: str, key: str | None) -> Yearly:
        """``column`` of ``table`` for agent ``key``, by year (empty if absent)."""
        hit = self._cache.get((table, column, key))
        if hit is None:
            df = getattr(self.result, table)
            if key is not None:
                df = df[df[{"nations": "nation", "labs": "lab"}[table]] == key]
            hit = dict(zip(df["year"].tolist(), df[column].astype(float).tolist(), strict=True))
            self._cache[(table, column, key)] = hit
        return hit

    def is_nation(self, key: str) -> bool:
        """True if the run has a nation ``key``."""
        return key in self.nations

    @property
    def nations(self) -> set[str]:
        """The run's nation ids."""
        return set(self.result.nations["nation"])

    def sputnik_year(self) -> float | None:
        """From the manifest."""
        y = (self.result.manifest.get("sputnik_moment") or {}).get("year")
        return None if y is None else float(y)


class ModelView:
    """A :class:`View` of a live model: its records so far, and its live capability scores."""

    def __init__(self, model: ComputeRaceModel):
        self.model = model

    def column(self, table: str, column: str, key: str | None) -> Yearly:
        """``column`` of the records so far for agent ``key``, by year."""
        m = self.model
        if table == "years":
            return {r.year: float(getattr(r, column)) for r in m.year_rows}
        if table == "nations":
            return {r.year: float(getattr(r, column)) for r in m.nation_rows if r.nation == key}
        return {r.year: float(getattr(r, column)) for r in m.lab_rows if r.lab == key}

    def is_nation(self, key: str) -> bool:
        """True if the model has a nation ``key``."""
        return key in self.model.nations

    def sputnik_year(self) -> float | None:
        """The first Sputnik moment so far."""
        y = self.model.sputnik_year
        return None if y is None else float(y)


def evaluate(view: View, metric: Metric) -> Yearly | float | None:
    """A parsed metric over any :class:`View`: a dict of values by year, or one value for the
    run."""
    return metric.definition.compute(view, *metric.args)


def series(result: Result, text: str) -> pd.Series:
    """The metric by year over a finished run (index ``year``)."""
    import pandas as pd

    m = _parse_for(result, text)
    got = evaluate(ResultView(result), m)
    if not isinstance(got, dict):
        raise ValueError(f"'{m.id}' has one value per run, not one per year")
    return pd.Series(got, name=m.text, dtype=float).rename_axis("year")


def value(source: Result | ComputeRaceModel, text: str) -> Any:
    """One value of a metric: over a finished run, in its year (the last year if none given; nan
    if unknown); over a live model, now or in its year (None if not known yet)."""
    from sim.results import Result

    if isinstance(source, Result):
        m = _parse_for(source, text)
        got = _pick(evaluate(ResultView(source), m), m.year, None)
        return math.nan if got is None else float(got)
    return live_value(source, text)


def live_value(model: ComputeRaceModel, text: str) -> Any:
    """A metric (or a dotted parameter path) on a live model, now or in its year."""
    text = canonical(text)
    if text == "year":
        return model.year
    if is_parameter(text):
        try:
            return model.get_param(text)
        except (AttributeError, KeyError):
            return None
    m = parse(text, list(model.nations), list(model.lab_by_key))
    if m.year is None and m.definition.now is not None:
        return m.definition.now(model, *m.args)
    return _pick(evaluate(ModelView(model), m), m.year, None)


def _pick(got: Yearly | float | None, year: int | None, default: float | None) -> float | None:
    if not isinstance(got, dict):
        return got
    if year is None:
        return got[max(got)] if got else default
    return got.get(year, default)


def _parse_for(result: Result, text: str) -> Metric:
    nations = list(dict.fromkeys(result.nations["nation"]))
    labs = list(dict.fromkeys(result.labs["lab"]))
    yrs = result.years["year"]
    span = (int(yrs.min()), int(yrs.max())) if len(yrs) else None
    return parse(text, nations, labs, span)


def values(source: Result | ComputeRaceModel, metrics: Sequence[Metric]) -> list[float]:
    """Each parsed metric's value over one finished run, given as its result or as the model
    that ran (same order; nan where unknown)."""
    from sim.results import Result

    view: View = ResultView(source) if isinstance(source, Result) else ModelView(source)
    out = []
    for m in metrics:
        got = _pick(evaluate(view, m), m.year, None)
        out.append(math.nan if got is None else float(got))
    return out
