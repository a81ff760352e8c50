"""AI capex as filings count it (``nations.ai_capex_usd``): chips bought for owned fleets plus
data-centre construction, paid while the buildings go up (:mod:`sim.model.power`).

The identities are recomputed from other records (the flows table and the nations' power
capacity), not from the construction schedule the model keeps.
"""

from __future__ import annotations

import statistics

import numpy as np
import pandas as pd
import pytest
from conftest import run_cached

from sim.config.loader import load_scenario
from sim.model.power import PowerGrid

SEEDS = (0, 1, 2, 3)


def _facility_usd_per_gw(scenario: str) -> float:
    return load_scenario(scenario).world.facility_usd_per_kw * 1e6


def _lead_years(scenario: str) -> dict[str, int]:
    nations = load_scenario(scenario).nations
    return {k: n.power_lead_years for k, n in nations.items() if n.power_gw is not None}


@pytest.mark.parametrize(("scenario", "seed"), [("baseline", 0), ("history-2020", 1)])
def test_capex_is_owned_chips_plus_construction(scenario, seed):
    """ai_capex = what the nation's labs paid for owned compute (flows, rent excluded) minus the
    install charge (their lease of the data centre) plus the construction spend."""
    r = run_cached(scenario, seed)
    f = r.flows
    owned = f[f.channel != "rented"].groupby(["year", "buyer"]).spend_usd.sum()
    n = r.nations.set_index(["year", "nation"])
    paid_owned = owned.reindex(n.index, fill_value=0.0)
    chips = paid_owned - n.facility_spend_usd
    assert (chips >= -1.0).all()
    expected = chips + n.construction_spend_usd
    np.testing.assert_allclose(n.ai_capex_usd, expected, rtol=1e-9, atol=1.0)
    assert (f.channel == "rented").any()  # rent is paid in the run, and left out (opex)
    assert (n.construction_spend_usd > 0).any()


@pytest.mark.parametrize(("scenario", "seed"), [("baseline", 0), ("history-2020", 2)])
def test_construction_spend_is_the_capacity_built_paid_over_the_lead(scenario, seed):
    """A build usable from year Y (capacity in year Y's row, less year Y - 1's) was paid in equal
    parts over the lead years before it: construction(y) = cost x sum over Y in y+1..y+lead of
    added(Y) / lead. Checked for every year whose builds all arrive within the run."""
    r = run_cached(scenario, seed)
    usd_per_gw = _facility_usd_per_gw(scenario)
    checked = 0
    for nation, lead in _lead_years(scenario).items():
        lead = max(lead, 1)
        n = r.nations[r.nations.nation == nation].set_index("year")
        added = n.power_capacity_gw.diff()
        years = n.index.tolist()
        for y in years[: len(years) - lead]:
            want = usd_per_gw * sum(added[y + k] for k in range(1, lead + 1)) / lead
            got = n.construction_spend_usd[y]
            assert got == pytest.approx(want, rel=1e-9, abs=1.0), (nation, y)
            checked += 1
    assert checked > 20  # 5 nations x (years - lead)


def test_construction_spend_leads_capacity():
    """Over seeds of the history run (power binds from 2023): every year a nation's capacity
    grows, construction was paid the year before, and by then the spend covers all capacity
    added so far (the old install charge was paid only once chips went in)."""
    usd_per_gw = _facility_usd_per_gw("history-2020")
    grew = 0
    assert _lead_years("history-2020")["usa"] == 1
    for seed in SEEDS:
        r = run_cached("history-2020", seed)
        for nation, lead in _lead_years("history-2020").items():
            n = r.nations[r.nations.nation == nation].set_index("year")
            cap, built = n.power_capacity_gw, n.construction_spend_usd
            first = cap.index[0]
            for y in cap.index[1:]:
                if cap[y] > cap[y - 1] * (1 + 1e-12):
                    grew += 1
                    assert built[y - 1] > 0, (seed, nation, y)
                    if lead <= 1:  # no builds under way at the start, paid partly before it
                        paid = built.loc[first : y - 1].sum()
                        added = usd_per_gw * (cap[y] - cap[first])
                        assert paid >= added * (1 - 1e-9), (seed, nation, y)
    assert grew >= len(SEEDS)  # the claim was exercised in every seed


def test_programme_builds_are_paid_in_their_year():
    """Capacity a state programme builds within the year is construction of that year."""
    g = PowerGrid(capacity_gw=10.0, lead_years=2, build_rate=0.3, build_decay=1.0, build_floor=0.0)
    g.pipeline.append(2.0)  # under way at the start: half of it still to pay this year
    g.build_now(1.5)
    g.order(0, 1.0)  # no demand: nothing ordered
    assert g.capacity_gw == pytest.approx(11.5)
    assert g.construction_gw == pytest.approx(1.5 + 2.0 / 2)
    g.arrive()
    g.order(1, 1.0)
    assert g.construction_gw == 0.0
    assert g.capacity_gw == pytest.approx(13.5)


def test_an_order_is_paid_over_its_lead_years():
    g = PowerGrid(capacity_gw=10.0, lead_years=3, build_rate=0.3, build_decay=1.0, build_floor=0.0)
    g.demand_gw = 100.0  # far more than can be built: the order is 30% of capacity
    g.order(0, 1.0)
    paid = [g.construction_gw]
    for t in (1, 2, 3):
        g.arrive()
        g.order(t, 1.0)  # no demand now: later years pay only the first order
        paid.append(g.construction_gw)
    assert paid == pytest.approx([1.0, 1.0, 1.0, 0.0])
    assert g.capacity_gw == pytest.approx(13.0)


def _us_capex(fac: float, seed: int) -> pd.Series:
    r = run_cached("baseline", seed, {"world.facility_usd_per_kw": fac})
    n = r.nations
    return n[n.nation == "usa"].set_index("year").ai_capex_usd


def test_dearer_data_centres_raise_recorded_capex():
    """Across the documented range of world.facility_usd_per_kw (8,000-20,000 $/kW), the US 2025
    capex rises by more than twice the seed-to-seed spread (medians over 4 seeds)."""
    low = [_us_capex(8000.0, s)[2025] for s in SEEDS]
    high = [_us_capex(20000.0, s)[2025] for s in SEEDS]
    spread = max(max(low) - min(low), max(high) - min(high))
    assert statistics.median(high) - statistics.median(low) > 2 * spread
