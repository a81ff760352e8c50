"""Adapters from the model to the ``simulate(params, seed) -> {target_id: value}`` contract.

:class:`ModelSimulator` runs a history scenario (``history-2020``) with parameter overrides and
reads every calibration target the model's tables can express (:data:`QUANTITIES`): largest runs
and their growth, Nvidia compute shipped (world, China, tracked vendors), China's legal purchases
and shares, Nvidia's China revenue share, China's lag, capex, lab revenue, Huawei output, the
smuggled share, algorithmic and price-performance trends, the flagship share and, where the model
records power, data-centre electricity. A quantity declares the table columns it needs, so a model
without a column simply does not offer that target (:func:`supported`), and the mapping is read
from the public :class:`sim.Result` tables only.

The same mapping gives the ensemble's out-of-sample predictions (a target id with year 2025).
:class:`BacktestSimulator` is the earlier interim adapter over the back-test table (19 targets).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.calibration.targets import Target
    from sim.results import Result

# back-test (metric, region) -> target (quantity, region)
BACKTEST_ROWS = {
    ("largest run FLOP", "world"): ("largest_run_flop", "world"),
    ("largest run FLOP", "usa"): ("largest_run_flop", "usa"),
    ("largest run FLOP", "china"): ("largest_run_flop", "china"),
    ("H100e shipped since 2022", "nvidia"): ("nvidia_cum_h100e", "world"),
    ("H100e shipped since 2022", "china"): ("nvidia_cum_h100e", "china"),
}

# Shipment series count new chips only (rented capacity abroad is not a shipment) from 2022, the
# start of Epoch's chip counts; China's Nvidia series counts legal and licensed sales only.
SHIPPED_FROM = 2022
NEW_CHIP_CHANNELS = ("legal", "licensed", "smuggled")
LEGAL_CHANNELS = ("legal", "licensed")
TRACKED_VENDORS = ("nvidia", "amd", "tpu")
# Target regions that name an organisation the model folds into one of its agents.
LAB_OF = {"openai": "stargate"}
VENDOR_OF = {"china": "huawei"}  # domestic_chip_output:china is Huawei's Ascend output
HOURS_PER_YEAR = 8766.0

Spec = tuple[str, str, int, int | None]  # quantity, region, year, first year of a window


class Tables:
    """Per-year lookups over one run's tables, built once per run and shared by the quantities.

    Plain dictionaries: a pandas lookup costs ~50x more, and history matching reads ~40 values
    from each of thousands of runs.
    """

    KEYS = {"nations": "nation", "labs": "lab", "vendors": "vendor"}

    def __init__(self, result: Result):
        self.result = result
        self._cols: dict[tuple[str, str], dict[tuple[str, int], float]] = {}

    def column(self, table: str, column: str) -> dict[tuple[str, int], float]:
        """``{(agent, year): value}`` of one column of the nations, labs or vendors table."""
        key = (table, column)
        if key not in self._cols:
            df = getattr(self.result, table)
            if df.empty or column not in df.columns:
                self._cols[key] = {}
            else:
                agents = zip(df[self.KEYS[table]].tolist(), df["year"].tolist(), strict=True)
                self._cols[key] = dict(zip(agents, df[column].tolist(), strict=True))
        return self._cols[key]

    def nation(self, column: str, nation: str, year: int) -> float:
        """``column`` of ``nation`` in ``year`` (nan if absent)."""
        return float(self.column("nations", column).get((nation, year), math.nan))

    def world_max(self, column: str, year: int) -> float:
        """Largest value of ``column`` over nations in ``year``."""
        vals = [v for (_, y), v in self.column("nations", column).items() if y == year]
        return float(max(vals)) if vals else math.nan

    def lab(self, column: str, lab: str, year: int) -> float:
        """``column`` of ``lab`` in ``year`` (nan if absent)."""
        return float(self.column("labs", column).get((LAB_OF.get(lab, lab), year), math.nan))

    def vendor(self, column: str, vendor: str, year: int) -> float:
        """``column`` of ``vendor`` in ``year`` from the vendors table (nan if absent)."""
        return float(self.column("vendors", column).get((vendor, year), math.nan))

    def frontier_efficiency(self, year: int) -> float:
        """The best lab's algorithmic efficiency in ``year``."""
        vals = [v for (_, y), v in self.column("labs", "efficiency").items() if y == year]
        return float(max(vals)) if vals else math.nan

    @cached_property
    def _years(self) -> set[int]:
        return set(self.result.years["year"].tolist())

    @cached_property
    def _flows(self) -> dict[str, Any]:
        """The flows table's columns as numpy arrays (queries below are a few masks each)."""
        f = self.result.flows
        return {
            c: f[c].to_numpy()
            for c in ("year", "vendor", "buyer", "channel", "h100e", "revenue_usd")
        }

    def flow(
        self,
        column: str,
        year_from: int,
        year: int,
        vendors: Iterable[str] | None = None,
        buyer: str | None = None,
        channels: Iterable[str] = NEW_CHIP_CHANNELS,
    ) -> float:
        """Sum of ``column`` over flows of ``year_from``..``year`` (nan if the run misses a year)."""
        import numpy as np

        f = self._flows
        if not all(y in self._years for y in range(year_from, year + 1)):
            return math.nan
        keep = (
            (f["year"] >= year_from) & (f["year"] <= year) & np.isin(f["channel"], list(channels))
        )
        if vendors is not None:
            keep &= np.isin(f["vendor"], list(vendors))
        if buyer is not None:
            keep &= f["buyer"] == buyer
        return float(f[column][keep].sum())


