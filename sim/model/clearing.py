"""Chip-market clearing on typed arrays: channel choice, licence and tier-2 caps, rationing, delivery.

Everything here is a pure function of its arguments (no model, no agents), so rationing, caps,
leakage and money conservation are unit-tested alone (``tests/test_clearing.py``).

The year's offers form an :class:`OfferBook`: one entry per (lab, offer), grouped by lab in lab
order, in the order the offers were made. :func:`split_money` is the buyers' channel choice,
:func:`clear` runs the order rounds (caps, rationing, money that found no seller offered again)
and :func:`deliver` turns the filled orders into purchases, vendor revenue and flows.

A book has a few dozen entries and a dozen labs: the choice of channels, which goes lab by lab,
runs on Python lists, and so does per-lab, per-vendor and per-nation state (a numpy call costs
more than the arithmetic it would do on them); whole-book columns, orders and deliveries are
numpy arrays.

Floating-point sums run in the same sequence as a plain Python loop would (``np.bincount`` and
``np.add.at`` add in index order) and powers use the C library's ``pow`` through Python floats
rather than numpy's vectorised one, whose last bit varies with the CPU: one seed gives the same
run bit for bit on every machine.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeAlias, cast

import numpy as np
import numpy.typing as npt

from sim.config.schema import ORIGINS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
#: Per-lab, per-vendor or per-entry inputs: Python lists or numpy arrays.
Floats: TypeAlias = Sequence[float] | FloatArray
Bools: TypeAlias = Sequence[bool] | BoolArray

# Channels are the origins of compute (schema.ORIGINS order).
LEGAL, LICENSED, SMUGGLED, RENTED, DOMESTIC = range(5)
assert ORIGINS == ("legal", "licensed", "smuggled", "rented", "domestic")
# Fleet classes of purchased compute: full chips; link-cut variants (A800/H800: full FLOP, slow
# links, a training penalty); memory-rich capped variants (H20: few FLOP, much bandwidth, good for
# serving); domestic chips (a software-stack penalty, more power per FLOP).
FULL, LINK, MEM, DOM = 0, 1, 2, 3
N_CLASSES = 4
SERVE_ORDER = (MEM, DOM, LINK, FULL)  # a fleet serves from its best bandwidth per FLOP first

# Tolerances of the round logic: a vendor with less than this share of its capacity left is sold
# out; a lab with less than this share of its compute budget left stops ordering; a cap used up to
# within this share is closed.
SOLD_OUT = 1e-9
MONEY_LEFT = 1e-3
CAP_USED = 1e-9


class Offer(NamedTuple):
    """One way buyers of a nation can get a vendor's compute this year.

    ``channel`` is the origin the compute will have (legal, licensed, smuggled, rented,
    domestic); ``price`` is what the buyer pays per H100e: chips plus data-centre capex for owned
    chips, rent per H100e-year for rented compute; ``chip_price`` is what reaches the vendor per
    H100e (before the smugglers' premium); ``chip_perf`` is H100e per chip (capacity is counted in
    chips; rented compute counts H100e against the hosts' pool); ``pclass`` is the fleet class;
    ``serve`` the serving units per H100e; ``kw`` the power per H100e drawn at home (0 for rented).
    A ``denied`` offer is the controlled product the buyer cannot buy: money drawn to it leaks to
    the smuggled and rented offers of the same vendor, the rest goes to the allowed offers.
    """

    channel: int
    price: float
    chip_perf: float
    pclass: int = FULL
    denied: bool = False
    chip_price: float = 0.0
    serve: float = 1.0
    kw: float = 0.0


@dataclass(frozen=True, slots=True)
class Layout:
    """Which offers exist (lab, vendor, channel, penalty class, denied) and what follows from
    that. It rarely changes from one year to the next (``sim.model.trade.OfferPlan`` reuses it).

    ``allowed_list`` is ``allowed`` as a Python list, for the channel choice's loops. Per lab:
    ``spans`` is the lab's range of entries, ``primary_entries`` its primary offers,
    ``allowed_entries`` its allowed offers, ``leaks`` its denied offers with their smuggled and
    rented twins (offers of the same vendor; -1 if none), ``domestic_entries`` its domestic
    offers and ``other_entries`` the rest; ``plain`` marks the labs whose offers are all allowed
    (no leaks).
    """

    keys: list[tuple[int, int, int, int, bool]]
    lab: IntArray
    vendor: IntArray
    channel: IntArray
    pclass: IntArray
    denied: BoolArray
    primary: BoolArray  #: bought directly (not a leak twin)
    allowed: BoolArray  #: primary and not denied
    uses_capacity: BoolArray  #: everything but rented compute
    allowed_list: list[bool]
    spans: list[tuple[int, int]]
    primary_entries: list[list[int]]
    allowed_entries: list[list[int]]
    leaks: list[list[tuple[int, int, int]]]
    domestic_entries: list[list[int]]
    other_entries: list[list[int]]
    plain: list[bool]

    @classmethod
    def of(cls, keys: Sequence[tuple[int, int, int, int, bool]], n_labs: int) -> Layout:
        """The layout of offers ``keys`` = (lab, vendor, channel, pclass, denied), grouped by lab
        in lab order.

        Layouts are immutable and few (a run has two or three; an ensemble's runs share them):
        each is built once per process and shared."""
        return _layout(tuple(keys), n_labs)


@functools.lru_cache(maxsize=256)
def _layout(keys: tuple[tuple[int, int, int, int, bool], ...], n_labs: int) -> Layout:
    """:meth:`Layout.of`, built."""
    if any(a[0] > b[0] for a, b in zip(keys, keys[1:], strict=False)):
        raise ValueError("offers must be grouped by lab, in lab order")
    cols = list(zip(*keys, strict=True)) if keys else [(), (), (), (), ()]
    lab, vendor, channel, pclass = (np.array(c, dtype=np.intp) for c in cols[:4])
    denied = np.array(cols[4], dtype=np.bool_)
    primary = (channel != SMUGGLED) & (channel != RENTED)
    first = [len(keys)] * n_labs
    last = [0] * n_labs
    twins: dict[tuple[int, int, int], int] = {}
    for i, (li, vi, ch, _, _) in enumerate(keys):
        first[li] = min(first[li], i)
        last[li] = i + 1
        if ch in (SMUGGLED, RENTED):
            twins[(li, vi, ch)] = i
    leaks: list[list[tuple[int, int, int]]] = [[] for _ in range(n_labs)]
    domestic: list[list[int]] = [[] for _ in range(n_labs)]
    primary_entries: list[list[int]] = [[] for _ in range(n_labs)]
    allowed: list[list[int]] = [[] for _ in range(n_labs)]
    for i, (li, vi, ch, _, is_denied) in enumerate(keys):
        if ch not in (SMUGGLED, RENTED):
            primary_entries[li].append(i)
            if not is_denied:
                allowed[li].append(i)
        if is_denied:
            leaks[li].append(
                (i, twins.get((li, vi, SMUGGLED), -1), twins.get((li, vi, RENTED), -1))
            )
        if ch == DOMESTIC:
            domestic[li].append(i)
    return Layout(
        list(keys),
        lab,
        vendor,
        channel,
        pclass,
        denied,
        primary,
        primary & ~denied,
        channel != RENTED,
        (primary & ~denied).tolist(),
        [(f, max(f, e)) for f, e in zip(first, last, strict=True)],
        primary_entries,
        allowed,
        leaks,
        domestic,
        [
            [i for i in range(f, e) if keys[i][2] != DOMESTIC]
            for f, e in zip(first, last, strict=True)
        ],
        [len(allowed[li]) == max(0, last[li] - first[li]) for li in range(n_labs)],
    )


@dataclass(slots=True)
class OfferBookBuilder:
    """Collects offers lab by lab; :meth:`build` freezes them into an :class:`OfferBook`."""

    n_labs: int
    n_vendors: int
    keys: list[tuple[int, int, int, int, bool]] = field(default_factory=list)
    values: list[tuple[float, float, float, float, float, float]] = field(default_factory=list)

    def add(
        self,
        lab: int,
        vendor: int,
        channel: int,
        price: float,
        chip_perf: float,
        quality: float,
        pclass: int = FULL,
        denied: bool = False,
        chip_price: float | None = None,
        serve: float = 1.0,
        kw: float = 0.0,
    ) -> None:
        """One way ``lab`` can get ``vendor``'s compute (offers of one lab must be added together).

        ``price`` is what the buyer pays per H100e (for rented: per H100e-year); ``chip_perf`` is
        H100e per chip (capacity is counted in chips); ``quality`` is the training value of one
        H100e through this channel (1 minus its penalty). A ``denied`` offer is the controlled
        product the buyer cannot buy: money drawn to it leaks to its smuggled and rented twins
        (offers of the same vendor and lab), the rest goes to the lab's allowed offers.
        ``chip_price`` is what reaches the vendor per H100e (default: the whole price); ``serve``
        the serving units per H100e; ``kw`` the power per H100e drawn at home.
        """
        self.keys.append((lab, vendor, channel, pclass, denied))
        paid = price if chip_price is None else chip_price
        self.values.append((price, chip_perf, quality, paid, serve, kw))

    def build(self) -> OfferBook:
        """The frozen book."""
        layout = Layout.of(self.keys, self.n_labs)
        cols = list(zip(*self.values, strict=True)) if self.values else [()] * 6
        price, perf, quality, chip_price, serve, kw = (np.array(c, dtype=np.float64) for c in cols)
        return OfferBook(
            self.n_labs,
            self.n_vendors,
            layout,
            price,
            perf,
            quality,
            price / quality,
            chip_price,
            serve,
            kw,
        )


@functools.cache
def empty_book(n_labs: int, n_vendors: int) -> OfferBook:
    """A book with no offers (shared: books are never changed in place)."""
    return OfferBookBuilder(n_labs, n_vendors).build()


@dataclass(slots=True)  # built every year: not frozen (a frozen init is ~5x slower)
class OfferBook:
    """Every offer of the year, one entry per (lab, offer), grouped by lab: the :class:`Layout`
    (which offers exist) and their prices. ``cost`` is the price per unit of value the buyer
    compares (training value, or a blend of training and serving value for labs that need to
    serve); ``quality`` is the training value of one H100e."""

    n_labs: int
    n_vendors: int
    layout: Layout
    price: FloatArray
    chip_perf: FloatArray
    quality: FloatArray
    cost: FloatArray
    chip_price: FloatArray
    serve: FloatArray
    kw: FloatArray

    def __len__(self) -> int:
        return len(self.price)


def _sum_by(index: IntArray, weights: npt.ArrayLike, n: int) -> FloatArray:
    """Sums of ``weights`` per ``index`` (``n`` bins), added in index order (float, even when
    empty)."""
    out = np.bincount(index, weights, n)
    # (numpy gives float sums for weights, but integer zeros for an empty index)
    return cast("FloatArray", out) if len(index) else out.astype(np.float64)


def as_list(x: Sequence[Any] | npt.NDArray[Any]) -> list[Any]:
    """``x`` as a new list of Python numbers."""
    return x.tolist() if isinstance(x, np.ndarray) else list(x)


@dataclass(slots=True)  # built every year: not frozen (a frozen init is ~5x slower)
class Weights:
    """Each lab's logit weights over all its primary offers, ``(cheapest / cost) ** elasticity``
    per entry, and its cheapest cost. Over any open subset of offers that keeps a lab's cheapest
    cost, the weights are these same numbers: the shares are then these weights renormalised,
    with no new powers (:func:`primary_shares`). ``share`` are the shares with every offer
    open."""

    weight: list[float]
    cheapest: list[float]
    share: list[float]


def weigh(book: OfferBook, elasticity: float, cost: Sequence[float] | None = None) -> Weights:
    """The :class:`Weights` of ``book`` over all its offers (at ``cost``, default ``book.cost``)."""
    costs = book.cost.tolist() if cost is None else cost
    weight = [0.0] * len(costs)
    share = [0.0] * len(costs)
    cheapest = [math.inf] * book.n_labs
    for li, entries in enumerate(book.layout.primary_entries):
        low = math.inf
        for i in entries:
            if costs[i] < low:
                low = costs[i]
        cheapest[li] = low
        total = 0.0
        for i in entries:
            weight[i] = w = (low / costs[i]) ** elasticity
            total += w
        for i in entries:
            share[i] = weight[i] / total
    return Weights(weight, cheapest, share)


def primary_shares(
    book: OfferBook,
    open_: Sequence[bool],
    elasticity: float,
    cost: Sequence[float] | None = None,
    weights: Weights | None = None,
) -> list[float]:
    """Each lab's logit split over its open primary offers (per entry, zero elsewhere): shares
    proportional to ``cost ** -elasticity``, computed as ``(cheapest / cost) ** elasticity``
    (``cost`` defaults to ``book.cost``; ``weights``, if given, are :func:`weigh` at it)."""
    costs = book.cost.tolist() if cost is None else cost
    out = [0.0] * len(costs)
    for li in range(book.n_labs):
        _lab_shares(book.layout.primary_entries[li], li, costs, open_, elasticity, weights, out)
    return out


def _lab_shares(
    entries: list[int],
    li: int,
    cost: Sequence[float],
    open_: Sequence[bool],
    elasticity: float,
    weights: Weights | None,
    out: list[float],
) -> None:
    """:func:`primary_shares` of lab ``li`` (its primary ``entries``), written into ``out``."""
    cheapest = math.inf
    for i in entries:
        if open_[i] and cost[i] < cheapest:
            cheapest = cost[i]
    total = 0.0
    if weights is not None and cheapest == weights.cheapest[li]:  # the same numbers, known
        w = weights.weight
        for i in entries:
            if open_[i]:
                out[i] = w[i]
                total += w[i]
            else:
                out[i] = 0.0
    else:
        for i in entries:
            if open_[i]:
                out[i] = x = (cheapest / cost[i]) ** elasticity
                total += x
            else:
                out[i] = 0.0
    for i in entries:
        if open_[i]:
            out[i] /= total


def split_money(
    book: OfferBook,
    open_: Bools,
    smuggle: Floats,
    rent: Floats,
    domestic_min: Floats,
    elasticity: float,
    shares: Floats | None = None,
) -> FloatArray:
    """Each lab's split of one unit of money across its open offers (per entry; sums to <= 1 per
    lab).

    Primary offers compete by cost (:func:`primary_shares`; pass ``shares`` if already known).
    Money drawn to a denied offer goes ``smuggle[lab]`` to its smuggled twin and ``rent[lab]`` to
    its rented twin (if open; scaled down together if they exceed 1) and the rest to the lab's
    allowed offers pro rata (evenly if they got nothing). A domestic mandate raises the lab's
    domestic offers to at least ``domestic_min[lab]`` of the money, taken pro rata from its other
    offers. Money that finds no allowed offer is left unspent.
    """
    is_open = as_list(open_)
    money = [0.0] * len(is_open)
    split_labs(
        book.layout,
        range(book.n_labs),
        is_open,
        book.cost.tolist(),
        elasticity,
        None,
        as_list(smuggle),
        as_list(rent),
        as_list(domestic_min),
        money,
        None if shares is None else as_list(shares),
    )
    return np.array(money, dtype=np.float64)


def split_labs(
    lay: Layout,
    labs: Iterable[int],
    is_open: Sequence[bool],
    cost: Sequence[float],
    elasticity: float,
    weights: Weights | None,
    smuggle: Sequence[float],
    rent: Sequence[float],
    mandate: Sequence[float],
    money: list[float],
    shares: list[float] | None = None,
    all_open: bool = False,
) -> None:
    """:func:`split_money` of ``labs`` on lists, written into ``money`` (every entry of each of
    those labs): the primary shares at ``cost`` (or ``weights``, their :func:`weigh`) unless
    ``shares`` gives them; ``all_open`` says every offer is open."""
    allowed = lay.allowed_list
    drawn = [0.0] * len(money) if shares is None else shares
    for li in labs:
        if shares is None:
            _lab_shares(lay.primary_entries[li], li, cost, is_open, elasticity, weights, drawn)
        start, end = lay.spans[li]
        if lay.plain[li] and (shares is None or all_open):  # all allowed: share, 0 if closed
            money[start:end] = drawn[start:end]
        else:
            for i in range(start, end):
                money[i] = drawn[i] if allowed[i] and is_open[i] else 0.0
        # Leakage and mandates concern a few labs with a few offers each.
        if lay.leaks[li]:
            _leak(lay, li, drawn, is_open, smuggle[li], rent[li], money)
        if mandate[li] > 0 and lay.domestic_entries[li]:
            dom = [i for i in lay.domestic_entries[li] if is_open[i]]
            _mandate(money, dom, lay.other_entries[li], mandate[li])


def _may_buy(lay: Layout, li: int, is_open: Sequence[bool]) -> bool:
    """False if lab ``li`` surely gets no share of its money at the open offers ``is_open``
    (no open allowed offer, no open denied offer with an open smuggled or rented twin)."""
    for i in lay.allowed_entries[li]:
        if is_open[i]:
            return True
    for d, st, rt in lay.leaks[li]:
        if is_open[d] and ((st >= 0 and is_open[st]) or (rt >= 0 and is_open[rt])):
            return True
    return False


def _leak(
    lay: Layout,
    li: int,
    drawn: Sequence[float],
    is_open: Sequence[bool],
    smuggle: float,
    rent: float,
    money: list[float],
) -> None:
    """Money lab ``li`` drew to its denied offers: ``smuggle`` of it to their smuggled twins,
    ``rent`` to their rented twins, the rest to its allowed offers."""
    leftover = 0.0
    for d, st, rt in lay.leaks[li]:
        s = drawn[d]
        if s == 0.0:  # closed, or no money drawn
            continue
        ss = smuggle if st >= 0 and is_open[st] else 0.0
        rs = rent if rt >= 0 and is_open[rt] else 0.0
        if ss + rs > 1.0:  # the two leaks never take more than the denied money
            total = ss + rs
            ss, rs = ss / total, rs / total
        if st >= 0 and is_open[st]:
            money[st] += s * ss
        if rt >= 0 and is_open[rt]:
            money[rt] += s * rs
        leftover += s * (1.0 - ss - rs)
    if leftover > 0:
        _give(money, [i for i in lay.allowed_entries[li] if is_open[i]], leftover)


def _give(money: list[float], allowed: list[int], leftover: float) -> None:
    """Denied money that did not leak goes to the allowed offers pro rata (evenly if none of
    them drew any money)."""
    if not allowed:
        return
    total = sum(map(money.__getitem__, allowed))
    if total > 0:
        for i in allowed:
            money[i] += leftover * money[i] / total
    else:
        for i in allowed:
            money[i] += leftover / len(allowed)


def _mandate(money: list[float], dom: list[int], other: list[int], minimum: float) -> None:
    """Raise a lab's open domestic offers ``dom`` to ``minimum`` of its money, taken pro rata
    from its ``other`` (not domestic) offers."""
    dom_total = sum(map(money.__getitem__, dom))
    if not dom or dom_total >= minimum:
        return
    others = [i for i in other if money[i] > 0]
    other_total = sum(map(money.__getitem__, others))
    need = min(minimum - dom_total, other_total)
    for i in others:  # max(): taking everything can leave -1e-17 of float dust
        money[i] = max(0.0, money[i] - need * money[i] / other_total)
    for i in dom:
        money[i] += need * (money[i] / dom_total if dom_total > 0 else 1 / len(dom))


def fill_fraction(total: list[float], capacity: list[float]) -> list[float]:
    """Pro-rata fill fraction per group when orders ``total`` meet ``capacity`` (same units)."""
    return [
        1.0 if t <= c or t <= 0 else (c / t if c > 0 else 0.0)
        for t, c in zip(total, capacity, strict=True)
    ]


@dataclass(slots=True)  # built every year: not frozen (a frozen init is ~5x slower)
class Caps:
    """This year's quantity limits on orders.

    ``licence_chips`` (per vendor, or None when licences are off): licensed chips each buyer nation
    may get this year. ``tier2_h100e`` (or None): H100e of controlled chips each restricted nation
    may get (diffusion rule); ``tier2_entry`` marks the book entries that count against it.
    """

    licence_chips: FloatArray | None = None
    tier2_h100e: float | None = None
    tier2_entry: BoolArray | None = None
    power_kw: FloatArray | None = None  #: per buyer nation: free data-centre power (inf: no limit)
    rental_pool: float = 0.0  #: H100e-years that hosts offer to renters this year


@dataclass(slots=True)  # built every year: not frozen (a frozen init is ~5x slower)
class Buyers:
    """Per-lab inputs of the clearing: money to spend, home nation and leakage shares."""

    budget: FloatArray
    nation: IntArray
    n_nations: int
    smuggle: FloatArray
    rent: FloatArray
    domestic_min: FloatArray


@dataclass(slots=True)  # built every year: not frozen (a frozen init is ~5x slower)
class Orders:
    """Filled orders of the year, round by round: book entry, money paid and chips."""

    entry: IntArray
    money: FloatArray
    chips: FloatArray
    demand: FloatArray  # per vendor: chips ordered over all rounds (after caps; buyers' power)
    power_demand: FloatArray  # per nation: kW its labs wanted for owned chips in the first round
    rented: float  # H100e-years rented from the hosts' pool


def clear(
    book: OfferBook,
    buyers: Buyers,
    capacity: FloatArray,
    caps: Caps,
    elasticity: float,
    rounds: int = 3,
    weights: Weights | None = None,
) -> Orders:
    """Orders meet supply in up to ``rounds`` rounds.

    In each round every lab with money left splits it across its open offers
    (:func:`split_money`); licence and tier-2 caps scale orders down pro rata (cumulative over
    rounds), then each vendor's remaining capacity, the hosts' rental pool and each nation's free
    power ration the orders pro rata. Money rationed away is offered again next round to the offers
    still open: a vendor sold out, the pool rented out, a nation out of power, or a cap used up,
    closes its offers. A lab whose open offers did not change since its last round stops (its
    leftover money found no seller). ``weights`` are the book's :func:`weigh`, if already
    computed.
    """
    # Per-entry columns are arrays; per-lab, per-vendor and per-nation state, a dozen numbers
    # each, stays in lists (a numpy call on them costs more than the loop).
    n_labs, n_vendors, n_nations = book.n_labs, book.n_vendors, buyers.n_nations
    lay = book.layout
    lab, vendor = lay.lab, lay.vendor
    nation = buyers.nation[lab]
    unspent = buyers.budget.tolist()  # per lab
    money_floor = [MONEY_LEFT * (1.0 if b < 1.0 else b) for b in unspent]  # (max(b, 1.0))
    # Rented compute draws on the hosts' pool, counted as a "vendor" after the real ones.
    cap_left = [*capacity.tolist(), caps.rental_pool]
    sold_out_below = [SOLD_OUT * (1.0 if c < 1.0 else c) for c in cap_left]
    cap_group = np.where(lay.uses_capacity, vendor, n_vendors)
    licence = LicenceCap(
        caps.licence_chips, lay, vendor * n_nations + nation, n_vendors * n_nations
    )
    tier2 = Tier2Cap(caps.tier2_h100e, caps.tier2_entry, nation, n_nations)
    power = PowerCap(caps.power_kw, book.kw, book.price, nation, n_nations)
    last_open = [-1.0] * n_labs
    demand = [0.0] * n_vendors
    power_demand = np.zeros(n_nations)
    parts: list[tuple[IntArray, FloatArray, FloatArray]] = []
    cost = book.cost.tolist()
    smuggle, rent, mandate = (
        as_list(x) for x in (buyers.smuggle, buyers.rent, buyers.domestic_min)
    )
    for round_ in range(rounds):
        vendor_open = [left > floor for left, floor in zip(cap_left, sold_out_below, strict=True)]
        open_ = np.array(vendor_open)[cap_group]
        if licence.touched_any or tier2.touched_any:
            capped = tier2.touched | licence.touched.reshape(n_vendors, n_nations).any(axis=0)
            open_ &= ~((licence.closed() | tier2.closed()) & capped[nation])
        if power.touched_any:
            full = power.closed()
            if full is not None:
                open_ &= ~full
        n_open = _sum_by(lab, open_, n_labs).tolist()
        active = [
            r > f and k != last
            for r, f, k, last in zip(unspent, money_floor, n_open, last_open, strict=True)
        ]
        if not any(active):
            break
        last_open = [k if a else last for k, a, last in zip(n_open, active, last_open, strict=True)]
        taking_part = [li for li, a in enumerate(active) if a]
        is_open = open_.tolist()
        if round_ > 0:  # a lab left only closed or denied offers without open twins buys nothing
            taking_part = [li for li in taking_part if _may_buy(lay, li, is_open)]
            if not taking_part:
                break
        split = [0.0] * len(cost)
        # With every offer open, the shares are those of all offers, known from the weights.
        known = (
            weights.share if round_ == 0 and weights is not None and False not in is_open else None
        )
        split_labs(
            lay,
            taking_part,
            is_open,
            cost,
            elasticity,
            weights,
            smuggle,
            rent,
            mandate,
            split,
            known,
            known is not None,
        )
        shares = np.array(split)
        entry = (shares > 0).nonzero()[0]
        if len(entry) == 0:
            break
        e_lab = lab[entry]
        money = shares[entry] * np.array(unspent)[e_lab]
        chips = money / book.price[entry] / book.chip_perf[entry]
        licence.apply(entry, money, chips)
        tier2.apply(entry, money, chips, book.chip_perf)
        group = cap_group[entry]
        ordered = _sum_by(group, chips, n_vendors + 1).tolist()
        # Vendors see the orders their buyers could power: a chip its buyer has no power for is
        # not demand (else fabs would expand, and prices hold, for chips nobody can install).
        # Money turned away by a sold-out vendor comes back next round: count it again.
        # (the power the orders draw: needed for the power caps, and for the first round's
        # record of the power wanted)
        draw = power.demand(entry, money) if power.limit is not None or round_ == 0 else None
        power_fill = power.fill(draw)  # None: power for every order
        wants = (
            ordered
            if power_fill is None
            else _sum_by(group, chips * power_fill, n_vendors + 1).tolist()
        )
        fill = fill_fraction(ordered, cap_left)
        scaled = fill.count(1.0) != len(fill)  # (any fill below 1)
        if scaled:
            by_entry = np.array(fill)[group]
            chips *= by_entry
            money *= by_entry
            if draw is not None:
                draw = power.demand(entry, money)
                power_fill = power.fill(draw)
        power_scaled = power.apply(money, chips, draw, power_fill)
        if round_ == 0 and draw is not None:
            power_demand = draw[2]
        # Orders nobody rationed were all sold: their sums are the ones already made.
        sold = _sum_by(group, chips, n_vendors + 1).tolist() if scaled or power_scaled else ordered
        # (a vendor saw at least what it sold: power left after rationing can exceed the estimate)
        demand = [d + (s if s > w else w) for d, w, s in zip(demand, wants, sold, strict=False)]
        cap_left = [left - s for left, s in zip(cap_left, sold, strict=True)]
        for li, m in zip(
            e_lab.tolist(), money.tolist(), strict=True
        ):  # in order, as np.subtract.at
            unspent[li] -= m
        parts.append((entry, money, chips))
        if all(r <= f for r, f in zip(unspent, money_floor, strict=True)):
            break
    rented = caps.rental_pool - cap_left[n_vendors]
    if not parts:
        empty = np.zeros(0)
        return Orders(np.zeros(0, dtype=np.intp), empty, empty, np.array(demand), power_demand, 0.0)
    return Orders(
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        np.array(demand),
        power_demand,
        max(0.0, rented),
    )


#: Power that a round's orders draw: kW per order, the buyer nation per order, kW per nation.
Draw: TypeAlias = tuple[FloatArray, IntArray, FloatArray]


class PowerCap:
    """Free data-centre power per buyer nation (kW) for owned chips, used up over the rounds."""

    def __init__(
        self,
        limit: FloatArray | None,
        kw: FloatArray,
        price: FloatArray,
        nation: IntArray,
        n: int,
    ):
        self.limit = None if limit is None else limit.tolist()  # per nation (inf: no limit)
        self.kw = kw  # per entry: kW per H100e (0 for rented)
        self.price = price
        self.nation = nation
        self.owned = kw > 0  # per entry: draws power
        self.used = [0.0] * n
        self.touched_any = False

    def closed(self) -> BoolArray | None:
        """Owned-chip offers of nations whose power is used up (None if no nation's is)."""
        if self.limit is None:
            return None
        full = [u >= lim * (1 - CAP_USED) for u, lim in zip(self.used, self.limit, strict=True)]
        if True not in full:
            return None
        out: BoolArray = self.owned & np.array(full)[self.nation]
        return out

    def demand(self, entry: IntArray, money: FloatArray) -> Draw:
        """The power that orders of ``money`` on ``entry`` would draw (:class:`Draw`)."""
        kw = money / self.price[entry] * self.kw[entry]
        nat = self.nation[entry]
        return kw, nat, _sum_by(nat, kw, len(self.used))

    def _fill(self, want: list[float]) -> list[float]:
        """Per nation the share of ``want`` (kW) its free power takes (limits set)."""
        assert self.limit is not None
        left = [lim - u for lim, u in zip(self.limit, self.used, strict=True)]
        return fill_fraction(want, left)

    def fill(self, draw: Draw | None) -> FloatArray | None:
        """Per order, the share of it that its nation's free power could take (pro rata within a
        nation; 1 for rented compute), or None when power takes every order whole. ``draw`` is
        the orders' :meth:`demand`."""
        if self.limit is None or draw is None:
            return None
        kw, nat, wanted = draw
        by_nation = self._fill(wanted.tolist())
        if by_nation.count(1.0) == len(by_nation):
            return None
        out: FloatArray = np.where(kw > 0, np.array(by_nation)[nat], 1.0)
        return out

    def apply(
        self, money: FloatArray, chips: FloatArray, draw: Draw | None, fill: FloatArray | None
    ) -> bool:
        """Scale this round's owned-chip orders down pro rata to each nation's free power (by
        ``fill``, their :meth:`fill` at ``draw``, their :meth:`demand`) and use the power; whether
        any order was scaled."""
        if self.limit is None or draw is None:
            return False
        kw, nat, wanted = draw
        want = wanted.tolist()
        self.touched_any = self.touched_any or any(w > 0 for w in want)
        if fill is None:  # power for every order: nothing to scale
            self.used = [u + w for u, w in zip(self.used, want, strict=True)]
            return False
        chips *= fill
        money *= fill
        added = _sum_by(nat, kw * fill, len(self.used)).tolist()
        self.used = [u + a for u, a in zip(self.used, added, strict=True)]
        return True


class LicenceCap:
    """Licensed chips per (vendor, buyer nation) this year, used up over the rounds."""

    def __init__(self, limit: FloatArray | None, lay: Layout, key: IntArray, n_keys: int):
        self.limit = limit  # per vendor, or None when licences are off
        self.entry = lay.channel == LICENSED
        self.vendor = lay.vendor
        self.key = key  # per entry: vendor x buyer nation
        self.used = np.zeros(n_keys)
        self.touched = np.zeros(n_keys, dtype=np.bool_)
        self.touched_any = False

    def closed(self) -> BoolArray:
        """Licensed offers whose cap is used up."""
        if self.limit is None:
            return np.zeros(len(self.entry), dtype=np.bool_)
        limit = (self.limit * (1 - CAP_USED))[self.vendor]
        closed: BoolArray = self.entry & (self.used[self.key] >= limit)
        return closed

    def apply(self, entry: IntArray, money: FloatArray, chips: FloatArray) -> None:
        """Scale this round's licensed orders down pro rata to what is left of each cap."""
        if self.limit is None:
            return
        sel = self.entry[entry].nonzero()[0]
        if len(sel) == 0:
            return
        key = self.key[entry[sel]]
        left = self.limit[self.vendor[entry[sel]]] - self.used[key]
        total = _sum_by(key, chips[sel], len(self.used))[key]
        fill = np.array(fill_fraction(total.tolist(), left.tolist()))
        chips[sel] *= fill
        money[sel] *= fill
        self.used += _sum_by(key, chips[sel], len(self.used))
        self.touched[key] = True
        self.touched_any = True


class Tier2Cap:
    """H100e of controlled chips per restricted nation this year (diffusion rule)."""

    def __init__(self, limit: float | None, entry: BoolArray | None, nation: IntArray, n: int):
        self.limit = limit
        self.entry = entry  # per entry: counts against the cap
        self.nation = nation  # per entry: buyer nation
        self.used = np.zeros(n)
        self.touched = np.zeros(n, dtype=np.bool_)
        self.touched_any = False

    def closed(self) -> BoolArray:
        """Capped offers whose nation has used up its cap."""
        if self.limit is None or self.entry is None:
            return np.zeros(len(self.nation), dtype=np.bool_)
        return self.entry & (self.used[self.nation] >= self.limit * (1 - CAP_USED))

    def apply(
        self, entry: IntArray, money: FloatArray, chips: FloatArray, chip_perf: FloatArray
    ) -> None:
        """Scale this round's capped orders down pro rata to what is left of each nation's cap."""
        if self.limit is None or self.entry is None:
            return
        sel = self.entry[entry].nonzero()[0]
        if len(sel) == 0:
            return
        nat = self.nation[entry[sel]]
        perf = chip_perf[entry[sel]]
        n = len(self.used)
        total = _sum_by(nat, chips[sel] * perf, n)[nat]
        fill = np.array(fill_fraction(total.tolist(), (self.limit - self.used[nat]).tolist()))
        chips[sel] *= fill
        money[sel] *= fill
        self.used += _sum_by(nat, chips[sel] * perf, n)
        self.touched[nat] = True
        self.touched_any = True


@dataclass(slots=True)  # built every year: not frozen (a frozen init is ~5x slower)
class Delivery:
    """What the filled orders deliver, per lab, vendor and flow (see :func:`deliver`)."""

    spend: FloatArray  #: per lab: money paid for compute (chips, data centres, rent)
    facility: FloatArray  #: per lab: the data-centre part of it (owned chips)
    bought: FloatArray  #: per lab x origin: H100e bought (rented: H100e-years leased)
    bought_class: FloatArray  #: per lab x fleet class: owned H100e bought
    bought_serve: FloatArray  #: per lab x fleet class: serving units bought
    new_kw: FloatArray  #: per nation: power drawn by the owned chips bought
    sold_chips: FloatArray  #: per vendor
    home_chips: FloatArray  #: per vendor: chips sold to its home nation
    revenue: FloatArray  #: per vendor: money the vendor receives
    licence_fees: float  #: paid to the controller on licensed sales
    host_income: float  #: rent paid to foreign clouds
    domestic_h100e: FloatArray  #: per nation: cumulative domestic-chip purchases (updated)
    #: (vendor, buyer nation, channel, H100e, chips, vendor revenue, buyer spend) per flow, in
    #: the order each flow first appears among the orders
    flows: list[tuple[int, int, int, float, float, float, float]]


def deliver(
    book: OfferBook,
    orders: Orders,
    buyer_nation: IntArray,
    vendor_nation: IntArray,
    n_nations: int,
    smuggling_premium: float,
    licence_fee_share: float,
    domestic_h100e: FloatArray,
) -> Delivery:
    """Turn filled orders into purchases, vendor sales and revenue, licence fees and flows.

    A vendor receives the chip price of what it sells (``book.chip_price``): not the data-centre
    part of the buyer's price, not the smugglers' premium, nothing for rented compute (paid to
    foreign clouds). ``domestic_h100e`` (per nation, cumulative so far) gains this year's
    domestic-chip purchases.
    """
    n_labs, n_vendors, n_origins = book.n_labs, book.n_vendors, len(ORIGINS)
    lay = book.layout
    # Orders that paid nothing bought nothing: every sum below skips them (adding 0 to a sum
    # changes no bit of it).
    paid = orders.money > 0
    e, money, chips = orders.entry[paid], orders.money[paid], orders.chips[paid]
    lab, vendor, channel = lay.lab[e], lay.vendor[e], lay.channel[e]
    nation = np.asarray(buyer_nation)[lab]
    rented = channel == RENTED
    owned = ~rented
    chips_counted = chips * owned  # rented compute uses no vendor capacity
    home = nation == np.asarray(vendor_nation)[vendor]
    h100e = money / book.price[e]
    chip_money = h100e * book.chip_price[e]
    # (masks multiply as 1 and 0: the same numbers as selecting, in fewer array calls)
    vendor_rev = chip_money * owned
    paid_for_chips = np.where(
        channel == SMUGGLED, chip_money * (1.0 + smuggling_premium), chip_money
    )
    facility = np.maximum(money - paid_for_chips, 0.0) * owned
    fees = _sum_by(channel, licence_fee_share * vendor_rev, n_origins)[LICENSED]
    dom = channel == DOMESTIC
    cum = domestic_h100e.copy()
    np.add.at(cum, nation[dom], h100e[dom])
    key = ((vendor * n_nations + nation) * n_origins + channel).tolist()
    firsts = list(dict.fromkeys(key))  # flows in the order they first appear
    rank = {k: i for i, k in enumerate(firsts)}
    flow = np.array([rank[k] for k in key], dtype=np.intp)
    n_flows = len(firsts)
    sums = [_sum_by(flow, x, n_flows).tolist() for x in (h100e, chips, vendor_rev, money)]
    flows = []
    for f, k in enumerate(firsts):
        rest, ch = divmod(k, n_origins)
        v, nat = divmod(rest, n_nations)
        flows.append((v, nat, ch, sums[0][f], sums[1][f], sums[2][f], sums[3][f]))
    pclass = lay.pclass[e]
    cls_key = lab * N_CLASSES + pclass
    return Delivery(
        spend=_sum_by(lab, money, n_labs),
        facility=_sum_by(lab, facility, n_labs),
        bought=_sum_by(lab * n_origins + channel, h100e, n_labs * n_origins).reshape(
            n_labs, n_origins
        ),
        bought_class=_sum_by(cls_key, h100e * owned, n_labs * N_CLASSES).reshape(n_labs, N_CLASSES),
        bought_serve=_sum_by(cls_key, h100e * owned * book.serve[e], n_labs * N_CLASSES).reshape(
            n_labs, N_CLASSES
        ),
        new_kw=_sum_by(nation, h100e * book.kw[e], n_nations),
        sold_chips=_sum_by(vendor, chips_counted, n_vendors),
        home_chips=_sum_by(vendor, chips_counted * home, n_vendors),
        revenue=_sum_by(vendor, vendor_rev, n_vendors),
        licence_fees=float(fees),
        host_income=float(money[rented].sum()),
        domestic_h100e=cum,
        flows=flows,
    )
