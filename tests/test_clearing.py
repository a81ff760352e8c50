"""Unit tests of the market clearing (``sim.model.clearing``) on small hand-built books:
channel choice, leakage, the domestic mandate, rationing, licence and tier-2 caps, delivery and
money conservation. Expected numbers are worked out in the tests, not copied from the code."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import clearing
from sim.model.clearing import (
    DOM,
    DOMESTIC,
    FULL,
    LEGAL,
    LICENSED,
    LINK,
    MEM,
    RENTED,
    SMUGGLED,
    Buyers,
    Caps,
    OfferBookBuilder,
    fill_fraction,
)

K = 4.0  # price elasticity of channel choice


def book_of(n_labs: int, n_vendors: int, rows: list[tuple]) -> clearing.OfferBook:
    """A book from rows (lab, vendor, channel, price, perf=1, quality=1, pclass=FULL, denied)."""
    b = OfferBookBuilder(n_labs, n_vendors)
    for row in rows:
        b.add(*row)
    return b.build()


def buyers(budget, smuggle=0.0, rent=0.0, dmin=0.0, nation=None, n_nations=1) -> Buyers:
    n = len(budget)
    return Buyers(
        budget=np.array(budget, dtype=float),
        nation=np.array(nation or [0] * n, dtype=np.intp),
        n_nations=n_nations,
        smuggle=np.full(n, smuggle),
        rent=np.full(n, rent),
        domestic_min=np.full(n, dmin),
    )


def split(book, smuggle=0.0, rent=0.0, dmin=0.0):
    n = book.n_labs
    return clearing.split_money(
        book,
        np.ones(len(book), dtype=np.bool_),
        np.full(n, smuggle),
        np.full(n, rent),
        np.full(n, dmin),
        K,
    )


# ---------------------------------------------------------------- channel choice


def test_cheaper_offers_draw_more_money_by_the_price_elasticity():
    shares = split(book_of(1, 2, [(0, 0, LEGAL, 1.0, 1, 1), (0, 1, LEGAL, 2.0, 1, 1)]))
    # weights 1 and (1/2)^4 = 1/16: shares 16/17 and 1/17
    assert shares.tolist() == pytest.approx([16 / 17, 1 / 17])


def test_quality_counts_as_price():
    # the same price, but the second offer's compute is worth half: cost 2 per usable H100e
    shares = split(book_of(1, 2, [(0, 0, LEGAL, 1.0, 1, 1.0), (0, 1, LEGAL, 1.0, 1, 0.5)]))
    assert shares.tolist() == pytest.approx([16 / 17, 1 / 17])


def test_each_lab_splits_its_own_money():
    b = book_of(
        2, 2, [(0, 0, LEGAL, 1.0, 1, 1), (1, 0, LEGAL, 1.0, 1, 1), (1, 1, LEGAL, 1.0, 1, 1)]
    )
    assert split(b).tolist() == pytest.approx([1.0, 0.5, 0.5])


DENIED_BOOK = [
    (0, 0, DOMESTIC, 2.0, 1, 1, DOM),
    (0, 1, LEGAL, 1.0, 1, 1, 0, True),  # the denied flagship
    (0, 1, SMUGGLED, 1.5, 1, 1),
    (0, 1, RENTED, 1.2, 1, 1),
]


def test_denied_money_leaks_to_smuggling_and_rental_and_the_rest_goes_to_allowed_offers():
    shares = split(book_of(1, 2, DENIED_BOOK), smuggle=0.2, rent=0.1).tolist()
    # primary offers: domestic at cost 2 (weight 1/16), denied flagship at cost 1 (weight 1)
    denied = 1 / (1 + 1 / 16)
    assert shares[1] == 0.0  # nothing is bought through the denied offer itself
    assert shares[2] == pytest.approx(denied * 0.2)
    assert shares[3] == pytest.approx(denied * 0.1)
    assert shares[0] == pytest.approx(1 - denied * 0.3)  # the rest reaches the domestic offer
    assert sum(shares) == pytest.approx(1.0)


def test_money_is_left_unspent_when_nothing_is_allowed():
    b = book_of(1, 1, [(0, 0, LEGAL, 1.0, 1, 1, 0, True), (0, 0, SMUGGLED, 1.5, 1, 1)])
    assert split(b, smuggle=0.3).tolist() == pytest.approx([0.0, 0.3])


def test_leaks_never_take_more_than_the_denied_money():
    """Smuggling 0.6 and renting 0.7 of denied money would leak 130% of it (the old bug with
    ``rental_max_share`` >= ~0.93): the two shares are scaled down together."""
    shares = split(book_of(1, 2, DENIED_BOOK), smuggle=0.6, rent=0.7).tolist()
    denied = 1 / (1 + 1 / 16)
    assert shares[2] == pytest.approx(denied * 0.6 / 1.3)
    assert shares[3] == pytest.approx(denied * 0.7 / 1.3)
    assert sum(shares) == pytest.approx(1.0)


def test_domestic_mandate_sets_a_floor():
    b = book_of(1, 2, [(0, 0, DOMESTIC, 5.0, 1, 1, DOM), (0, 1, LEGAL, 1.0, 1, 1)])
    free = split(b).tolist()
    mandated = split(b, dmin=0.3).tolist()
    assert free[0] < 0.3
    assert mandated == pytest.approx([0.3, 0.7])


def test_closed_offers_get_nothing_and_the_rest_is_renormalised():
    b = book_of(1, 2, [(0, 0, LEGAL, 1.0, 1, 1), (0, 1, LEGAL, 2.0, 1, 1)])
    open_ = np.array([False, True])
    shares = clearing.split_money(b, open_, np.zeros(1), np.zeros(1), np.zeros(1), K)
    assert shares.tolist() == [0.0, 1.0]


def test_empty_book():
    b = book_of(1, 1, [])
    assert len(split(b)) == 0


# ---------------------------------------------------------------- rationing and caps


def test_fill_fraction():
    assert fill_fraction([1.0, 30.0, 5.0, 5.0], [3.0, 20.0, 0.0, -1.0]) == pytest.approx(
        [1.0, 2 / 3, 0.0, 0.0]
    )
    assert fill_fraction([0.0], [0.0]) == [1.0]


def test_sold_out_vendor_rations_pro_rata_and_leftover_money_goes_elsewhere():
    # two labs want vendor 0 (price 1, cheap) and lab 0 also has vendor 1 (price 1.5)
    b = book_of(
        2,
        2,
        [(0, 0, LEGAL, 1.0, 1, 1), (0, 1, LEGAL, 1.5, 1, 1), (1, 0, LEGAL, 1.0, 1, 1)],
    )
    capacity = np.array([60.0, 1000.0])
    orders = clearing.clear(b, buyers([100.0, 40.0]), capacity, Caps(), K)
    w1 = (1 / 1.5) ** K
    first0 = 100.0 / (1 + w1)  # lab 0's first-round order from vendor 0
    ordered = first0 + 40.0
    # vendor 1 sees lab 0's first-round order and, in round 2, the money vendor 0 turned away
    # (orders of every round count: they signal how scarce chips are)
    turned_away = first0 * (1 - 60.0 / ordered)
    second = (100.0 * w1 / (1 + w1) + turned_away) / 1.5
    assert orders.demand.tolist() == pytest.approx([ordered, second])
    got = clearing.deliver(
        b, orders, np.zeros(2, np.intp), np.zeros(2, np.intp), 1, 0.0, 0.0, np.zeros(1)
    )
    # vendor 0 sells exactly its capacity, pro rata to the first-round orders
    assert got.sold_chips[0] == pytest.approx(60.0)
    assert got.bought[1, LEGAL] == pytest.approx(40.0 * 60.0 / ordered)
    # lab 0's rationed money moved to vendor 1 in the next round: it spends its whole budget
    assert got.spend[0] == pytest.approx(100.0)
    assert got.spend[1] == pytest.approx(40.0 * 60.0 / ordered)  # lab 1 had nowhere else to go


def test_rented_compute_uses_no_vendor_capacity():
    b = book_of(1, 1, [(0, 0, LEGAL, 1.0, 1, 1, 0, True), (0, 0, RENTED, 2.0, 1, 1)])
    caps = Caps(rental_pool=100.0)
    orders = clearing.clear(b, buyers([10.0], rent=0.5), np.array([5.0]), caps, K)
    got = clearing.deliver(
        b, orders, np.zeros(1, np.intp), np.zeros(1, np.intp), 1, 0.0, 0.0, np.zeros(1)
    )
    assert got.spend[0] == pytest.approx(5.0)  # half the money rents, the rest finds no seller
    assert got.bought[0, RENTED] == pytest.approx(2.5)
    assert got.sold_chips[0] == 0.0 and got.revenue[0] == 0.0  # the vendor sees none of it
    assert got.host_income == pytest.approx(5.0)  # the foreign cloud is paid instead
    assert orders.rented == pytest.approx(2.5)


def test_the_hosts_pool_rations_rented_compute():
    """Rented compute comes from what foreign clouds offer: a pool of 1 H100e-year serves half
    of two labs' wish for 2, pro rata; with no pool nothing is rented."""
    rows = [
        (li, 0, ch, p, 1, 1, 0, d)
        for li in (0, 1)
        for ch, p, d in ((LEGAL, 1.0, True), (RENTED, 2.0, False))
    ]
    b = book_of(2, 1, rows)
    who = buyers([2.0, 2.0], rent=1.0)
    orders = clearing.clear(b, who, np.array([5.0]), Caps(rental_pool=1.0), K)
    assert orders.rented == pytest.approx(1.0)
    got = clearing.deliver(
        b, orders, np.zeros(2, np.intp), np.zeros(1, np.intp), 1, 0.0, 0.0, np.zeros(1)
    )
    assert got.bought[:, RENTED].tolist() == pytest.approx([0.5, 0.5])
    none = clearing.clear(b, who, np.array([5.0]), Caps(rental_pool=0.0), K)
    assert none.rented == 0.0 and float(none.money.sum()) == 0.0