def _growth(first: float, last: float, years: int) -> float:
    """Average growth factor per year (nan for a non-positive start or an empty window)."""
    if years <= 0 or not (first > 0 and last > 0):
        return math.nan
    return (last / first) ** (1.0 / years)


def _window(year: int, year_start: int | None) -> int:
    return year_start if year_start is not None else year - 1


def _largest_run(t: Tables, region: str, year: int, _ys: int | None) -> float:
    if region == "world":
        return t.world_max("largest_run_flop", year)
    return t.nation("largest_run_flop", region, year)


def _largest_run_growth(t: Tables, region: str, year: int, ys: int | None) -> float:
    start = _window(year, ys)
    return _growth(
        _largest_run(t, region, start, None), _largest_run(t, region, year, None), year - start
    )


def _nvidia_cum(t: Tables, region: str, year: int, _ys: int | None) -> float:
    if region == "world":
        return t.flow("h100e", SHIPPED_FROM, year, ["nvidia"])
    return t.flow("h100e", SHIPPED_FROM, year, ["nvidia"], region, LEGAL_CHANNELS)


def _tracked_cum(t: Tables, region: str, year: int, _ys: int | None) -> float:
    if region != "world":
        return math.nan
    return t.flow("h100e", SHIPPED_FROM, year, TRACKED_VENDORS)


def _nvidia_purchases(t: Tables, region: str, year: int, _ys: int | None) -> float:
    return t.flow("h100e", year, year, ["nvidia"], region, LEGAL_CHANNELS)


def _nvidia_cum_share(t: Tables, region: str, year: int, _ys: int | None) -> float:
    world = _nvidia_cum(t, "world", year, None)
    return _nvidia_cum(t, region, year, None) / world if world > 0 else math.nan


def _nvidia_revenue_share(t: Tables, region: str, year: int, _ys: int | None) -> float:
    # revenue billed to the region: its legal and licensed purchases (smuggled chips are billed
    # elsewhere); the denominator is every Nvidia sale that year, rented capacity included
    total = t.flow(
        "revenue_usd", year, year, ["nvidia"], channels=("legal", "licensed", "smuggled")
    )
    part = t.flow("revenue_usd", year, year, ["nvidia"], region, LEGAL_CHANNELS)
    return part / total if total > 0 else math.nan


def _lag(t: Tables, region: str, year: int, ys: int | None) -> float:
    years = range(ys if ys is not None else year, year + 1)
    vals = [t.nation("lag_months", region, y) for y in years]
    return sum(vals) / len(vals)


