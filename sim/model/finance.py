"""Money: outside investors (soft saturation, mood, Sputnik boosts), the state (subsidies,
grants, programmes), AI demand and the revenue labs earn from it.

Budgets come from reinvested revenue, outside investors and the state. Investors grow their
commitment at the lab's trend, slowed as the nation's private AI spending approaches a saturation
share of GDP (a soft limit, not a cap: spending still differs between scenarios through revenue,
the state and mood), and react to progress relative to the frontier's pace and to a Sputnik moment.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from sim.config.schema import Programme, World
from sim.model.agents import Lab, Nation


def lognormal_noise(sd: float, z: float) -> float:
    """A mean-one log-normal factor from a standard-normal draw ``z``."""
    return math.exp(sd * z - 0.5 * sd**2)


def investor_growth(trend: float, spend_share: float, saturation_share: float) -> float:
    """Yearly growth factor of outside capital: the trend's excess over 1 shrinks linearly to 0 as
    ``spend_share`` (private AI spend / GDP) reaches ``saturation_share``; a trend below 1 applies
    in full (investors leaving)."""
    if trend <= 1.0:
        return trend
    room = 1.0 - spend_share / saturation_share if saturation_share > 0 else 0.0
    room = room if room > 0.0 else 0.0  # (conditionals: a builtin max/min call costs ~5x)
    return 1.0 + (trend - 1.0) * (room if room < 1.0 else 1.0)


def investor_mood(response: float, lab_gain: float, frontier_gain: float) -> float:
    """Growth multiplier of outside capital: investors compare a lab's OOM gain with the
    frontier's pace, not with an absolute target (clipped to 0.6-1.6)."""
    mood = 1.0 + response * (lab_gain - frontier_gain)
    mood = mood if mood > 0.6 else 0.6
    return mood if mood < 1.6 else 1.6


def capability_weights(levels: Sequence[float]) -> list[float]:
    """Shares that favour the most capable (10^(level - best)), summing to 1."""
    if not levels:
        return []
    top = max(levels)
    w = [10.0 ** (-30.0 if v - top < -30.0 else v - top) for v in levels]  # (max(v - top, -30))
    total = sum(w)
    return [x / total for x in w]


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


def raise_capital(
    labs: Sequence[Lab],
    nations: Mapping[str, Nation],
    world: World,
    first_year: bool,
    frontier_gain: float,
    shocks: Sequence[float],
) -> None:
    """Outside capital: from the second year its trend grows at the lab's rate, slowed by the
    nation's saturation, times the investors' mood (last year's progress against the frontier's)
    and any one-year boost; this year's amount carries log-normal noise (``shocks``)."""
    w = world
    for lab, z in zip(labs, shocks, strict=True):
        if not first_year:
            nation = nations[lab.nation]
            gdp = nation.gdp
            share = nation.private_spend / (1.0 if gdp < 1.0 else gdp)
            growth = investor_growth(
                lab.external_growth, share, nation.ai_capex_saturation_gdp_share
            )
            progress = lab.oom_hist[1] - lab.oom_hist[0]
            mood = investor_mood(w.investor_response, progress, frontier_gain)
            lab.external *= growth * mood * (1.0 + lab.boost)
        lab.boost = 0.0
        lab.external_now = lab.external * lognormal_noise(w.capital_noise_sd, z)
        lab.reinvested = lab.reinvest_share * lab.revenue


def fund_nation(nation: Nation, labs: Sequence[Lab]) -> None:
    """Split the nation's public subsidy among its labs, favouring the most capable (the state
    backs its leaders)."""
    weights = capability_weights([lab.oom for lab in labs])
    for lab, w in zip(labs, weights, strict=True):
        lab.subsidy_now = nation.subsidy_usd * w
        lab.programme_funds = 0.0


