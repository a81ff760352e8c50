"""The controller's export-control regime (``controls.*`` and ``controls.licence.*``)."""

from __future__ import annotations

from pydantic import Field

from sim.config.params import param
from sim.config.schema.base import Frozen, Slug, Tier


class Licence(Frozen):
    """Licensed sales of controlled chips to targets (H20 15%, H200 25% deals)."""

    enabled: bool = Field(
        False, description="Licences are granted for controlled chips up to max_tpp."
    )
    max_tpp: float = param(
        21_000,
        "Highest TPP that can be licensed.",
        unit="TPP",
        source="2026-01-15 rule: case-by-case for TPP < 21,000 (facts §4)",
        ge=1,
        le=1e7,
        bound="as tpp_threshold",
    )
    fee_share: float = param(
        0.25,
        "Share of licensed revenue paid by the vendor to the controller government.",
        unit="share",
        source="H20 15% (2025-08), H200 25% (2025-12) (facts §4)",
        ge=0,
        le=1,
    )
    volume_cap_share: float = param(
        0.5,
        "Licensed chips to a target nation at most this share of the vendor's home-market shipments.",
        unit="share",
        source="China-bound volume <= 50% of US volume, 2026-01-15 rule (facts §4)",
        ge=0,
    )
    fee_pass_through: float = param(
        0.7,
        "Share of the licence fee the vendor passes on to the buyer's price.",
        unit="share",
        assumption="Vendors price China-bound licensed chips to keep their margin; buyers had few "
        "alternatives (H20 demand, facts-2 §3). 0 = the vendor absorbs the fee.",
        ge=0,
        le=1,
        sensitivity=(0.3, 1.0),
    )
    max_tpp_indexed: bool = Field(
        False,
        description="The licence ceiling rises with the controller's flagship performance (a rule that "
        "keeps licensed chips a fixed step behind the frontier) instead of staying fixed.",
    )
    expires_year: int | None = param(
        None,
        "Last year licences are granted (None = no expiry).",
        unit="year",
        ge=1990,
        le=2100,
    )


class Controls(Frozen):
    """The controller's export-control regime (the policy object)."""

    controller: Slug = Field("usa", description="Nation whose vendors' exports are controlled.")
    enabled: bool = Field(True, description="False = no export controls at all.")
    tpp_threshold: float = param(
        4_800,
        "Chips with TPP at or above this are controlled for target tiers.",
        unit="TPP",
        source="2022-10-07 / 2023-10-17 rules: TPP >= 4,800 (facts §4)",
        ge=1,
        le=1e7,
        bound="a threshold under 1 TPP divides chip counts by ~0 (found by fuzzing)",
    )
    link_rule_only: bool = Field(
        False,
        description="2022-style rule: controlled only with fast chip-to-chip links, so variants keep full "
        "performance with cut links (A800/H800) and pay the interconnect training penalty.",
    )
    target_tiers: tuple[Tier, ...] = Field(
        ("embargoed",),
        description="Tiers whose purchases of controlled chips are denied.",
        strict=False,  # a TOML array (list) becomes the tuple
    )
    tier2_cap_h100e: float | None = param(
        None,
        "Yearly cap on controlled-chip imports per 'restricted'-tier nation (diffusion rule).",
        unit="H100e/yr",
        source="790M TPP (~50k H100e) per country 2025-27, AI Diffusion Rule 2025-01-13 (facts §4)",
    )
    announce_year: int = param(
        2023, "Year the rule in force was announced.", unit="year", ge=1990, le=2100
    )
    comply_year: int = param(
        2023, "Year compliance became mandatory.", unit="year", ge=1990, le=2100
    )
    stockpile_boost: float = param(
        0.3,
        "Extra budget, as a share of a targeted lab's outside capital this year, that targeted labs "
        "raise in the window between a rule's announcement and compliance; it joins the budget and "
        "is split between compute and efficiency like the rest.",
        unit="share of outside capital",
        source="~7M HBM stacks shipped in the month before the Dec 2024 rule (facts §3) [A]; size assumed",
        ge=0,
        le=3,
    )
    variants_allowed: bool = Field(
        True, description="Vendors may sell compliant variants below the threshold."
    )
    variant_lag_years: float = param(
        0.5,
        "Time for a vendor to ship a compliant variant after a new threshold.",
        unit="years",
        source="A800/H800 (2022) and H20 (2023) within weeks to months (facts §4)",
        ge=0,
        le=3,
    )
    enforcement: float = param(
        0.5,
        "Enforcement effort (0 none, 1 maximal); sets smuggling leakage.",
        unit="0-1",
        assumption="Calibrated to ~10% of China's 2024 compute smuggled (CNAS 2025-06).",
        ge=0,
        le=1,
    )
    cloud_loophole_open: bool = Field(
        True, description="Targets may rent controlled chips abroad (remote access)."
    )
    sme_controls: float = param(
        0.5,
        "Strength of equipment (SME) controls: slows the target's domestic capacity, yield and chip progress.",
        unit="0-1",
        source="2024-12-02 rule: 24 tool types, 140 entities (facts §4); strength assumed",
        ge=0,
        le=1,
    )
    sme_effect: float = param(
        0.6,
        "Share of domestic progress removed by full SME controls.",
        unit="share",
        assumption="SMIC still expands (45k -> 80k wpm 2025-27) under controls (facts §3).",
        ge=0,
        le=1,
        sensitivity=(0.3, 0.9),
    )
    hbm_controls: bool = Field(
        True,
        description="HBM exports to targets banned (2024-12 rule): domestic chips need domestic or stockpiled HBM.",
    )
    comply_month: int = param(
        1,
        "Month of comply_year from which the rule binds (purchases earlier in the year are not controlled).",
        unit="month",
        source="2023-10-17 update effective 2023-11-16 (facts §4)",
        ge=1,
        le=12,
    )
    api_block: float = param(
        0.25,
        "How far the controller blocks target-tier firms from using its labs' model APIs (0 open, 1 closed).",
        unit="0-1",
        assumption="Lever: terms of service and know-your-customer rules against distillation (OpenAI's "
        "2025 accusation against DeepSeek, press); 0.25 history-matched 2020-24 (docs/calibration.md).",
        ge=0,
        le=1,
    )
    tier2_cap_expires_year: int | None = param(
        None,
        "Last year of the tier-2 import caps (None = no expiry).",
        unit="year",
        source="AI Diffusion Rule caps set for 2025-27 (facts §4)",
        ge=1990,
        le=2100,
    )
    licence: Licence = Field(default_factory=Licence)
