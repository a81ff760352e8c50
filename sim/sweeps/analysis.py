"""Analyse a finished sweep directory: summaries, fan charts, Sobol/Morris (SALib), PRIM.

Every function takes the sweep directory (or a DataFrame) and returns a pandas DataFrame, so the
same calls work in notebooks; :func:`analyze` writes CSV tables and PNG charts for the CLI.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserError

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

    Outcomes with missing values (failed runs, or "never happened") are skipped; their names are
    listed in ``df.attrs["skipped"]``.
    """
    info, unc, outs, groups = _per_sample(path, method)
    frames, skipped = [], []
    for label, mean in groups:
        for o in outs:
            Y = mean[o].to_numpy()
            if np.isnan(Y).any():
                skipped.append(f"{o} ({label}): {int(np.isnan(Y).sum())} samples without a value")
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


def parse_rule(rule: str, columns: list[str]) -> tuple[str, str, float]:
    """``"lag_months:china:2030 < 6"`` (the outcome as named in the spec, or its column
    ``lag_months_china_2030``) -> (column, op, value); UserError names the problem."""
    import difflib

    from sim.metrics import column_name

    m = _RULE.match(rule)
    if not m:
        raise UserError(f"--prim {rule!r}: expected 'OUTCOME < VALUE' (operators < <= > >= ==)")
    col, op, val = m.groups()
    col = col if col in columns else column_name(col)
    if col not in columns:
        near = difflib.get_close_matches(col, columns, n=1)
        raise UserError(
            f"--prim {rule!r}: no outcome column '{col}'"
            + (f" (did you mean '{near[0]}'?)" if near else f" (columns: {', '.join(columns)})")
        )
    try:
        return col, op, float(val)
    except ValueError:
        raise UserError(f"--prim {rule!r}: '{val}' is not a number") from None


def discover(path: str | Path, rule: str, **kwargs: Any):  # -> PrimResult
    """PRIM box over the swept parameters for the runs where ``rule`` holds (see :mod:`sim.sweeps.prim`)."""
    from sim.sweeps.prim import prim

    info = sweep_info(path)
    df = load_outcomes(path, ok_only=True)
    unc, lev = parameter_columns(info)
    col, op, val = parse_rule(rule, outcome_columns(df, info))
    x = df[col].to_numpy()
    with np.errstate(invalid="ignore"):
        y = {"<": x < val, "<=": x <= val, ">": x > val, ">=": x >= val, "==": x == val}[op]
    params = [c for c in unc + lev if df[c].nunique() > 1]
    if not params:
        raise UserError(f"{path}: PRIM needs at least one swept parameter that varies")
    return prim(df[params], y, rule=rule.strip(), **kwargs)


# --- charts --------------------------------------------------------------------------------


def _pyplot():
    from sim.plotting import pyplot

    plt = pyplot()

    return plt


def plot_fan(fans: dict[str, pd.DataFrame], column: str, path: Path, by: str | None = None) -> Path:
    """One panel per nation: median line with 50% and 90% bands per year (per ``by`` value)."""
    plt = _pyplot()
    n = len(fans)
    ncols = min(3, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, (nation, fan) in zip(axes.flat, fans.items(), strict=False):
        groups = list(fan.groupby(by, sort=True)) if by else [("all runs", fan)]
        for i, (k, g) in enumerate(groups):
            c = f"C{i}"
            ax.fill_between(g["year"], g["p05"], g["p95"], color=c, alpha=0.15, lw=0)
            ax.fill_between(g["year"], g["p25"], g["p75"], color=c, alpha=0.3, lw=0)
            ax.plot(g["year"], g["p50"], color=c, label=f"{by}={k}" if by else str(k))
        ax.set_title(nation, fontsize=9)
        ax.tick_params(labelsize=8)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"{column}: median, 50% and 90% bands across runs", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_ranking(df: pd.DataFrame, value: str, path: Path, title: str) -> Path:
    """Horizontal bars ranking parameters per outcome by ``value`` (ST or mu_star), first lever combo."""
    plt = _pyplot()
    first = df[df["levers"] == df["levers"].iloc[0]]
    outs = list(dict.fromkeys(first["outcome"]))
    fig, axes = plt.subplots(len(outs), 1, figsize=(7, 1.2 + 0.35 * len(first)), squeeze=False)
    for ax, o in zip(axes[:, 0], outs, strict=True):
        d = first[first["outcome"] == o].sort_values(value)
        ax.barh(d["parameter"], d[value], color="C0")
        ax.set_title(o, fontsize=9)
        ax.tick_params(labelsize=8)
    axes[-1, 0].set_xlabel(value)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_prim(res: Any, path: Path) -> Path:
    """Peeling trajectory (coverage vs density), coloured by number of restricted parameters."""
    plt = _pyplot()
    t = res.trajectory
    fig, ax = plt.subplots(figsize=(6, 4))
    sc = ax.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=18)
    ax.scatter(
        [res.coverage], [res.density], marker="*", s=160, color="C3", label="selected box (pasted)"
    )
    fig.colorbar(sc, ax=ax, label="restricted parameters")
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_title(f"PRIM: {res.rule}", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60]


def analyze(
    path: str | Path,
    out: str | Path | None = None,
    prim_rules: list[str] | None = None,
    prim_density: float = 0.8,
    fan_columns: tuple[str, ...] = ("lag_months", "compute_share"),
) -> dict[str, Any]:
    """Write the standard analysis of a sweep into ``out`` (default ``DIR/analysis``).

    Returns {"files": [...], "tables": {name: DataFrame}, "notes": [...]}.
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
    if info["keep_yearly"]:
        nations = sorted(set(load_yearly(src, ["year"])["nation"]))
        by = lev[0] if lev else None
        for column in fan_columns:
            fans = {nation: fan_data(src, column, nation, by=by) for nation in nations}
            pd.concat([f.assign(nation=k) for k, f in fans.items()], ignore_index=True).to_csv(
                dest / f"fan-{column}.csv", index=False
            )
            files += [
                dest / f"fan-{column}.csv",
                plot_fan(fans, column, dest / f"fan-{column}.png", by=by),
            ]
    else:
        notes.append("no fan charts: the sweep did not keep yearly records (keep_yearly = false)")
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
            files.append(
                plot_ranking(
                    sens,
                    value,
                    dest / f"{info['method']}.png",
                    f"{info['method']} {value} per outcome ({sens['levers'].iloc[0]})",
                )
            )
    for rule in prim_rules if prim_rules is not None else info.get("prim", []):
        res = discover(src, rule, threshold=prim_density)
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
    return {"files": files, "tables": tables, "notes": notes, "out": dest}