def close_budget(lab: Lab, boost: float) -> None:
    """This year's grants, inflow and budget. Investors top up the lab's budget; they do not
    refinance cash it could not spend (chips it could not get), so idle cash replaces new
    capital. ``boost`` is the stockpiling window's extra money."""
    lab.grant_now = 0.0
    if lab.grants:
        for g in lab.grants:
            if g[1] > 0:
                lab.grant_now += g[0]
                g[1] -= 1
        lab.grants = [g for g in lab.grants if g[1] > 0]
    lab.cash_start = lab.cash
    raised = lab.external_now - lab.cash
    lab.raised = raised if raised > 0.0 else 0.0
    lab.inflow = (
        lab.reinvested + lab.raised + lab.subsidy_now + lab.grant_now + boost + lab.programme_funds
    )
    # Programme money is part of the budget the strategy splits: a compute programme's chips also
    # run the lab's experiments (efficiency research), not only its flagship run.
    lab.budget = lab.cash + lab.inflow


def ai_demand(world: World, gain_oom: float, world_gdp: float, start_gdp: float) -> float:
    """World AI demand (revenue potential): logistic in the frontier's gain since the start,
    saturating at ``ai_demand_max_gdp_share`` of GDP. ``y = y0 x 10^(elasticity x gain)`` with
    ``y0`` set so the start year gives ``ai_revenue_usd``; demand = GDP x max share x y / (1 + y)."""
    w = world
    cap0 = start_gdp * w.ai_demand_max_gdp_share
    if cap0 <= w.ai_revenue_usd:
        return world_gdp * w.ai_demand_max_gdp_share
    y0 = w.ai_revenue_usd / (cap0 - w.ai_revenue_usd)
    # exponent bounded so extreme gains saturate instead of overflowing
    y: float = y0 * 10.0 ** min(w.revenue_oom_elasticity * gain_oom, 300.0)
    return world_gdp * w.ai_demand_max_gdp_share * (y / (1.0 + y))


def share_demand(
    labs: Sequence[Lab],
    nations: Mapping[str, Nation],
    access: Mapping[str, Mapping[str, float]],
    world: World,
    demand: float,
) -> None:
    """Each lab's share of world AI demand (``lab.demand_usd``) and of usage: by capability,
    serving cost (efficiency) and price, in the markets (nations, weighted by GDP) it can reach:
    ``access[seller nation][market]``."""
    w = world
    world_gdp = sum(n.gdp for n in nations.values())
    top = max(lab.oom for lab in labs)
    best_eff = max(lab.log_eff for lab in labs)
    attract = [
        10 ** (-300.0 if (x := w.market_oom_sensitivity * (lab.oom - top)) < -300.0 else x)
        * math.exp(w.serving_cost_elasticity * (lab.log_eff - best_eff))
        / lab.price_markup**2
        for lab in labs
    ]
    capture = [w.open_weights_capture if lab.open_weights else 1.0 for lab in labs]
    markup = [lab.price_markup for lab in labs]
    reach = [access[lab.nation] for lab in labs]
    usage = [0.0] * len(labs)
    income = [0.0] * len(labs)
    for market in nations.values():
        weight = market.gdp / world_gdp
        key = market.key
        scores = [r[key] * a for r, a in zip(reach, attract, strict=True)]
        total = sum(scores)
        if total <= 0:
            continue
        paid = demand * weight
        for i, score in enumerate(scores):
            share = score / total
            usage[i] += weight * share
            income[i] += paid * share * capture[i] * markup[i]
    for lab, u, d in zip(labs, usage, income, strict=True):
        lab.usage, lab.demand_usd = u, d


def earn_revenue(
    labs: Sequence[Lab],
    nations: Mapping[str, Nation],
    world: World,
    serve_unit_cost: float,
    host_income: float,
) -> float:
    """Revenue: the demand a lab attracts, as far as its serving capacity can earn it; host
    nations' labs share the rent foreign renters paid (by owned fleet). Returns world revenue."""
    total = 0.0
    for lab in labs:
        servable = lab.serve_covered * serve_unit_cost / world.serving_cost_share
        demand = lab.demand_usd
        lab.revenue = servable if servable < demand else demand
        total += lab.revenue
    hosts = [lab for n in nations.values() if n.rental_host_share > 0 for lab in n.labs]
    owned = sum(lab.owned for lab in hosts)
    for lab in hosts:
        lab.revenue += host_income * (lab.owned / owned if owned > 0 else 0.0)
    return total + host_income