def _capex(t: Tables, region: str, year: int, _ys: int | None) -> float:
    return t.nation("all_purpose_capex_usd", region, year) / 1e9


def _domestic_output(t: Tables, region: str, year: int, _ys: int | None) -> float:
    return t.vendor("sold_chips", VENDOR_OF.get(region, region), year)


def _nation_col(column: str) -> Callable[[Tables, str, int, int | None], float]:
    def get(t: Tables, region: str, year: int, _ys: int | None) -> float:
        return t.nation(column, region, year)

    return get


def _efficiency_growth(t: Tables, region: str, year: int, ys: int | None) -> float:
    start = _window(year, ys)
    return _growth(t.frontier_efficiency(start), t.frontier_efficiency(year), year - start)


def _price_performance_growth(t: Tables, region: str, year: int, ys: int | None) -> float:
    # FLOP per dollar is the inverse of the price per H100e, so it grows as the price falls
    start = _window(year, ys)
    return _growth(
        t.vendor("price_per_h100e_usd", "nvidia", year),
        t.vendor("price_per_h100e_usd", "nvidia", start),
        year - start,
    )


def _lab_revenue(t: Tables, region: str, year: int, _ys: int | None) -> float:
    return t.lab("revenue_usd", region, year) / 1e9


def _flagship_share(t: Tables, region: str, year: int, _ys: int | None) -> float:
    # the largest run's cluster as a share of its lab's R&D compute (what is left for training
    # and experiments after serving), the target's denominator; not of the whole fleet
    runs = {lab: v for (lab, y), v in t.column("labs", "training_flop").items() if y == year}
    if not runs:
        return math.nan
    top = max(runs, key=runs.__getitem__)
    rnd = t.lab("training_h100e", top, year)
    return t.lab("cluster_h100e", top, year) / rnd if rnd > 0 else 0.0


def _dc_electricity(t: Tables, region: str, year: int, _ys: int | None) -> float:
    return t.nation("all_datacentre_power_gw", region, year) * HOURS_PER_YEAR / 1e3


@dataclass(frozen=True)
class Quantity:
    """How a target quantity is read from a run: the columns it needs and the computation."""

    needs: tuple[tuple[str, str], ...]
    compute: Callable[[Tables, str, int, int | None], float]
    doc: str


