"""Money: external capital, the GDP cap on private AI capital, subsidies and programmes, and
the AI revenue labs earn."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from sim.config.schema import Programme, World
from sim.model.agents import Lab, Nation


def lognormal_noise(sd: float, z: float) -> float:
    """A mean-one log-normal factor from a standard-normal draw ``z``."""
    return math.exp(sd * z - 0.5 * sd**2)


def investor_mood(response: float, lab_gain: float, frontier_gain: float) -> float:
    """Growth multiplier of external capital: investors compare a lab's OOM gain with the
    frontier's pace, not with an absolute target (clipped to 0.6-1.6)."""
    return min(1.6, max(0.6, 1.0 + response * (lab_gain - frontier_gain)))


def programme_payment(p: Programme, year: int) -> float:
    """Programme money usable in ``year``: upfront in the first year, the rest evenly, after the lag."""
    k = year - p.buildout_lag_years - p.start_year
    if k < 0 or k >= p.years:
        return 0.0
    if p.years == 1:
        return p.total_usd
    if k == 0:
        return p.upfront_usd
    return (p.total_usd - p.upfront_usd) / max(p.years - 1, 1)


def fund_nation(nation: Nation, labs: Sequence[Lab]) -> None:
    """Cap the nation's private AI capital (external + reinvested revenue) at a share of GDP and
    split its public subsidy among its labs in proportion to their external capital."""
    private = sum(lab.external_now + lab.reinvest_share * lab.revenue for lab in labs)
    cap = nation.max_ai_capex_gdp_share * nation.gdp
    scale = cap / private if private > cap > 0 else 1.0
    for lab in labs:
        lab.external_now *= scale
        lab.reinvested = lab.reinvest_share * lab.revenue * scale
        lab.external = min(lab.external, lab.external_now)
    total = sum(lab.external_now for lab in labs)
    for lab in labs:
        share = lab.external_now / total if total > 0 else 1.0 / len(labs)
        lab.subsidy_now = nation.subsidy_usd * share
        lab.programme_funds = 0.0


def close_budget(lab: Lab, boost: float) -> None:
    """This year's inflow and budget. Investors top up the lab's budget; they do not refinance
    cash it could not spend (chips it could not get), so idle cash replaces new capital."""
    lab.cash_start = lab.cash
    lab.raised = max(0.0, lab.external_now - lab.cash)
    lab.inflow = lab.reinvested + lab.raised + lab.subsidy_now + boost + lab.programme_funds
    # Programme money is part of the budget the strategy splits: a compute programme's chips also
    # run the lab's experiments (efficiency research), not only its flagship run.
    lab.budget = lab.cash + lab.inflow


def raise_capital(
    labs: Sequence[Lab],
    world: World,
    first_year: bool,
    frontier_gain: float,
    shocks: Sequence[float],
) -> None:
    """External capital: its trend grows at the lab's rate times the investors' mood (from the
    second year), and this year's amount carries log-normal noise (``shocks``)."""
    w = world
    for lab, z in zip(labs, shocks, strict=True):
        if not first_year:
            mood = investor_mood(w.investor_response, lab.oom - lab.prev_oom, frontier_gain)
            lab.external = lab.external * lab.external_growth * mood
        lab.external_now = lab.external * lognormal_noise(w.capital_noise_sd, z)


def world_revenue(
    world: World, frontier_gain: float, world_gdp: float, initial_gdp: float
) -> float:
    """World AI revenue: the start revenue times ``10^(elasticity x frontier OOM gain)``, capped
    at a share of world GDP (scaled from the scenario's nations to the world)."""
    w = world
    return min(
        w.ai_revenue_usd * 10 ** (w.revenue_oom_elasticity * frontier_gain),
        w.revenue_max_gdp_share * world_gdp * (w.world_gdp_usd / max(initial_gdp, 1.0)),
    )


def sell_models(
    labs: Sequence[Lab],
    nations: Mapping[str, Nation],
    access: Mapping[str, Mapping[str, float]],
    world: World,
    revenue: float,
    frontier_oom: float,
) -> None:
    """Labs share ``revenue`` by capability, serving cost (efficiency) and price, in the markets
    (nations, weighted by GDP) they can reach: ``access[seller nation][market]``."""
    w = world
    world_gdp = sum(n.gdp for n in nations.values())
    best_eff = max(lab.log_eff for lab in labs)
    attract = [
        10 ** (w.market_oom_sensitivity * (lab.oom - frontier_oom))
        * math.exp(w.serving_cost_elasticity * (lab.log_eff - best_eff))
        / lab.price_markup**2
        for lab in labs
    ]
    capture = [w.open_weights_capture if lab.open_weights else 1.0 for lab in labs]
    usage = [0.0] * len(labs)
    income = [0.0] * len(labs)
    for market in nations.values():
        weight = market.gdp / world_gdp
        scores = [access[lab.nation][market.key] * a for lab, a in zip(labs, attract, strict=True)]
        total = sum(scores)
        if total <= 0:
            continue
        for i, lab in enumerate(labs):
            share = scores[i] / total
            usage[i] += weight * share
            income[i] += revenue * weight * share * capture[i] * lab.price_markup
    for lab, u, r in zip(labs, usage, income, strict=True):
        lab.usage, lab.revenue = u, r