def test_free_power_rations_owned_chips_of_a_nation():
    """A nation with 10 kW free can plug in 10 H100e at 1 kW each: two labs ordering 20 each get
    a quarter; money turned away stays unspent (there is no other way to power chips)."""
    rows = [(li, 0, LEGAL, 1.0, 1, 1, FULL, False, 1.0, 1.0, 1.0) for li in (0, 1)]
    b = book_of(2, 1, rows)
    caps = Caps(power_kw=np.array([10.0]))
    orders = clearing.clear(b, buyers([20.0, 20.0]), np.array([1e9]), caps, K)
    got = clearing.deliver(
        b, orders, np.zeros(2, np.intp), np.zeros(1, np.intp), 1, 0.0, 0.0, np.zeros(1)
    )
    assert got.bought[:, LEGAL].tolist() == pytest.approx([5.0, 5.0])
    assert got.new_kw.tolist() == pytest.approx([10.0])
    assert orders.power_demand.tolist() == pytest.approx([40.0])  # what they wanted
    # the vendor sees the 10 chips its buyers could power, not the 40 they had money for
    assert orders.demand.tolist() == pytest.approx([10.0])
    # with power to spare it sees every order
    roomy = clearing.clear(
        b, buyers([20.0, 20.0]), np.array([1e9]), Caps(power_kw=np.array([1e3])), K
    )
    assert roomy.demand.tolist() == pytest.approx([40.0])


