"""The export-control regime: a policy that decides who may buy what, through which channel.

Like every policy (:mod:`sim.model.policies`) it is built once from its config, holds its levers
as attributes (settable by ``controls.*`` paths), is applied each year and serialises as an event
``set`` table. It never reads the model: prices, penalties and the year come in as arguments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.config.schema import Controls, Event, Licence, Tier
from sim.model.agents import H100_TPP, ChipVendor, Nation
from sim.model.clearing import DOM, DOMESTIC, LEGAL, LICENSED, LINK, MEM, RENTED, SMUGGLED, Offer
from sim.model.clearing import FULL as FULL_CLASS

_offer = Offer._make  # (an Offer from a tuple, without the keyword-argument parsing)

if TYPE_CHECKING:
    from sim.model.model import ComputeRaceModel


@dataclass(slots=True)  # built every year: not frozen (a frozen init is ~5x slower)
class Terms:
    """This year's market terms every offer shares (from the world parameters and trends)."""

    year: int
    rental_price: float  #: USD per H100e-year rented abroad, before the premium
    smuggling_premium: float
    rental_abroad_premium: float
    variant_price_factor: float
    kw_per_h100e: float  #: power of a full chip bought this year (kW per H100e)
    facility_usd_per_kw: float  #: data-centre capex per kW
    kw_factor_variant: float  #: H20-class chips draw this much more per H100e
    kw_factor_domestic: float  #: domestic chips draw this much more per H100e
    rental_open: bool  #: hosts offer capacity to renters this year
    best_controller_perf: float  #: the controller's best flagship (indexed licence ceilings)


