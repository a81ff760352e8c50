"""Analyse a finished sweep directory: summaries, fan charts, Sobol/Morris (SALib), PRIM.

Every function takes the sweep directory (or a DataFrame) and returns a pandas DataFrame, so the
same calls work in notebooks; :func:`analyze` writes CSV tables and PNG charts for the CLI
(charts in :mod:`sim.sweeps.analysis_plots`). Results carry their uncertainty: Sobol indices with
confidence intervals, Morris mu* with sigma, rankings that say when neighbours are not
distinguishable, PRIM boxes that warn when they miss their density target, and outcomes that are
constant across runs flagged instead of plotted.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import metrics
from sim.config.paths import did_you_mean
from sim.errors import UserError

# charts live in analysis_plots; the names stay importable from here
from sim.sweeps.analysis_plots import (
    plot_fan,
    plot_heatmaps,
    plot_morris,
    plot_prim,
    plot_ranking,  # noqa: F401 - re-exported for callers of the old location
    plot_sobol,
)

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
ID_COLS = ("run", "point", "sample", "combo", "replication", "seed", "status", "error")


# --- loading -------------------------------------------------------------------------------


def _dir(path: str | Path) -> Path:
    p = Path(path)
    if not (p / "outcomes.parquet").exists():
        hint = (
            " (the sweep did not finish: run it again with --resume)"
            if (p / "manifest.jsonl").exists()
            else ""
        )
        raise UserError(f"{p}: not a finished sweep directory: outcomes.parquet is missing{hint}")
    return p


def sweep_info(path: str | Path) -> dict[str, Any]:
    """The stored spec (``spec.json``): method, parameters, outcomes, ..."""
    return json.loads((_dir(path) / "spec.json").read_text())["spec"]


def load_outcomes(path: str | Path, ok_only: bool = False) -> pd.DataFrame:
    """The outcome table of a sweep (one row per run); ``ok_only`` drops runs that raised."""
    df = pd.read_parquet(_dir(path) / "outcomes.parquet")
    return df[df["status"] == "ok"].reset_index(drop=True) if ok_only else df


def load_yearly(
    path: str | Path, columns: list[str] | None = None, nation: str | None = None
) -> pd.DataFrame:
    """Yearly nation records (streams from Parquet, reading only ``columns`` and one ``nation``)."""
    import pyarrow.dataset as ds

    f = _dir(path) / "yearly.parquet"
    if not f.exists():
        raise UserError(f"{path}: no yearly records: set keep_yearly = true in the sweep spec")
    d = ds.dataset(f, format="parquet")
    cols = None if columns is None else list(dict.fromkeys(["run", "year", "nation", *columns]))
    flt = ds.field("nation") == nation if nation else None
    return d.to_table(columns=cols, filter=flt).to_pandas()


def parameter_columns(info: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(uncertainty paths, lever paths) of a stored spec."""
    return [p["path"] for p in info["uncertainties"]], [p["path"] for p in info["levers"]]


def outcome_columns(df: pd.DataFrame, info: dict[str, Any]) -> list[str]:
    """Outcome columns of an outcome table."""
    unc, lev = parameter_columns(info)
    return [c for c in df.columns if c not in ID_COLS and c not in unc and c not in lev]


def informative(df: pd.DataFrame, outcomes: list[str]) -> tuple[list[str], list[str]]:
    """(outcomes that vary across successful runs, one note per outcome that carries no information).

    An outcome with a single value in every run (or no value at all) cannot rank parameters or
    separate lever settings; it is reported instead of plotted.
    """
    ok = df[df["status"] == "ok"] if "status" in df.columns else df
    keep, notes = [], []
    for o in outcomes:
        v = ok[o].dropna()
        if v.empty:
            notes.append(f"{o} carries no information: no run produced a value; not analysed")
        elif v.nunique() == 1:
            missing = f", missing in {len(ok) - len(v)}" if len(v) < len(ok) else ""
            notes.append(
                f"{o} carries no information: {v.iloc[0]:.6g} in all {len(v)} runs{missing}; not analysed"
            )
        else:
            keep.append(o)
    return keep, notes


# --- summaries -----------------------------------------------------------------------------