def test_a_sold_out_vendor_sees_the_powered_orders_it_turned_away():
    """Power for 30 chips, a vendor with 10: it sells 10 and sees demand for the 30 the buyers
    could install (money turned away comes back and is counted again, as before)."""
    b = book_of(1, 1, [(0, 0, LEGAL, 1.0, 1, 1, FULL, False, 1.0, 1.0, 1.0)])
    orders = clearing.clear(
        b, buyers([100.0]), np.array([10.0]), Caps(power_kw=np.array([30.0])), K
    )
    assert sum(orders.chips) == pytest.approx(10.0)
    assert orders.demand[0] >= 30.0 - 1e-9
    assert orders.demand[0] < 100.0


def test_owned_chips_pay_the_vendor_the_chip_price_and_the_rest_builds_data_centres():
    # price 3 per H100e of which 1 is the chip and 2 the data centre; 2 serving units per H100e
    b = book_of(1, 1, [(0, 0, LEGAL, 3.0, 1, 1, MEM, False, 1.0, 2.0, 0.5)])
    orders = clearing.clear(b, buyers([30.0]), np.array([1e9]), Caps(), K)
    got = clearing.deliver(
        b, orders, np.zeros(1, np.intp), np.zeros(1, np.intp), 1, 0.0, 0.0, np.zeros(1)
    )
    assert got.revenue[0] == pytest.approx(10.0)
    assert got.facility[0] == pytest.approx(20.0)
    assert got.bought_class[0, MEM] == pytest.approx(10.0)
    assert got.bought_serve[0, MEM] == pytest.approx(20.0)
    assert got.new_kw[0] == pytest.approx(5.0)


