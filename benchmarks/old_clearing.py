"""The previous chip-market clearing, kept for ``bench_model.py`` to run side by side.

This is the clearing of the model before the core restructure (issue 8): per-lab offer lists
from ``ExportControl.offers(lab, nation, vendor, model)``, a scalar ``split_budget`` per lab and
round, orders as ``[lab, offer, money, chips]`` lists, caps and rationing with dict groupings,
and a delivery loop. It is wired into the current model by overriding the two market phases,
so the benchmark measures the clearing alone; it gives bit-identical results (the benchmark
checks that). Not used by the model; do not import it from ``sim``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.config.schema import ORIGINS
from sim.model import records
from sim.model.agents import H100_TPP, ChipVendor, Lab, Nation
from sim.model.algorithms import choose_efficiency_share
from sim.model.clearing import DOMESTIC_CLASS, FULL, VARIANT
from sim.model.market import scarcity_multiplier, smuggling_share
from sim.model.model import ComputeRaceModel
from sim.model.penalties import domestic_penalty, hardware_penalty

ORIGIN_INDEX = {o: i for i, o in enumerate(ORIGINS)}


@dataclass(slots=True)
class Offer:
    """One way a buyer can get compute from a vendor this year (the previous offer record)."""

    vendor: str
    channel: str
    price: float
    chip_perf: float
    quality: float
    pclass: int = 0
    denied: bool = False
    uses_capacity: bool = True


def logit_shares(costs: Sequence[float], elasticity: float) -> list[float]:
    """Shares proportional to cost^-elasticity."""
    if not costs:
        return []
    lo = min(costs)
    weights = [(lo / c) ** elasticity for c in costs]
    total = sum(weights)
    return [w / total for w in weights]


def split_budget(
    offers: Sequence[Offer],
    elasticity: float,
    smuggle_share: float,
    rent_share: float,
    domestic_min_share: float = 0.0,
) -> list[float]:
    """Split one unit of money across offers (the previous scalar implementation)."""
    n = len(offers)
    if n == 0:
        return []
    if domestic_min_share <= 0 and not any(
        o.denied or o.channel == "smuggled" or o.channel == "rented" for o in offers
    ):
        return logit_shares([o.price / o.quality for o in offers], elasticity)
    out = [0.0] * n
    primary = [i for i, o in enumerate(offers) if o.channel not in ("smuggled", "rented")]
    if not primary:
        return out
    shares = logit_shares([offers[i].price / offers[i].quality for i in primary], elasticity)
    allowed = [i for i in primary if not offers[i].denied]
    leftover = 0.0
    leaks: dict[str, dict[str, int]] = {}
    for j, o in enumerate(offers):
        if o.channel in ("smuggled", "rented"):
            leaks.setdefault(o.vendor, {})[o.channel] = j
    for i, s in zip(primary, shares, strict=True):
        o = offers[i]
        if not o.denied:
            out[i] += s
            continue
        twins = leaks.get(o.vendor, {})
        ss = smuggle_share if "smuggled" in twins else 0.0
        rs = rent_share if "rented" in twins else 0.0
        if ss + rs > 1.0:  # the leak cap the current clearing adds (same results otherwise)
            ss, rs = ss / (ss + rs), rs / (ss + rs)
        if "smuggled" in twins:
            out[twins["smuggled"]] += s * ss
        if "rented" in twins:
            out[twins["rented"]] += s * rs
        leftover += s * (1.0 - ss - rs)
    allowed_total = sum(out[i] for i in allowed)
    if leftover > 0 and allowed:
        if allowed_total > 0:
            for i in allowed:
                out[i] += leftover * out[i] / allowed_total
        else:
            for i in allowed:
                out[i] += leftover / len(allowed)
    if domestic_min_share > 0:
        dom = [i for i in allowed if offers[i].channel == "domestic"]
        dom_total = sum(out[i] for i in dom)
        if dom and dom_total < domestic_min_share:
            others = [i for i in range(n) if i not in dom and out[i] > 0]
            other_total = sum(out[i] for i in others)
            need = min(domestic_min_share - dom_total, other_total)
            for i in others:
                out[i] -= need * out[i] / other_total
            for i in dom:
                out[i] += need * (out[i] / dom_total if dom_total > 0 else 1 / len(dom))
    return out


def ration(orders: Sequence[float], capacity: float) -> float:
    """Pro-rata fill fraction when ``orders`` meet ``capacity``."""
    total = sum(orders)
    if total <= capacity or total <= 0:
        return 1.0
    return max(capacity, 0.0) / total if capacity > 0 else 0.0


class OldClearingModel(ComputeRaceModel):
    """The current model with the previous market clearing (allocation and trade phases)."""

    def _old_offers(self, lab: Lab, nation: Nation, vendor: ChipVendor) -> list[Offer]:
        """The previous ``ExportControl.offers(lab, nation, vendor, model)``."""
        c, w = self.controls, self.world
        if vendor.exclusive_buyers and lab.key not in vendor.exclusive_buyers:
            return []
        price = vendor.price_per_h100e * vendor.scarcity
        if vendor.nation == c.controller and self.controller_mineral_ban:
            price *= 1.0 + w.mineral_cost_increase
        spent = lab.cum_efficiency_spend
        if vendor.domestic is not None:
            if vendor.nation != nation.key:
                return []
            q = 1.0 - domestic_penalty(
                vendor.domestic.training_penalty,
                nation.cum_domestic_h100e,
                w.domestic_penalty_learning_h100e,
                spent,
                w.penalty_mitigation_usd,
            )
            return [Offer(vendor.key, "domestic", price, vendor.perf, q, DOMESTIC_CLASS)]
        if not vendor.exports and vendor.nation != nation.key:
            return []
        if not (c.targets(nation) and c.controlled(vendor)):
            return [Offer(vendor.key, "legal", price, vendor.perf, 1.0, FULL)]
        out: list[Offer] = []
        pen = hardware_penalty(w.variant_training_penalty, spent, w.penalty_mitigation_usd)
        avail = c.variant_availability(self.year)
        if avail > 0 and not nation.ban_compliant_imports:
            perf = (
                vendor.perf
                if c.link_rule_only
                else min(vendor.perf, c.tpp_threshold * 0.999 / H100_TPP)
            )
            vprice = price * w.variant_price_factor / avail
            out.append(Offer(vendor.key, "legal", vprice, perf, 1.0 - pen, VARIANT))
        lic = c.licence
        licensable = lic.enabled and not nation.ban_compliant_imports
        if licensable and vendor.flagship_tpp < lic.max_tpp:
            out.append(Offer(vendor.key, "licensed", price, vendor.perf, 1.0, FULL))
        else:
            if licensable and lic.max_tpp > c.tpp_threshold:
                lperf = lic.max_tpp * 0.999 / H100_TPP
                out.append(Offer(vendor.key, "licensed", price, lperf, 1.0, FULL))
            out.append(Offer(vendor.key, "legal", price, vendor.perf, 1.0, FULL, denied=True))
            out.append(
                Offer(
                    vendor.key,
                    "smuggled",
                    price * (1 + w.smuggling_premium),
                    vendor.perf,
                    1.0,
                    FULL,
                )
            )
            if c.cloud_loophole_open and lab.rent_abroad:
                rent = self.trends.rental_price * (1 + w.rental_abroad_premium)
                out.append(
                    Offer(vendor.key, "rented", rent, vendor.perf, 1.0, FULL, uses_capacity=False)
                )
        return out

    def _smuggle_share(self, noise: float) -> float:
        w = self.world
        s = smuggling_share(
            self.controls.enforcement, w.smuggling_max_share, w.smuggling_enforcement_exponent
        )
        return min(s * noise, 0.95)

    def _rent_share(self, lab: Lab) -> float:
        if not (self.controls.cloud_loophole_open and lab.rent_abroad):
            return 0.0
        return self.world.rental_max_share

    def allocate(self) -> None:
        w = self.world
        for lab in self.labs:
            nation = self.nations[lab.nation]
            offers = [o for v in self.vendors for o in self._old_offers(lab, nation, v)]
            lab.offers = offers  # type: ignore[attr-defined]
            shares = split_budget(
                offers,
                w.channel_price_elasticity,
                self._smuggle_share(1.0),
                self._rent_share(lab),
                nation.domestic_mandate_share,
            )
            spent = sum(shares)
            eff_cost = sum(s * o.price / o.quality for s, o in zip(shares, offers, strict=True))
            lab.effective_price = (
                eff_cost / spent / max(lab.fill_rate, w.min_fill_rate) if spent > 0 else math.inf
            )
            share = choose_efficiency_share(lab, w, self.trends)
            lab.efficiency_spend = share * lab.budget
            lab.compute_budget = (1.0 - share) * lab.budget
            lab.share_now = share

    def _order_round(self, remaining, cap_left, smuggle, licence_used, tier2_used) -> list[list]:
        w = self.world
        open_vendor = {
            k: left > 1e-9 * max(self.vendor_by_key[k].capacity, 1.0)
            for k, left in cap_left.items()
        }
        capped_nations = {n for _, n in licence_used} | set(tier2_used)
        orders: list[list] = []
        for lab in self.labs:
            money_left = remaining[lab.key]
            if money_left <= 1e-3 * max(lab.compute_budget, 1.0):
                continue
            nation = self.nations[lab.nation]
            offers = [o for o in lab.offers if not o.uses_capacity or open_vendor[o.vendor]]
            if (licence_used or tier2_used) and lab.nation in capped_nations:
                offers = [
                    o for o in offers if not self._cap_used_up(o, nation, licence_used, tier2_used)
                ]
            if len(offers) == lab.open_offers:
                continue
            lab.open_offers = len(offers)
            shares = split_budget(
                offers,
                w.channel_price_elasticity,
                smuggle[nation.key],
                self._rent_share(lab),
                nation.domestic_mandate_share,
            )
            for o, sh in zip(offers, shares, strict=True):
                if sh > 0:
                    money = sh * money_left
                    orders.append([lab, o, money, money / o.price / o.chip_perf])
        return orders

    def _cap_used_up(self, o: Any, nation: Nation, licence_used: dict, tier2_used: dict) -> bool:
        c = self.controls
        if o.channel == "licensed":
            v = self.vendor_by_key[o.vendor]
            cap = c.licence.volume_cap_share * v.last_home_sales_chips
            if licence_used.get((o.vendor, nation.key), 0.0) >= cap * (1 - 1e-9):
                return True
        if (
            o.channel in ("legal", "licensed")
            and not o.denied
            and nation.tier == "restricted"
            and c.active
            and c.tier2_cap_h100e is not None
            and c.controlled(self.vendor_by_key[o.vendor])
        ):
            return tier2_used.get(nation.key, 0.0) >= c.tier2_cap_h100e * (1 - 1e-9)
        return False

    def _apply_caps(self, orders: list[list], licence_used: dict, tier2_used: dict) -> None:
        c = self.controls
        if c.licence.enabled:
            by_key: dict[tuple[str, str], list[list]] = defaultdict(list)
            for od in orders:
                if od[1].channel == "licensed":
                    by_key[(od[1].vendor, od[0].nation)].append(od)
            for key, ods in by_key.items():
                cap = c.licence.volume_cap_share * self.vendor_by_key[key[0]].last_home_sales_chips
                self._scale(ods, ration([od[3] for od in ods], cap - licence_used[key]))
                licence_used[key] += sum(od[3] for od in ods)
        if c.active and c.tier2_cap_h100e is not None:
            by_nation: dict[str, list[list]] = defaultdict(list)
            for od in orders:
                v = self.vendor_by_key[od[1].vendor]
                if (
                    self.nations[od[0].nation].tier == "restricted"
                    and c.controlled(v)
                    and od[1].channel in ("legal", "licensed")
                ):
                    by_nation[od[0].nation].append(od)
            for key, ods in by_nation.items():
                h = [od[3] * od[1].chip_perf for od in ods]
                self._scale(ods, ration(h, c.tier2_cap_h100e - tier2_used[key]))
                tier2_used[key] += sum(od[3] * od[1].chip_perf for od in ods)

    @staticmethod
    def _scale(ods: list[list], fill: float) -> None:
        if fill < 1.0:
            for od in ods:
                od[2] *= fill
                od[3] *= fill

    def trade_chips(self) -> None:
        w = self.world
        smuggle = {}
        for key, z in zip(self.nations, self.rng.standard_normal(len(self.nations)), strict=True):
            smuggle[key] = self._smuggle_share(
                math.exp(w.smuggling_noise_sd * z - 0.5 * w.smuggling_noise_sd**2)
            )
        remaining = {lab.key: lab.compute_budget for lab in self.labs}
        cap_left = {v.key: v.capacity for v in self.vendors}
        licence_used: dict[tuple[str, str], float] = defaultdict(float)
        tier2_used: dict[str, float] = defaultdict(float)
        demand = dict.fromkeys(cap_left, 0.0)
        orders: list[list] = []
        for lab in self.labs:
            lab.open_offers = -1  # type: ignore[attr-defined]
        for round_ in range(3):
            new = self._order_round(remaining, cap_left, smuggle, licence_used, tier2_used)
            if not new:
                break
            self._apply_caps(new, licence_used, tier2_used)
            by_vendor: dict[str, list[list]] = defaultdict(list)
            for od in new:
                if od[1].uses_capacity:
                    by_vendor[od[1].vendor].append(od)
            for vkey, ods in by_vendor.items():
                chips = [od[3] for od in ods]
                if round_ == 0:
                    demand[vkey] = sum(chips)
                self._scale(ods, ration(chips, cap_left[vkey]))
                cap_left[vkey] -= sum(od[3] for od in ods)
            for od in new:
                remaining[od[0].key] -= od[2]
            orders.extend(new)
            if all(remaining[lab.key] <= 1e-3 * max(lab.compute_budget, 1.0) for lab in self.labs):
                break
        for v in self.vendors:
            v.next_scarcity = scarcity_multiplier(
                demand[v.key], v.capacity, w.scarcity_price_elasticity
            )
            v.expansion = scarcity_multiplier(demand[v.key], v.capacity, w.supply_response)
            v.demand_chips = demand[v.key]
            v.sold_chips = v.home_sales_chips = v.revenue = 0.0
        for lab, o, _money, chips in orders:
            if o.uses_capacity:
                v = self.vendor_by_key[o.vendor]
                v.sold_chips += chips
                if lab.nation == v.nation:
                    v.home_sales_chips += chips
        flows: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
        c = self.controls
        c.licence_fees = 0.0
        for lab in self.labs:
            lab.compute_spend = 0.0
            lab.bought = [0.0] * len(ORIGINS)
            lab.bought_class = [0.0, 0.0, 0.0]
        for lab, o, money, chips in orders:
            if money <= 0:
                continue
            h100e = money / o.price
            lab.compute_spend += money
            lab.bought[ORIGIN_INDEX[o.channel]] += h100e
            if o.channel != "rented":
                lab.bought_class[o.pclass] += h100e
            v = self.vendor_by_key[o.vendor]
            if o.channel == "rented":
                vendor_rev = 0.0
            elif o.channel == "smuggled":
                vendor_rev = money / (1.0 + w.smuggling_premium)
            else:
                vendor_rev = money
            if o.channel == "licensed":
                c.licence_fees += c.licence.fee_share * vendor_rev
            v.revenue += vendor_rev
            f = flows[(o.vendor, lab.nation, o.channel)]
            f[0] += h100e
            f[1] += chips
            f[2] += vendor_rev
            f[3] += money
            if o.channel == "domestic":
                self.nations[lab.nation].cum_domestic_h100e += h100e
        for v in self.vendors:
            if v.domestic is not None:
                used = v.sold_chips * v.domestic.hbm_stacks_per_chip
                v.hbm_stockpile -= min(used, v.hbm_stockpile)
        for (vkey, buyer, channel), (h, chips, rev, spend) in flows.items():
            self.flow_rows.append(
                records.FlowRow(self.year, vkey, buyer, channel, h, chips, rev, spend)
            )
        for lab in self.labs:
            lab.cash = max(0.0, lab.budget - lab.efficiency_spend - lab.compute_spend)
            if lab.compute_budget > 0:
                lab.fill_rate = lab.compute_spend / lab.compute_budget