class ExportControl:
    """The controller nation's export-control regime."""

    # levers (schema.Controls)
    controller: str
    enabled: bool
    tpp_threshold: float
    link_rule_only: bool
    target_tiers: tuple[Tier, ...]
    tier2_cap_h100e: float | None
    announce_year: int
    comply_year: int
    stockpile_boost: float
    variants_allowed: bool
    variant_lag_years: float
    enforcement: float
    cloud_loophole_open: bool
    sme_controls: float
    sme_effect: float
    hbm_controls: bool
    comply_month: int
    api_block: float
    tier2_cap_expires_year: int | None
    licence: Licence
    # state
    start_year: int
    active: bool  #: enabled and past the compliance year
    threshold_changed_year: int | None  #: variants need time after a new threshold
    licence_base_perf: float | None  #: the controller's flagship when an indexed licence began
    licence_fees: float  #: paid to the controller this year

    def __init__(self, cfg: Controls, start_year: int):
        self.controller = cfg.controller
        self.enabled = cfg.enabled
        self.tpp_threshold = cfg.tpp_threshold
        self.link_rule_only = cfg.link_rule_only
        self.target_tiers = cfg.target_tiers
        self.tier2_cap_h100e = cfg.tier2_cap_h100e
        self.announce_year = cfg.announce_year
        self.comply_year = cfg.comply_year
        self.stockpile_boost = cfg.stockpile_boost
        self.variants_allowed = cfg.variants_allowed
        self.variant_lag_years = cfg.variant_lag_years
        self.enforcement = cfg.enforcement
        self.cloud_loophole_open = cfg.cloud_loophole_open
        self.sme_controls = cfg.sme_controls
        self.sme_effect = cfg.sme_effect
        self.hbm_controls = cfg.hbm_controls
        self.comply_month = cfg.comply_month
        self.api_block = cfg.api_block
        self.tier2_cap_expires_year = cfg.tier2_cap_expires_year
        self.licence = cfg.licence
        self.start_year = start_year
        self.threshold_changed_year = None
        self.licence_base_perf = None
        self.licence_fees = 0.0
        self.update(start_year)

    # ------------------------------------------------------------------ the policy protocol
    def apply(self, model: ComputeRaceModel, year: int) -> None:
        """Bring the rules into force for ``year`` (after the year's events and reactions)."""
        self.update(year)

    def to_events(self) -> list[Event]:
        """The regime's levers as one event ``set`` table at the start year."""
        values: dict[str, Any] = {
            f"controls.{k}": getattr(self, k) for k in Controls.model_fields if k != "licence"
        }
        values.update({f"controls.licence.{k}": v for k, v in self.licence.model_dump().items()})
        values["controls.target_tiers"] = list(self.target_tiers)
        return [Event(year=self.start_year, title="Export-control regime", set=values)]

    # ------------------------------------------------------------------ questions
    def update(self, year: int) -> None:
        """Rules are in force once the compliance year is reached; timed parts expire."""
        self.active = self.enabled and year >= self.comply_year
        lic = self.licence
        if lic.enabled and lic.expires_year is not None and year > lic.expires_year:
            self.licence = lic.model_copy(update={"enabled": False})
        if self.tier2_cap_expires_year is not None and year > self.tier2_cap_expires_year:
            self.tier2_cap_h100e = None

    def snapshot(self) -> ExportControl:
        """A copy of the regime (the rules before this year's changes, for the pre-rule months):
        a shallow copy of its attributes, as ``copy.copy`` makes, without its generic protocol
        (which also cannot copy a compiled class)."""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        return twin

    def licence_ceiling(self, best_perf: float) -> float:
        """Highest licensable TPP this year (indexed to the controller's flagship if the rule says so)."""
        lic = self.licence
        if lic.max_tpp_indexed and self.licence_base_perf:
            return float(lic.max_tpp * best_perf / self.licence_base_perf)
        return float(lic.max_tpp)

    def api_access(
        self, nations: dict[str, Nation], diffusion: float
    ) -> dict[tuple[str, str], float]:
        """Share of a seller nation's models a buyer nation's labs can query (API distillation):
        1, less the block on target-tier firms, listed for the blocked (controller, buyer) pairs
        only. Distillation reaches across markets (proxies, resellers), so it does not follow
        market access; a leakier world (``diffusion`` above 1) makes blocks leakier."""
        block = self.api_block if self.active else 0.0
        block *= min(1.0, 1.0 / diffusion) if diffusion > 0 else 1.0
        return {
            (self.controller, buyer): 1.0 - block
            for buyer, bn in nations.items()
            if self.controller in nations and self.targets(bn)
        }

    def in_window(self, year: int) -> bool:
        """True between announcement and compliance: targets stockpile."""
        return self.enabled and self.announce_year <= year < self.comply_year

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

    def offers(self, nation: Nation, vendor: ChipVendor, price: float, terms: Terms) -> list[Offer]:
        """Every channel through which buyers in ``nation`` can get ``vendor``'s compute this year.

        ``price`` is the vendor's chip price per H100e this year. An owned chip costs the buyer that
        plus data-centre capex for the power it draws; rented compute costs the rent. Offers carry
        no training quality: a lab's penalties on variants and domestic chips depend on its own
        research (:mod:`sim.model.penalties`). A rented offer is open only to labs willing to rent
        abroad, and a vendor with exclusive buyers sells to them alone (the caller filters both).
        """
        kw = terms.kw_per_h100e
        fac = terms.facility_usd_per_kw * kw
        sv = vendor.serve_per_h100e
        if vendor.domestic is not None:
            if vendor.nation != nation.key:
                return []
            kd = terms.kw_factor_domestic
            return [
                _offer((DOMESTIC, price + fac * kd, vendor.perf, DOM, False, price, sv, kw * kd))
            ]
        if not vendor.exports and vendor.nation != nation.key:
            return []
        if not (self.targets(nation) and self.controlled(vendor)):
            return [_offer((LEGAL, price + fac, vendor.perf, FULL_CLASS, False, price, sv, kw))]
        out: list[Offer] = []
        avail = self.variant_availability(terms.year)
        if avail > 0 and not nation.ban_compliant_imports:
            vchip = price * terms.variant_price_factor / avail
            if self.link_rule_only:  # A800/H800: full compute, cut links, a training penalty
                out.append(_offer((LEGAL, vchip + fac, vendor.perf, LINK, False, vchip, sv, kw)))
            else:  # H20-class: compute capped under the threshold, the flagship's memory kept
                vperf = min(vendor.perf, self.tpp_threshold * 0.999 / H100_TPP)
                kv = terms.kw_factor_variant
                serve = sv * vendor.perf / vperf
                out.append(
                    _offer((LEGAL, vchip + fac * kv, vperf, MEM, False, vchip, serve, kw * kv))
                )
        lic = self.licence
        licensable = lic.enabled and not nation.ban_compliant_imports
        ceiling = self.licence_ceiling(terms.best_controller_perf) if licensable else 0.0
        flagship_licensable = licensable and vendor.flagship_tpp < ceiling
        if licensable and (flagship_licensable or ceiling > self.tpp_threshold):
            # The flagship itself, or the best product under the ceiling (H200 while it is a B200);
            # the vendor passes part of the licence fee on to the buyer.
            lperf = vendor.perf if flagship_licensable else ceiling * 0.999 / H100_TPP
            lchip = price * (1.0 + lic.fee_share * lic.fee_pass_through)
            serve = sv * vendor.perf / lperf
            out.append(_offer((LICENSED, lchip + fac, lperf, FULL_CLASS, False, lchip, serve, kw)))
        if flagship_licensable:
            return out
        out.append(_offer((LEGAL, price + fac, vendor.perf, FULL_CLASS, True, price, sv, kw)))
        schip = price * (1 + terms.smuggling_premium)
        out.append(_offer((SMUGGLED, schip + fac, vendor.perf, FULL_CLASS, False, price, sv, kw)))
        if self.cloud_loophole_open and terms.rental_open:
            rent = terms.rental_price * (1 + terms.rental_abroad_premium)
            # Counted in H100e against the hosts' pool (chip_perf 1); rented compute trains only.
            out.append(_offer((RENTED, rent, 1.0, FULL_CLASS, False, 0.0, 0.0, 0.0)))
        return out