def test_a_sold_out_vendors_denied_flagship_leaks_nothing():
    b = book_of(1, 1, [(0, 0, LEGAL, 1.0, 1, 1, 0, True), (0, 0, RENTED, 2.0, 1, 1)])
    orders = clearing.clear(b, buyers([10.0], rent=0.5), np.array([0.0]), Caps(), K)
    assert len(orders.entry) == 0  # no capacity: the product is off the market, rental too


def test_licence_cap_limits_licensed_chips_per_buyer_nation():
    # two labs of nation 0 buy licensed chips (perf 2 H100e per chip); the cap is 10 chips
    b = book_of(2, 1, [(0, 0, LICENSED, 1.0, 2, 1), (1, 0, LICENSED, 1.0, 2, 1)])
    caps = Caps(licence_chips=np.array([10.0]))
    orders = clearing.clear(b, buyers([30.0, 10.0]), np.array([1e9]), caps, K)
    got = clearing.deliver(
        b, orders, np.zeros(2, np.intp), np.zeros(1, np.intp), 1, 0.0, 0.25, np.zeros(1)
    )
    # orders: 15 and 5 chips = 20 > 10: each gets half
    assert got.sold_chips[0] == pytest.approx(10.0)
    assert got.spend.tolist() == pytest.approx([15.0, 5.0])
    assert got.licence_fees == pytest.approx(0.25 * 20.0)


def test_tier2_cap_limits_controlled_h100e_per_restricted_nation():
    b = book_of(1, 2, [(0, 0, LEGAL, 1.0, 2, 1), (0, 1, LEGAL, 1.0, 1, 1)])
    caps = Caps(tier2_h100e=20.0, tier2_entry=np.array([True, False]))
    orders = clearing.clear(b, buyers([100.0]), np.array([1e9, 1e9]), caps, K)
    got = clearing.deliver(
        b, orders, np.zeros(1, np.intp), np.zeros(2, np.intp), 1, 0.0, 0.0, np.zeros(1)
    )
    # first round: 50 to each; the capped vendor delivers only 20 H100e (10 chips of 2 H100e)
    assert got.bought[0, LEGAL] == pytest.approx(20.0 + 80.0)  # the rest goes to vendor 1
    assert got.sold_chips[0] == pytest.approx(10.0)
    assert got.spend[0] == pytest.approx(100.0)


# ---------------------------------------------------------------- delivery


def test_delivery_pays_vendors_and_records_flows():
    rows = [
        (0, 0, LEGAL, 2.0, 1, 0.8, LINK),
        (0, 1, LEGAL, 1.0, 1, 1, 0, True),
        (0, 1, SMUGGLED, 1.5, 1, 1, FULL, False, 1.0),
        (0, 2, DOMESTIC, 1.0, 0.5, 0.6, DOM),
    ]
    b = book_of(1, 3, rows)
    orders = clearing.clear(b, buyers([100.0], smuggle=0.5), np.full(3, 1e9), Caps(), K)
    got = clearing.deliver(
        b, orders, np.zeros(1, np.intp), np.array([1, 1, 0]), 2, 0.5, 0.0, np.array([7.0, 0.0])
    )
    spent = {ch: sum(f[6] for f in got.flows if f[2] == ch) for ch in (LEGAL, SMUGGLED, DOMESTIC)}
    assert sum(spent.values()) == pytest.approx(got.spend[0]) == pytest.approx(100.0)
    # smugglers keep the premium: the vendor gets the money divided by 1.5
    assert got.revenue[1] == pytest.approx(spent[SMUGGLED] / 1.5)
    assert got.revenue[0] == pytest.approx(spent[LEGAL])
    # purchases by penalty class; domestic purchases add to the buyer nation's learning stock
    assert got.bought_class[0, LINK] == pytest.approx(spent[LEGAL] / 2.0)
    assert got.domestic_h100e[0] == pytest.approx(7.0 + spent[DOMESTIC] / 1.0)
    assert got.home_chips.tolist() == pytest.approx([0.0, 0.0, spent[DOMESTIC] / 1.0 / 0.5])


