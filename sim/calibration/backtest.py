"""Back-test: run ``history-2020`` and compare it year by year with Epoch AI data for 2020-2024.

Compared quantities (model vs data):

- **Largest training run** (FLOP) per year, worldwide and per nation: the model's
  ``nations.largest_run_flop`` (its max over nations for the world) against the largest run
  published that year in ``frontier_runs_2020_2024.csv``.
- **Compute shipped since 2022** (H100e): Epoch's chip counts are *cumulative shipments*, not a
  depreciated stock, so they are compared with the model's cumulative purchases from the chip-flow
  table (new chips only: rented capacity abroad is not a shipment), summed from 2022:
  all Nvidia chips (``nvidia_cum_h100e``), Nvidia chips bought legally or under licence by China
  (``china_nvidia_cum``) and all US vendors' chips (``global_tracked``; Epoch tracks TPUs from 2023
  and AMD/Trainium only in 2024, so earlier years of that series are lower bounds).
- **Stock by nation at end-2024** (H100e, depreciated, owned plus rented): against the baseline's
  start-2025 stocks, which split Epoch's tracked 6.5M H100e among nations (a derived figure, so
  this row checks that the history run arrives where the baseline starts).

Errors are in orders of magnitude, ``log10(model / data)``, and in percent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.calibration.simulators import LEGAL_CHANNELS, NEW_CHIP_CHANNELS

DATA_DIR = Path(__file__).with_name("data")
RUNS_CSV = DATA_DIR / "frontier_runs_2020_2024.csv"
STOCK_CSV = DATA_DIR / "compute_stock_2022_2024.csv"
ATTRIBUTION = (
    "Data: Epoch AI (CC BY 4.0), All ML Systems snapshot 2025-06 and AI chip counts 2026-03"
)
US_VENDORS = ("nvidia", "amd", "tpu")
STOCK_YEAR = 2024  # the history run's end-2024 stock meets the baseline's start-2025 stock
COLUMNS = ("metric", "region", "year", "data", "model", "error_oom", "error_pct", "note")

# The model folds Google DeepMind into its US "google" lab, so DeepMind's UK runs count for the USA.
ORG_NATION = {"deepmind": "usa"}
COUNTRY_NATION = (
    ("USA", "usa"),
    ("China", "china"),
    ("United Arab Emirates", "gulf"),
    ("Saudi Arabia", "gulf"),
    ("France", "eu"),
    ("Germany", "eu"),
)


@dataclass
class Backtest:
    """A back-test: the comparison table, the model run and the data used."""

    table: pd.DataFrame
    result: Any  # sim.Result
    runs: pd.DataFrame
    stock: pd.DataFrame

    def score(self) -> float:
        """Root-mean-square error in orders of magnitude over every compared value."""
        return rms_oom(self.table)


def nation_of(country: str, org: str) -> str:
    """Model nation for an Epoch run: by organisation where the model folds it, else by country."""
    low = org.lower()
    for key, nation in ORG_NATION.items():
        if key in low:
            return nation
    countries = [c.strip() for c in country.split(",")]
    for name, nation in COUNTRY_NATION:
        if name in countries:
            return nation
    return "rest"


def load_runs(path: Path = RUNS_CSV) -> pd.DataFrame:
    """Notable training runs with year and model nation."""
    df = pd.read_csv(path, comment="#")
    dates = pd.to_datetime(df["date"])
    df["year"] = dates.dt.year
    df["t"] = df["year"] + (dates.dt.day_of_year - 1) / 365.25  # fractional year, for plotting
    df["nation"] = [
        nation_of(str(c), str(o)) for c, o in zip(df["country"], df["org"], strict=True)
    ]
    return df[["model", "org", "nation", "year", "t", "train_flop", "confidence"]]


def load_stock(path: Path = STOCK_CSV) -> pd.DataFrame:
    """Epoch chip counts (cumulative H100e shipped since 2022) with a ``year`` column."""
    df = pd.read_csv(path, comment="#")
    df["year"] = pd.to_datetime(df["end"], format="%m/%d/%Y").dt.year
    return df


def _err(model: float, data: float) -> tuple[float, float]:
    if model > 0 and data > 0:
        return math.log10(model / data), 100.0 * (model / data - 1.0)
    return math.nan, math.nan


def compare(result: Any, runs: pd.DataFrame, stock: pd.DataFrame) -> pd.DataFrame:
    """The model-vs-data table for one run (rows only for years both cover)."""
    nations = result.nations
    years = set(nations["year"])
    rows: list[tuple] = []
    largest = nations.pivot(index="year", columns="nation", values="largest_run_flop")
    for year, grp in runs.groupby("year"):
        if year not in years:
            continue
        top = grp.loc[grp["train_flop"].idxmax()]
        m = float(largest.loc[year].max())
        rows.append(
            (
                "largest run FLOP",
                "world",
                year,
                float(top["train_flop"]),
                m,
                *_err(m, float(top["train_flop"])),
                f"{top['model']} ({top['confidence']})",
            )
        )
        for nation, ng in grp.groupby("nation"):
            if nation not in largest.columns or nation == "rest":
                continue
            top = ng.loc[ng["train_flop"].idxmax()]
            m = float(largest.loc[year, nation])
            rows.append(
                (
                    "largest run FLOP",
                    nation,
                    year,
                    float(top["train_flop"]),
                    m,
                    *_err(m, float(top["train_flop"])),
                    f"{top['model']} ({top['confidence']})",
                )
            )
    flows = result.flows
    new = flows[flows["channel"].isin(NEW_CHIP_CHANNELS) & (flows["year"] >= 2022)]
    series = {
        "nvidia": new[new["vendor"] == "nvidia"],
        "china": new[
            (new["vendor"] == "nvidia")
            & (new["buyer"] == "china")
            & new["channel"].isin(LEGAL_CHANNELS)
        ],
        "us vendors": new[new["vendor"].isin(US_VENDORS)],
    }
    spec = (
        ("nvidia", "nvidia_cum_h100e", "all Nvidia shipments"),
        ("china", "china_nvidia_cum", "legal + licensed Nvidia to China"),
        ("us vendors", "global_tracked", "Nvidia+AMD+TPU; Epoch adds TPU 2023, AMD/Trainium 2024"),
    )
    for region, column, note in spec:
        by_year = series[region].groupby("year")["h100e"].sum()
        for _, srow in stock.iterrows():
            year = int(srow["year"])
            if year not in years:
                continue
            m = float(by_year[by_year.index <= year].sum())
            d = float(srow[column])
            rows.append(("H100e shipped since 2022", region, year, d, m, *_err(m, d), note))
    rows += _stock_vs_baseline(nations)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return table.sort_values(["metric", "region", "year"], kind="stable").reset_index(drop=True)


def baseline_stocks(reference: str = "baseline") -> dict[str, float]:
    """Start-2025 compute by nation in the reference scenario (its labs' ``compute_h100e``).

    The baseline splits Epoch's tracked 6.5M H100e at end-2024 among nations and labs (derivation
    in ``scenarios/baseline.toml``), so these are data-derived rather than raw data.
    """
    from sim.config.loader import load_scenario

    scen = load_scenario(reference)
    out: dict[str, float] = {}
    for lab in scen.labs.values():
        out[lab.nation] = out.get(lab.nation, 0.0) + lab.compute_h100e
    return out


def _stock_vs_baseline(nations: pd.DataFrame, year: int = STOCK_YEAR) -> list[tuple]:
    """The history run's end-2024 stock by nation against the baseline's start-2025 stock."""
    at = nations[nations["year"] == year].set_index("nation")
    if at.empty:
        return []
    rows = []
    for nation, d in baseline_stocks().items():
        if nation in at.index:
            m = float(at.loc[nation, "compute_h100e"])
            rows.append(
                (
                    "H100e stock end-2024",
                    nation,
                    year,
                    d,
                    m,
                    *_err(m, d),
                    "baseline start-2025 stock (Epoch split, baseline.toml)",
                )
            )
    return rows


def rms_oom(table: pd.DataFrame) -> float:
    """Root-mean-square of the finite OOM errors (inf when there are none).

    The per-nation US largest-run rows are left out: they repeat the world rows every year (the
    US ran the largest run each year), and counting them twice would overweight them.
    """
    keep = ~((table["metric"] == "largest run FLOP") & (table["region"] == "usa"))
    e = table.loc[keep, "error_oom"].dropna()
    return float(math.sqrt((e**2).mean())) if len(e) else math.inf


def run_backtest(
    scenario: str = "history-2020", seed: int = 0, overrides: dict[str, Any] | None = None
) -> Backtest:
    """Run the history scenario and compare it with the shipped Epoch AI data."""
    import sim

    result = sim.run(scenario, seed=seed, overrides=overrides)
    runs, stock = load_runs(), load_stock()
    return Backtest(compare(result, runs, stock), result, runs, stock)


def format_table(bt: Backtest) -> str:
    """Plain-text table of model vs data with errors, plus the RMS error and attribution."""
    t = bt.table
    head = f"{'metric':<25} {'region':<10} {'year':>4} {'data':>10} {'model':>10} {'err OOM':>8} {'err %':>8}  note"
    lines = [
        f"Back-test of '{bt.result.scenario_id}' (seed {bt.result.manifest['seed']}) against Epoch AI data",
        head,
        "-" * len(head),
    ]
    for r in t.itertuples(index=False):
        pct = f"{r.error_pct:+8.0f}" if math.isfinite(r.error_pct) else f"{'n/a':>8}"
        oom = f"{r.error_oom:+8.2f}" if math.isfinite(r.error_oom) else f"{'n/a':>8}"
        lines.append(
            f"{r.metric:<25} {r.region:<10} {r.year:>4} {r.data:>10.3g} {r.model:>10.3g} {oom} {pct}  {r.note}"
        )
    by = t.groupby("metric")["error_oom"].apply(
        lambda e: math.sqrt((e.dropna() ** 2).mean()) if e.notna().any() else math.nan
    )
    lines.append("-" * len(head))
    for metric, v in by.items():
        lines.append(f"RMS error, {metric}: {v:.2f} OOM")
    lines.append(f"RMS error, all rows: {bt.score():.2f} OOM")
    lines.append(ATTRIBUTION)
    return "\n".join(lines)


def write_outputs(bt: Backtest, out: Path) -> list[Path]:
    """Write ``backtest.csv`` (the table) and ``backtest.png`` (data points over model lines)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv = write_attributed(bt.table, out / "backtest.csv")
    png = out / "backtest.png"
    plot(bt, png)
    return [csv, png]