def summarise(
    source: str | Path | pd.DataFrame,
    by: list[str] | None = None,
    info: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Outcome distributions per lever setting (each lever on its own; "all" if no levers).

    Columns: lever, setting, outcome, n, missing, mean, std, p05, p25, p50, p75, p95, errors.
    """
    if isinstance(source, pd.DataFrame):
        df = source
        info = info or {"uncertainties": [], "levers": [{"path": c} for c in (by or [])]}
    else:
        df, info = load_outcomes(source), sweep_info(source)
    levers = by if by is not None else parameter_columns(info)[1]
    outs = outcome_columns(df, info)
    rows = []
    groups: list[tuple[str, Any, pd.DataFrame]] = [("all", "all", df)]
    for lev in levers:
        groups += [(lev, k, g) for k, g in df.groupby(lev, sort=True)]
    for lev, setting, g in groups:
        ok = g[g["status"] == "ok"]
        for o in outs:
            v = ok[o].dropna().to_numpy()
            q = np.quantile(v, QUANTILES) if len(v) else [np.nan] * len(QUANTILES)
            rows.append(
                {
                    "lever": lev,
                    "setting": str(setting),
                    "outcome": o,
                    "n": len(v),
                    "missing": len(ok) - len(v),
                    "mean": float(v.mean()) if len(v) else np.nan,
                    "std": float(v.std(ddof=1)) if len(v) > 1 else np.nan,
                    **{
                        f"p{int(round(p * 100)):02d}": float(x)
                        for p, x in zip(QUANTILES, q, strict=True)
                    },
                    "errors": int((g["status"] != "ok").sum()),
                }
            )
    return pd.DataFrame(rows)


def fan_data(
    path: str | Path, column: str = "lag_months", nation: str = "china", by: str | None = None
) -> pd.DataFrame:
    """Yearly quantiles (5/25/50/75/95%) of a nation column across runs, optionally per lever value."""
    y = load_yearly(path, [column], nation)
    keys = ["year"]
    if by:
        out = load_outcomes(path)[["run", by]]
        y = y.merge(out, on="run", how="left")
        keys = [by, "year"]
    if y.empty:
        raise UserError(f"{path}: no yearly rows for nation '{nation}'")
    q = y.groupby(keys, sort=True)[column].quantile(list(QUANTILES)).unstack()
    q.columns = [f"p{int(round(p * 100)):02d}" for p in q.columns]
    q["n"] = y.groupby(keys, sort=True)[column].count()
    return q.reset_index()


# --- global sensitivity ---------------------------------------------------------------------


def _combo_label(row: pd.Series, levers: list[str]) -> str:
    return ", ".join(f"{k}={row[k]}" for k in levers) if levers else "all"


def _per_sample(
    path: str | Path, method: str
) -> tuple[dict[str, Any], list[str], list[str], list[tuple[str, pd.DataFrame]]]:
    info = sweep_info(path)
    if info["method"] != method:
        raise UserError(
            f'{path}: {method} indices need a sweep sampled with method = "{method}" (this one used "{info["method"]}")'
        )
    df = load_outcomes(path)
    unc, lev = parameter_columns(info)
    outs = outcome_columns(df, info)
    df = df.copy()
    df.loc[df["status"] != "ok", outs] = np.nan
    groups = []
    for _, g in df.groupby("combo", sort=True):
        # average replications per sample first: stochastic noise otherwise inflates interactions
        mean = g.groupby("sample", sort=True)[outs].mean()
        groups.append((_combo_label(g.iloc[0], lev), mean))
    return info, unc, outs, groups


def sobol_from(
    Y: np.ndarray, names: list[str], second_order: bool = False, seed: int = 0
) -> pd.DataFrame:
    """SALib Sobol indices (S1, ST with confidence) of one output of a Saltelli design."""
    from SALib.analyze import sobol

    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # zero-variance outputs divide by zero
        r = sobol.analyze(
            problem,
            np.asarray(Y, dtype=float),
            calc_second_order=second_order,
            seed=seed,
            print_to_console=False,
        )
    return pd.DataFrame(
        {
            "parameter": names,
            "S1": r["S1"],
            "S1_conf": r["S1_conf"],
            "ST": r["ST"],
            "ST_conf": r["ST_conf"],
        }
    )


def _indices_per_outcome(
    path: str | Path, method: str, analyse, columns: list[str]
) -> pd.DataFrame:
    """Run ``analyse(Y, info, unc) -> DataFrame`` for every lever combination and outcome.

    Outcomes with missing values (failed runs, or "never happened") or one constant value are
    skipped; their names and reasons are listed in ``df.attrs["skipped"]``.
    """
    info, unc, outs, groups = _per_sample(path, method)
    frames, skipped = [], []
    for label, mean in groups:
        for o in outs:
            Y = mean[o].to_numpy()
            if np.isnan(Y).any():
                skipped.append(f"{o} ({label}): {int(np.isnan(Y).sum())} samples without a value")
                continue
            if np.ptp(Y) == 0:
                skipped.append(f"{o} ({label}): constant ({Y[0]:.6g}) across samples")
                continue
            f = analyse(Y, info, unc)
            f.insert(0, "outcome", o)
            f.insert(0, "levers", label)
            frames.append(f)
    out = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["levers", "outcome", "parameter", *columns])
    )
    out.attrs["skipped"] = skipped
    return out


def sobol_indices(path: str | Path) -> pd.DataFrame:
    """First-order and total Sobol indices per lever combination, outcome and uncertainty.

    Outcomes with missing values are skipped and listed in ``df.attrs["skipped"]``.
    """
    return _indices_per_outcome(
        path,
        "sobol",
        lambda Y, info, unc: sobol_from(Y, unc, info["second_order"], info["seed"]),
        ["S1", "S1_conf", "ST", "ST_conf"],
    )


def morris_indices(path: str | Path) -> pd.DataFrame:
    """Morris elementary effects (mu, mu_star, sigma) per lever combination, outcome, uncertainty.

    Effects are per full parameter range (inputs are the unit-scaled design), so mu_star ranks
    parameters on a common scale. Outcomes with missing values are skipped (``df.attrs["skipped"]``).
    """
    from SALib.analyze import morris

    X = pd.read_parquet(_dir(path) / "design.parquet")

    def analyse(Y: np.ndarray, info: dict, unc: list[str]) -> pd.DataFrame:
        problem = {"num_vars": len(unc), "names": unc, "bounds": [[0.0, 1.0]] * len(unc)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            r = morris.analyze(
                problem,
                X[unc].to_numpy(),
                Y,
                num_levels=info["levels"],
                seed=info["seed"],
                print_to_console=False,
            )
        return pd.DataFrame(
            {
                "parameter": unc,
                "mu": np.asarray(r["mu"]),
                "mu_star": np.asarray(r["mu_star"]),
                "sigma": np.asarray(r["sigma"]),
                "mu_star_conf": np.asarray(r["mu_star_conf"]),
            }
        )

    return _indices_per_outcome(path, "morris", analyse, ["mu", "mu_star", "sigma", "mu_star_conf"])


# --- scenario discovery --------------------------------------------------------------------

_RULE = re.compile(r"^\s*([A-Za-z0-9_.:\-]+)\s*(<=|>=|<|>|==)\s*(\S+)\s*$")


def parse_rule(
    rule: str, columns: Sequence[str], outcomes: Sequence[str] = ()
) -> tuple[str, str, float]:
    """``"lag_months:china:2030 < 6"`` -> (column, op, value); UserError names the problem.

    The outcome is a metric of :mod:`sim.metrics`, spelled as there (its old spellings log a
    deprecation message); ``columns`` are the sweep's outcome columns. The column name of
    earlier versions (``lag_months_china_2030``) still works but logs a deprecation message that
    names the metric as ``outcomes`` (the spec's list) spell it.
    """
    m = _RULE.match(rule)
    if not m:
        raise UserError(f"--prim {rule!r}: expected 'OUTCOME < VALUE' (operators < <= > >= ==)")
    name, op, val = m.groups()
    col = _rule_column(rule, name, columns, outcomes)
    try:
        return col, op, float(val)
    except ValueError:
        raise UserError(f"--prim {rule!r}: '{val}' is not a number") from None


def _rule_column(rule: str, name: str, columns: Sequence[str], outcomes: Sequence[str]) -> str:
    """The outcome column a rule's ``name`` stands for: a metric, or (deprecated) a column name."""
    text = metrics.canonical(name)  # lag_months.china -> lag_months:china, with its message
    col = metrics.column_name(text)
    if text.split(":", 1)[0] in metrics.METRICS and col in columns:
        return col
    # the spec's outcomes by column, spelled as the metric vocabulary spells them now
    spelled = {metrics.column_name(t): t for t in map(metrics.canonical, outcomes)}
    if name in columns:  # the column name of earlier versions: lag_months_china_2030
        metrics.warn_old_spelling(name, spelled.get(name, "ID:ARG:YEAR"))
        return name
    choices = list(spelled.values()) or list(columns)
    raise UserError(
        f"--prim {rule!r}: no outcome '{text}'" + did_you_mean(text, choices, fallback="outcomes")
    )


def discover(path: str | Path, rule: str, backend: str = "own", **kwargs: Any):  # -> PrimResult
    """PRIM box over the swept parameters for the runs where ``rule`` holds.

    ``backend``: ``"own"`` (:func:`sim.sweeps.prim.prim`) or ``"prim"`` (the maintained ``prim``
    package, optional extra; same selection rule and result type).
    """
    from sim.sweeps.prim import prim, prim_package

    if backend not in ("own", "prim"):
        raise UserError(f"PRIM backend {backend!r} is unknown: choose 'own' or 'prim'")
    info = sweep_info(path)
    df = load_outcomes(path, ok_only=True)
    unc, lev = parameter_columns(info)
    col, op, val = parse_rule(rule, outcome_columns(df, info), info.get("outcomes", ()))
    x = df[col].to_numpy()
    with np.errstate(invalid="ignore"):
        y = {"<": x < val, "<=": x <= val, ">": x > val, ">=": x >= val, "==": x == val}[op]
    params = [c for c in unc + lev if df[c].nunique() > 1]
    if not params:
        raise UserError(f"{path}: PRIM needs at least one swept parameter that varies")
    fn = prim if backend == "own" else prim_package
    return fn(df[params], y, rule=rule.strip(), **kwargs)


# --- rankings and cross-tabs ----------------------------------------------------------------


def ranking(sens: pd.DataFrame, value: str | None = None, top: int = 3) -> pd.DataFrame:
    """Top parameters per lever combination and outcome by ``value`` (ST for Sobol, mu* for Morris).

    Columns: levers, outcome, rank, parameter, value, conf, distinct (False when this parameter's
    interval overlaps the next one's, i.e. the order of the two is not established).
    """
    value = value or ("ST" if "ST" in sens.columns else "mu_star")
    conf = f"{value}_conf"
    rows = []
    for (lev, out), g in sens.groupby(["levers", "outcome"], sort=False):
        g = g.sort_values(value, ascending=False, kind="stable").reset_index(drop=True)
        for k in range(min(top, len(g))):
            c = float(g.loc[k, conf]) if conf in g.columns else np.nan
            distinct = True
            if k + 1 < len(g) and conf in g.columns:
                nxt = g.loc[k + 1]
                distinct = bool(g.loc[k, value] - c > nxt[value] + nxt[conf])
            rows.append(
                {
                    "levers": lev,
                    "outcome": out,
                    "rank": k + 1,
                    "parameter": g.loc[k, "parameter"],
                    "value": float(g.loc[k, value]),
                    "conf": c,
                    "distinct": distinct,
                }
            )
    return pd.DataFrame(
        rows, columns=["levers", "outcome", "rank", "parameter", "value", "conf", "distinct"]
    )


def ranking_text(sens: pd.DataFrame, value: str | None = None, top: int = 3) -> list[str]:
    """One line per outcome (first lever combination): the top parameters with their intervals.

    ``~`` between two names means their confidence intervals overlap (order not established).
    """
    value = value or ("ST" if "ST" in sens.columns else "mu_star")
    r = ranking(sens, value, top)
    if r.empty:
        return []
    first = r[r["levers"] == r["levers"].iloc[0]]
    lines = []
    for out, g in first.groupby("outcome", sort=False):
        parts = []
        for row in g.itertuples():
            ci = f" +-{row.conf:.2g}" if np.isfinite(row.conf) else ""
            sep = "" if row.rank == len(g) else (" >" if row.distinct else " ~")
            parts.append(f"{row.parameter} {row.value:.2g}{ci}{sep}")
        lines.append(f"top parameters for {out} by {value}: " + " ".join(parts))
    return lines


def crosstab(
    source: str | Path | pd.DataFrame,
    outcome: str,
    rows: str,
    cols: str,
    stat: str = "median",
) -> pd.DataFrame:
    """Tidy 2-D table of an outcome's ``stat`` (median, mean, p05, p95) over two levers.

    Columns: outcome, <rows>, <cols>, <stat>, n. Every other swept input is pooled in each cell.
    """
    df = load_outcomes(source, ok_only=True) if not isinstance(source, pd.DataFrame) else source
    if "status" in df.columns:
        df = df[df["status"] == "ok"]
    fns = {
        "median": "median",
        "mean": "mean",
        "p05": lambda v: v.quantile(0.05),
        "p95": lambda v: v.quantile(0.95),
    }
    if stat not in fns:
        raise UserError(f"crosstab: stat {stat!r} is unknown: choose {', '.join(fns)}")
    g = df.groupby([rows, cols], sort=True)[outcome]
    out = g.agg(fns[stat]).rename(stat).to_frame()
    out["n"] = g.count()
    out = out.reset_index()
    out.insert(0, "outcome", outcome)
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60]


def _varying_levers(df: pd.DataFrame, levers: list[str]) -> list[str]:
    return [lv for lv in levers if df[lv].nunique() > 1]


def analyze(
    path: str | Path,
    out: str | Path | None = None,
    prim_rules: list[str] | None = None,
    prim_density: float = 0.8,
    fan_columns: tuple[str, ...] = ("lag_months", "compute_share"),
    *,
    prim_backend: str = "own",
    top: int = 3,
) -> dict[str, Any]:
    """Write the standard analysis of a sweep into ``out`` (default ``DIR/analysis``).

    Writes summary.csv; fan-<column>.csv/png (with keep_yearly); heatmap.csv/png for the first
    two varying levers; <method>.csv/png and ranking.csv for Sobol or Morris sweeps; PRIM
    trajectories, boxes and charts. Returns {"files": [...], "tables": {name: DataFrame},
    "notes": [...], "ranking": [...], "out": Path}: ``notes`` holds every line a reader should
    see (uninformative outcomes, skipped indices, rankings, PRIM sentences and weak-box warnings);
    ``ranking`` the ranking lines alone.
    """
    src = _dir(path)
    dest = Path(out) if out else src / "analysis"
    dest.mkdir(parents=True, exist_ok=True)
    info = sweep_info(src)
    files: list[Path] = []
    notes: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    summary = summarise(src)
    tables["summary"] = summary
    summary.to_csv(dest / "summary.csv", index=False)
    files.append(dest / "summary.csv")
    unc, lev = parameter_columns(info)
    df = load_outcomes(src)
    useful, flagged = informative(df, outcome_columns(df, info))
    notes += flagged
    levers = _varying_levers(df, lev)
    if info["keep_yearly"]:
        nations = sorted(set(load_yearly(src, ["year"])["nation"]))
        by = levers[0] if levers else None
        pooled = [x for x in levers if x != by] + (["uncertainties"] if unc else [])
        for column in fan_columns:
            fans = {nation: fan_data(src, column, nation, by=by) for nation in nations}
            pd.concat([f.assign(nation=k) for k, f in fans.items()], ignore_index=True).to_csv(
                dest / f"fan-{column}.csv", index=False
            )
            files += [
                dest / f"fan-{column}.csv",
                plot_fan(fans, column, dest / f"fan-{column}.png", by=by, pooled=pooled),
            ]
    else:
        notes.append("no fan charts: the sweep did not keep yearly records (keep_yearly = false)")
    if len(levers) >= 2 and useful:
        a, b = levers[0], levers[1]
        heat = pd.concat([crosstab(df, o, a, b) for o in useful], ignore_index=True)
        tables["heatmap"] = heat
        heat.to_csv(dest / "heatmap.csv", index=False)
        pooled = levers[2:] + (["uncertainties"] if unc else [])
        files += [dest / "heatmap.csv", plot_heatmaps(heat, a, b, dest / "heatmap.png", pooled)]
    rank_lines: list[str] = []
    if info["method"] in ("sobol", "morris"):
        fn, value = (
            (sobol_indices, "ST") if info["method"] == "sobol" else (morris_indices, "mu_star")
        )
        sens = fn(src)
        tables[info["method"]] = sens
        notes += [f"{info['method']}: skipped {s}" for s in sens.attrs.get("skipped", [])]
        sens.to_csv(dest / f"{info['method']}.csv", index=False)
        files.append(dest / f"{info['method']}.csv")
        if not sens.empty:
            draw = plot_sobol if info["method"] == "sobol" else plot_morris
            files.append(draw(sens, dest / f"{info['method']}.png"))
            rank = ranking(sens, value, top)
            tables["ranking"] = rank
            rank.to_csv(dest / "ranking.csv", index=False)
            files.append(dest / "ranking.csv")
            rank_lines = ranking_text(sens, value, top)
            notes += rank_lines
    for rule in prim_rules if prim_rules is not None else info.get("prim", []):
        res = discover(src, rule, backend=prim_backend, threshold=prim_density)
        slug = _slug(rule)
        tables[f"prim {rule}"] = res.box
        res.trajectory.to_csv(dest / f"prim-{slug}-trajectory.csv", index=False)
        res.box.to_csv(dest / f"prim-{slug}-box.csv", index=False)
        files += [
            dest / f"prim-{slug}-trajectory.csv",
            dest / f"prim-{slug}-box.csv",
            plot_prim(res, dest / f"prim-{slug}.png"),
        ]
        notes.append(res.sentence())
        if res.warning():
            notes.append(res.warning())
    return {"files": files, "tables": tables, "notes": notes, "ranking": rank_lines, "out": dest}
