"""Column definitions and row builders for the model's output tables.

Rows are plain tuples appended once per year; :func:`sim.results.run` turns them into pandas
DataFrames after the run, keeping pandas out of the yearly loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.config.schema import ORIGINS

if TYPE_CHECKING:
    from sim.model.model import ComputeRaceModel

YEAR_COLUMNS = (
    "year",
    "frontier_oom",
    "frontier_lab",
    "frontier_nation",
    "world_compute_h100e",
    "sputnik_moment",
    "sputnik_lab",
    "world_ai_revenue_usd",
    "licence_fees_usd",
    "largest_cluster_h100e",
    "enforcement",
    "cloud_loophole_open",
    "events",
)
NATION_COLUMNS = (
    "year",
    "nation",
    "tier",
    "oom",
    "lag_months",
    "compute_h100e",
    "compute_share",
    "largest_run_flop",
    "legal_share",
    "licensed_share",
    "smuggled_share",
    "rented_share",
    "domestic_chip_share",
    "efficiency_spend_share",
    "ai_spend_usd",
    "compute_spend_usd",
    "efficiency_spend_usd",
    "revenue_usd",
    "subsidy_usd",
    "best_lab",
    "d_oom",
    "d_oom_compute",
    "d_oom_efficiency",
    "d_oom_catchup",
)
LAB_COLUMNS = (
    "year",
    "lab",
    "nation",
    "strategy",
    "oom",
    "lag_months",
    "compute_h100e",
    *(f"{o}_h100e" for o in ORIGINS),
    "efficiency",
    "budget_usd",
    "inflow_usd",
    "cash_start_usd",
    "cash_usd",
    "programme_usd",
    "compute_spend_usd",
    "efficiency_spend_usd",
    "efficiency_share",
    "effective_price_usd",
    "cluster_h100e",
    "training_quality",
    "training_flop",
    "effective_flop",
    "headline_training_cost_usd",
    "total_cost_usd",
    "revenue_usd",
    "market_share",
    "open_weights",
    "d_oom",
    "d_oom_compute",
    "d_oom_efficiency",
    "d_oom_catchup",
)
FLOW_COLUMNS = ("year", "vendor", "buyer", "channel", "h100e", "chips", "revenue_usd", "spend_usd")
VENDOR_COLUMNS = (
    "year",
    "vendor",
    "nation",
    "capacity_chips",
    "demand_chips",
    "sold_chips",
    "perf_h100e",
    "price_per_h100e_usd",
    "revenue_usd",
)


def model_reporters(nations: dict[str, Any]) -> dict[str, Any]:
    """Mesa DataCollector model reporters (cheap attribute reads) incl. each nation's lag."""
    reps: dict[str, Any] = {
        "year": lambda m: m.year - 1 if m.t > 0 else m.start_year - 1,
        "frontier_oom": "frontier_oom",
        "frontier_nation": "frontier_nation",
        "world_compute_h100e": "world_compute",
        "sputnik_moment": "sputnik_now",
    }
    for key in nations:
        reps[f"oom_{key}"] = lambda m, k=key: m.nations[k].oom
        reps[f"lag_months_{key}"] = lambda m, k=key: m.nations[k].lag_months
    return reps


def append_rows(m: ComputeRaceModel) -> None:
    """Append this year's rows to the model's record lists."""
    y = m.year
    m.year_rows.append(
        (
            y,
            m.frontier_oom,
            m.frontier_lab,
            m.frontier_nation,
            m.world_compute,
            m.sputnik_now,
            m.sputnik_lab if m.sputnik_now else "",
            m.world_revenue,
            m.controls.licence_fees,
            m.cluster_cap,
            m.controls.enforcement,
            m.controls.cloud_loophole_open,
            "; ".join(m.fired),
        )
    )
    for v in m.vendors:
        m.vendor_rows.append(
            (
                y,
                v.key,
                v.nation,
                v.capacity,
                v.demand_chips,
                v.sold_chips,
                v.perf,
                v.price_per_h100e * v.scarcity,
                v.revenue,
            )
        )
    world = m.world_compute or 1.0
    for lab in m.labs:
        d = lab.oom - lab.prev_oom
        m.lab_rows.append(
            (
                y,
                lab.key,
                lab.nation,
                lab.strategy,
                lab.oom,
                lab.lag_months,
                lab.total_stock,
                *lab.stock,
                lab.efficiency,
                lab.budget,
                lab.inflow,
                lab.cash_start,
                lab.cash,
                lab.programme_funds,
                lab.compute_spend,
                lab.efficiency_spend,
                lab.share_now,
                lab.effective_price,
                lab.cluster,
                lab.quality,
                lab.training_flop,
                lab.effective_flop,
                lab.headline_cost,
                lab.total_cost,
                lab.revenue,
                lab.usage,
                lab.open_weights,
                d,
                d - lab.d_eff - lab.d_catchup,
                lab.d_eff,
                lab.d_catchup,
            )
        )
    for n in m.nations.values():
        stock = [0.0] * len(ORIGINS)
        comp = eff = rev = 0.0
        largest = 0.0
        for lab in n.labs:
            for i, s in enumerate(lab.stock):
                stock[i] += s
            comp += lab.compute_spend
            eff += lab.efficiency_spend
            rev += lab.revenue
            largest = max(largest, lab.training_flop)
        total = sum(stock)
        shares = [s / total if total > 0 else 0.0 for s in stock]
        best = n.best
        d = n.oom - n.prev_oom
        de = best.d_eff if best else 0.0
        dc = best.d_catchup if best else 0.0
        m.nation_rows.append(
            (
                y,
                n.key,
                n.tier,
                n.oom,
                n.lag_months,
                total,
                total / world,
                largest,
                *shares,
                eff / (eff + comp) if eff + comp > 0 else 0.0,
                eff + comp,
                comp,
                eff,
                rev,
                n.subsidy_usd,
                best.key if best else "",
                d,
                d - de - dc,
                de,
                dc,
            )
        )