def write_attributed(table: pd.DataFrame, path: Path, **to_csv: Any) -> Path:
    """A CSV whose first line credits the data (``# Data: Epoch AI (CC BY 4.0) ...``)."""
    with Path(path).open("w") as fh:
        fh.write(f"# {ATTRIBUTION}\n")
        table.to_csv(fh, index=False, **to_csv)
    return Path(path)


NATION_COLOURS = {
    "usa": "tab:blue",
    "china": "tab:red",
    "eu": "tab:green",
    "gulf": "tab:orange",
    "rest": "tab:gray",
}


def plot(bt: Backtest, path: Path) -> None:
    """Two panels: largest runs (Epoch points over model lines) and cumulative shipments."""
    from sim.plotting import pyplot

    plt = pyplot()

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5))
    largest = bt.result.nations.pivot(index="year", columns="nation", values="largest_run_flop")
    last = int(bt.stock["year"].max())
    largest = largest[largest.index <= last]
    mid = largest.index + 0.5  # the model's year-y flagship run is plotted mid-year
    for nation in largest.columns:
        ax1.plot(
            mid,
            largest[nation],
            "-",
            color=NATION_COLOURS.get(nation, "k"),
            label=f"model {nation}",
        )
    ax1.plot(mid, largest.max(axis=1), "k--", lw=1, label="model world max")
    for nation, grp in bt.runs.groupby("nation"):
        ax1.scatter(
            grp["t"],
            grp["train_flop"],
            color=NATION_COLOURS.get(nation, "k"),
            marker="o",
            edgecolor="k",
            zorder=3,
            label=f"Epoch {nation}",
        )
    ax1.set_yscale("log")
    ax1.set_xlabel("year")
    ax1.set_ylabel("largest training run (FLOP)")
    ax1.set_title("Largest training runs: Epoch AI points, model lines")
    ax1.legend(fontsize=7, ncol=2)
    t = bt.table[bt.table["metric"] == "H100e shipped since 2022"]
    colours = {"nvidia": "tab:green", "china": "tab:red", "us vendors": "tab:blue"}
    for region, grp in t.groupby("region"):
        c = colours.get(region, "k")
        ax2.plot(grp["year"], grp["model"], "-", color=c, label=f"model {region}")
        ax2.scatter(
            grp["year"], grp["data"], color=c, edgecolor="k", zorder=3, label=f"Epoch {region}"
        )
    ax2.set_yscale("log")
    ax2.set_xlabel("year (end)")
    ax2.set_xticks(sorted(int(y) for y in t["year"].unique()))
    ax2.set_ylabel("H100e shipped since 2022 (cumulative)")
    ax2.set_title("Compute shipped: Epoch AI points, model lines")
    ax2.legend(fontsize=7)
    fig.text(
        0.01,
        0.01,
        f"{ATTRIBUTION}. Model: scenario {bt.result.scenario_id}, seed {bt.result.manifest['seed']}.",
        fontsize=7,
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