QUANTITIES: dict[str, Quantity] = {
    "largest_run_flop": Quantity(
        (("nations", "largest_run_flop"),), _largest_run, "nations.largest_run_flop (max: world)"
    ),
    "largest_run_growth": Quantity(
        (("nations", "largest_run_flop"),),
        _largest_run_growth,
        "growth per year of the largest run over the target's window",
    ),
    "nvidia_cum_h100e": Quantity(
        (("flows", "h100e"),),
        _nvidia_cum,
        "new Nvidia H100e shipped since 2022 (China: legal and licensed)",
    ),
    "tracked_cum_h100e": Quantity(
        (("flows", "h100e"),), _tracked_cum, "new Nvidia, AMD and TPU H100e shipped since 2022"
    ),
    "nvidia_purchases_h100e": Quantity(
        (("flows", "h100e"),), _nvidia_purchases, "legal and licensed Nvidia H100e bought that year"
    ),
    "nvidia_cum_share": Quantity(
        (("flows", "h100e"),),
        _nvidia_cum_share,
        "region's share of Nvidia H100e shipped since 2022",
    ),
    "nvidia_revenue_share": Quantity(
        (("flows", "revenue_usd"),),
        _nvidia_revenue_share,
        "Nvidia revenue from the region's legal and licensed purchases / all Nvidia sales",
    ),
    "lag_months": Quantity(
        (("nations", "lag_months"),), _lag, "nations.lag_months, mean over the target's window"
    ),
    # The capex targets are big tech's capex for all purposes (non-AI cloud, networks, shells for
    # later years; the US rows also count spending abroad and leases by some definitions). The
    # model records AI capex as filings book it (nations.ai_capex_usd: chips for owned fleets plus
    # data centres paid while they are built) but the sources give no AI share of that capex, only
    # the accelerators' share of all data-centre capex (Dell'Oro ~1/3, 2025; Alphabet ~60% on
    # servers: facts-2 section 2), which maps chips, not AI capex. So the quantity asks for a column
    # no table has and the targets are skipped with that reason. Read beside them: US ai_capex is
    # -0.53/-0.67 OOM under the 2023/2024 rows (history-2020) and -0.32 to -0.39 OOM under the
    # $380-440B of 2025 (baseline; docs/model.md section 6).
    "capex_usd": Quantity(
        (("nations", "all_purpose_capex_usd"),),
        _capex,
        "big tech capex for all purposes, $B (the model records AI capex only, "
        "nations.ai_capex_usd, and no sourced AI share maps one to the other: not expressed)",
    ),
    "domestic_chip_output": Quantity(
        (("vendors", "sold_chips"),), _domestic_output, "Huawei's chips sold (vendors.sold_chips)"
    ),
    "smuggled_share": Quantity(
        (("nations", "smuggled_share"),),
        _nation_col("smuggled_share"),
        "nations.smuggled_share",
    ),
    "algorithmic_efficiency_growth": Quantity(
        (("labs", "efficiency"),),
        _efficiency_growth,
        "growth per year of the best lab's algorithmic efficiency",
    ),
    "price_performance_growth": Quantity(
        (("vendors", "price_per_h100e_usd"),),
        _price_performance_growth,
        "fall per year of Nvidia's price per H100e",
    ),
    "lab_revenue_usd": Quantity(
        (("labs", "revenue_usd"),), _lab_revenue, "labs.revenue_usd (OpenAI = stargate), $B"
    ),
    "flagship_share": Quantity(
        (("labs", "cluster_h100e"), ("labs", "training_flop"), ("labs", "training_h100e")),
        _flagship_share,
        "cluster of the year's largest run / its lab's R&D compute (fleet less serving)",
    ),
    # All-data-centre electricity (the targets' definition) needs the non-AI load, which the model
    # does not simulate: it records AI power only (nations.power_used_gw). The quantity asks for a
    # column no table has, so the targets are skipped with that reason rather than compared
    # with a number that means something else.
    "dc_electricity_twh": Quantity(
        (("nations", "all_datacentre_power_gw"),),
        _dc_electricity,
        "all data centres' load x 8,766 h (the model records AI power only: not expressed)",
    ),
}


def spec_of(target: Target) -> Spec:
    """The (quantity, region, year, year_start) a target asks for."""
    return (target.quantity, target.region, target.year, target.year_start)


def spec_id(spec: Spec) -> str:
    """``quantity:region:year``, the target id of a spec."""
    return f"{spec[0]}:{spec[1]}:{spec[2]}"


def offered(result: Result) -> set[str]:
    """Quantities whose columns this run's tables carry."""
    return {
        q
        for q, spec in QUANTITIES.items()
        if all(col in getattr(result, table).columns for table, col in spec.needs)
    }


def target_values(result: Result, specs: Iterable[Spec]) -> dict[str, float]:
    """Model values keyed by target id (nan where the run cannot express one)."""
    t = Tables(result)
    have = offered(result)
    out: dict[str, float] = {}
    for spec in specs:
        q = QUANTITIES.get(spec[0])
        if q is None or spec[0] not in have:
            out[spec_id(spec)] = math.nan
            continue
        try:
            v = float(q.compute(t, spec[1], spec[2], spec[3]))
        except (KeyError, ValueError, ZeroDivisionError):
            v = math.nan
        out[spec_id(spec)] = v
    return out


def supported(
    targets: Sequence[Target], scenario: str = "history-2020"
) -> tuple[list[Target], list[tuple[str, str]]]:
    """Split targets into those the model can compute and ``(id, reason)`` for the others.

    One probe run (seed 0) tells which columns the tables carry and which ids come out finite.
    """
    import sim

    probe = sim.run(scenario, seed=0)
    have = offered(probe)
    values = target_values(probe, [spec_of(t) for t in targets if t.quantity in have])
    kept, skipped = [], []
    for t in targets:
        if t.quantity not in QUANTITIES:
            skipped.append((t.id, "the model has no such quantity"))
        elif t.quantity not in have:
            need = ", ".join(f"{a}.{b}" for a, b in QUANTITIES[t.quantity].needs)
            skipped.append((t.id, f"the run's tables lack {need}"))
        elif not math.isfinite(values.get(t.id, math.nan)):
            skipped.append((t.id, f"no value for region '{t.region}' or year {t.year} in a run"))
        else:
            kept.append(t)
    return kept, skipped