# ---------------------------------------------------------------- conservation


@st.composite
def books(draw):
    """Random books: 1-4 labs, 1-3 vendors, each lab a random menu of channels."""
    n_labs = draw(st.integers(1, 4))
    n_vendors = draw(st.integers(1, 3))
    price = st.floats(0.1, 10.0)
    rows = []
    for lab in range(n_labs):
        for v in range(n_vendors):
            kind = draw(st.sampled_from(["legal", "denied", "domestic", "licensed", "none"]))
            if kind == "legal":
                kw = draw(st.floats(0.0, 2.0))
                rows.append(
                    (
                        lab,
                        v,
                        LEGAL,
                        draw(price),
                        draw(st.floats(0.5, 2)),
                        1.0,
                        FULL,
                        False,
                        None,
                        1.0,
                        kw,
                    )
                )
            elif kind == "licensed":
                rows.append((lab, v, LICENSED, draw(price), 1.0, 1.0))
            elif kind == "domestic":
                q = draw(st.floats(0.1, 1.0))
                rows.append((lab, v, DOMESTIC, draw(price), 1.0, q, DOM))
            elif kind == "denied":
                rows.append((lab, v, LEGAL, draw(price), 1.0, 1.0, 0, True))
                if draw(st.booleans()):
                    rows.append((lab, v, SMUGGLED, draw(price), 1.0, 1.0))
                if draw(st.booleans()):
                    rows.append((lab, v, RENTED, draw(price), 1.0, 1.0))
    budget = draw(st.lists(st.floats(0.0, 1e3), min_size=n_labs, max_size=n_labs))
    capacity = draw(st.lists(st.floats(0.0, 1e3), min_size=n_vendors, max_size=n_vendors))
    leaks = (draw(st.floats(0.0, 0.95)), draw(st.floats(0.0, 1.0)), draw(st.floats(0.0, 1.0)))
    lic = draw(st.one_of(st.none(), st.floats(0.0, 1e3)))
    pool = draw(st.floats(0.0, 1e3))
    power = draw(st.one_of(st.none(), st.floats(0.0, 1e3)))
    return book_of(n_labs, n_vendors, rows), budget, capacity, leaks, (lic, pool, power)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(books())
def test_spend_never_exceeds_budget_and_sales_never_exceed_capacity(case):
    b, budget, capacity, (smuggle, rent, dmin), (lic, pool, power) = case
    caps = Caps(
        licence_chips=None if lic is None else np.full(b.n_vendors, lic),
        power_kw=None if power is None else np.array([power]),
        rental_pool=pool,
    )
    who = buyers(budget, smuggle, rent, dmin)
    shares = split(b, smuggle, rent, dmin)
    per_lab = np.bincount(b.layout.lab, shares, b.n_labs) if len(b) else np.zeros(b.n_labs)
    assert (shares >= 0).all() and (per_lab <= 1 + 1e-12).all()
    orders = clearing.clear(b, who, np.array(capacity), caps, K)
    got = clearing.deliver(
        b, orders, who.nation, np.zeros(b.n_vendors, np.intp), 1, 0.3, 0.25, np.zeros(1)
    )
    assert (got.spend <= np.array(budget) * (1 + 1e-9) + 1e-9).all()
    assert (got.sold_chips <= np.array(capacity) * (1 + 1e-9) + 1e-9).all()
    assert all(math.isfinite(x) and x >= 0 for x in got.bought.ravel())
    assert sum(f[6] for f in got.flows) == pytest.approx(float(got.spend.sum()))
    assert orders.rented <= pool * (1 + 1e-9) + 1e-9  # never more than the hosts offered
    if power is not None:
        assert float(got.new_kw.sum()) <= power * (1 + 1e-9) + 1e-9  # nor more power than free
