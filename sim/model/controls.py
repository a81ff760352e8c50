"""The export-control policy object: who may buy what, through which channel, at what price.

Like a Covasim intervention it is built once from its config, holds its (mutable) levers as plain
attributes, answers questions each step, and serialises via :meth:`state`.
"""

from __future__ import annotations

import math
from typing import Any

from sim.model.agents import DOMESTIC, FULL, VARIANT, ChipVendor, Lab, Nation, namespace
from sim.model.market import Offer

H100_TPP = 15_832.0


class ExportControl:
    """Current control regime of the controller nation."""

    def __init__(self, config: Any):
        for key, value in vars(namespace(config)).items():
            setattr(self, key, value)
        self.threshold_changed_year: int | None = None
        self.licence_fees = 0.0
        self.active = False  # set each year: enabled and past the compliance year

    def update(self, year: int) -> None:
        """Bring the regime into force once the compliance year is reached."""
        self.active = self.enabled and year >= self.comply_year

    def in_window(self, year: int) -> bool:
        """True between announcement and compliance: targets stockpile."""
        return self.enabled and self.announce_year <= year < self.comply_year

    def state(self) -> dict[str, Any]:
        """Serialisable snapshot of the levers."""
        out = {k: v for k, v in vars(self).items() if k != "licence"}
        out["licence"] = dict(vars(self.licence))
        return out

    def targets(self, nation: Nation) -> bool:
        """True if the nation's purchases of controlled chips are denied."""
        return self.active and nation.tier in self.target_tiers

    def controlled(self, vendor: ChipVendor) -> bool:
        """True if the vendor's flagship is controlled (a controller-nation vendor above threshold)."""
        if not self.active or vendor.nation != self.controller:
            return False
        if self.link_rule_only:
            return True  # 2022 rule: every flagship has fast links
        return vendor.flagship_tpp >= self.tpp_threshold

    def variant_availability(self, year: int) -> float:
        """Share of the year a compliant variant is on sale (vendors need ``variant_lag_years``)."""
        if not self.variants_allowed:
            return 0.0
        if self.threshold_changed_year is None or year > self.threshold_changed_year + math.ceil(
            self.variant_lag_years
        ):
            return 1.0
        elapsed = year - self.threshold_changed_year
        return max(0.0, min(1.0, elapsed + 1 - self.variant_lag_years))

    def offers(self, lab: Lab, nation: Nation, vendor: ChipVendor, model: Any) -> list[Offer]:
        """Every channel through which ``lab`` can get ``vendor``'s compute this year."""
        w = model.world
        if vendor.exclusive_buyers and lab.key not in vendor.exclusive_buyers:
            return []
        price = vendor.price_per_h100e * vendor.scarcity
        if vendor.nation == self.controller and model.controller_mineral_ban:
            price *= 1.0 + w.mineral_cost_increase
        if vendor.domestic is not None:
            if vendor.nation != nation.key:
                return []
            q = 1.0 - model.domestic_penalty(nation, lab, vendor.domestic.training_penalty)
            return [Offer(vendor.key, "domestic", price, vendor.perf, q, DOMESTIC)]
        if not vendor.exports and vendor.nation != nation.key:
            return []
        if not (self.targets(nation) and self.controlled(vendor)):
            return [Offer(vendor.key, "legal", price, vendor.perf, 1.0, FULL)]
        out: list[Offer] = []
        pen = model.hardware_penalty(lab, w.variant_training_penalty)
        avail = self.variant_availability(model.year)
        if avail > 0 and not nation.ban_compliant_imports:
            if self.link_rule_only:
                perf = vendor.perf  # A800/H800: full compute, cut link
            else:
                perf = min(vendor.perf, self.tpp_threshold * 0.999 / H100_TPP)
            vprice = price * w.variant_price_factor / avail
            out.append(Offer(vendor.key, "legal", vprice, perf, 1.0 - pen, VARIANT))
        lic = self.licence
        licensable = lic.enabled and not nation.ban_compliant_imports
        if licensable and vendor.flagship_tpp < lic.max_tpp:
            out.append(Offer(vendor.key, "licensed", price, vendor.perf, 1.0, FULL))
        else:
            if licensable and lic.max_tpp > self.tpp_threshold:
                # The best licensable product (H200 under a TPP 21,000 ceiling while the flagship
                # is a B200): full links, performance capped at the licence ceiling.
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
            if self.cloud_loophole_open and lab.rent_abroad:
                rent = model.rental_price * (1 + w.rental_abroad_premium)
                out.append(
                    Offer(vendor.key, "rented", rent, vendor.perf, 1.0, FULL, uses_capacity=False)
                )
        return out