_SCENARIOS: dict[tuple[str, int | None], Any] = {}


def _scenario(name: str, end_year: int | None) -> Any:
    """The scenario, loaded once per process (workers reuse it run after run)."""
    key = (name, end_year)
    if key not in _SCENARIOS:
        from sim.config.loader import load_scenario

        over = {"horizon.end_year": end_year} if end_year is not None else None
        _SCENARIOS[key] = load_scenario(name, over)
    return _SCENARIOS[key]


@dataclass(frozen=True)
class ModelSimulator:
    """``simulate(params, seed) -> {target_id: value}`` over a history scenario; picklable.

    ``specs`` are the targets to read (:func:`spec_of`); ``params`` are dotted override paths.
    The run keeps the scenario's own horizon: cutting it at the last fit year would change that
    year (policies announced for later years already act), and the back-test and the 2025
    predictions read the same runs. ``end_year`` is there for quick checks only.
    """

    specs: tuple[Spec, ...]
    scenario: str = "history-2020"
    end_year: int | None = None

    @classmethod
    def for_targets(
        cls, targets: Sequence[Target], scenario: str = "history-2020"
    ) -> ModelSimulator:
        """A simulator reading ``targets`` from runs of ``scenario``."""
        return cls(tuple(spec_of(t) for t in targets), scenario)

    def __call__(self, params: dict[str, float], seed: int) -> dict[str, float]:
        """Run the scenario with ``params`` as overrides; model values keyed by target id.

        A parameter set the scenario refuses (a cross-check fails) or whose run produces a NaN
        gives no values, so history matching rules it out instead of stopping (its means are
        missing in ``runs.parquet``).
        """
        from sim.config.loader import ScenarioError
        from sim.errors import InternalError
        from sim.results import run

        try:
            result = run(_scenario(self.scenario, self.end_year), seed=seed, overrides=dict(params))
        except (ScenarioError, InternalError):
            return {}
        return target_values(result, self.specs)


@dataclass(frozen=True)
class BacktestSimulator:
    """``simulate(params, seed)`` over a history scenario; picklable for process executors."""

    scenario: str = "history-2020"

    def __call__(self, params: dict[str, float], seed: int) -> dict[str, float]:
        """Run the scenario with ``params`` as overrides; model values keyed by target id."""
        from sim.calibration.backtest import run_backtest

        table = run_backtest(self.scenario, seed=seed, overrides=dict(params)).table
        out: dict[str, float] = {}
        for r in table.itertuples(index=False):
            key: Any = BACKTEST_ROWS.get((r.metric, r.region))
            if key is not None:
                out[f"{key[0]}:{key[1]}:{r.year}"] = float(r.model)
        return out

    @staticmethod
    def target_ids() -> set[str]:
        """Quantities this adapter can produce (select targets with these)."""
        return {f"{q}:{reg}" for q, reg in BACKTEST_ROWS.values()}


@dataclass(frozen=True)
class TargetExtract:
    """``extract`` for :func:`sim.run_ensemble`: target values of a run, as years by
    ``quantity:region`` (picklable, so pool workers can use it)."""

    specs: tuple[Spec, ...]

    def __call__(self, result: Result) -> tuple[list[int], list[str], Any]:
        """(years, ``quantity:region`` names, values[year, name]) of ``specs``."""
        import numpy as np

        values = target_values(result, self.specs)
        years = sorted({s[2] for s in self.specs})
        names = list(dict.fromkeys(f"{s[0]}:{s[1]}" for s in self.specs))
        out = np.full((len(years), len(names)), np.nan)
        for s in self.specs:
            out[years.index(s[2]), names.index(f"{s[0]}:{s[1]}")] = values[spec_id(s)]
        return years, names, out
