"""Validated, frozen scenario schema (pydantic v2).

A scenario file is a named override of ``baseline``; after merging it must validate into
:class:`Scenario`. Field descriptions are the reference documentation; ``unit``, ``source``
and ``assumption`` labels feed the generated parameter table (``sputnik params``).

Calibration sources are abbreviated as in ``../shared/calibration/facts.md`` ("facts §N").
Epoch AI data are CC BY 4.0.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.config.params import param

FORMAT_VERSION = 1
ORIGINS = ("legal", "licensed", "smuggled", "rented", "domestic")
Tier = Literal["ally", "restricted", "embargoed"]
Strategy = Literal["adaptive", "scale-first", "efficiency-first", "fixed"]


class Frozen(BaseModel):
    """Base: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class Horizon(Frozen):
    """Simulated years (inclusive). One model step is one year."""

    start_year: int = param(2025, "First simulated year.", unit="year", ge=2000, le=2100)
    end_year: int = param(2045, "Last simulated year (inclusive).", unit="year", ge=2000, le=2100)

    @model_validator(mode="after")
    def _ordered(self) -> Horizon:
        if self.end_year < self.start_year:
            raise ValueError(f"end_year ({self.end_year}) is before start_year ({self.start_year})")
        return self


class World(Frozen):
    """Global technology, cost and behaviour parameters."""

    h100e_flops: float = param(
        9.89e14,
        "Dense BF16 FLOP/s of one H100-equivalent.",
        unit="FLOP/s",
        source="H100 989 TFLOP/s dense BF16; Epoch AI chip data 2025-03 (facts §2)",
        gt=0,
    )
    seconds_per_year: float = param(
        3.156e7, "Seconds in a year.", unit="s", source="physical constant", gt=0
    )
    utilisation: float = param(
        0.4,
        "Model FLOP utilisation of a frontier training run.",
        unit="share",
        source="Meta Llama 3 report 2024-07 (38-43% MFU on H100); range is an assumption",
        ge=0.05,
        le=1,
        sensitivity=(0.3, 0.5),
    )
    frontier_share: float = param(
        0.1,
        "Share of a lab's usable fleet put into its single largest training run.",
        unit="share",
        assumption="Labs split fleets between the flagship run, experiments and serving; 10% puts 2025 "
        "flagship runs at ~1e26-3e26 FLOP as observed.",
        ge=0.01,
        le=1,
        sensitivity=(0.05, 0.2),
    )
    run_duration_years: float = param(
        0.25,
        "Duration of the flagship training run in the start year.",
        unit="years",
        source="Llama 3.1-405B ~ 54 days, DeepSeek-V3 ~ 57 days (facts §1); rounded up to 3 months",
        gt=0,
        le=1,
    )
    run_duration_growth: float = param(
        1.6,
        "Yearly growth of flagship run duration, until run_duration_max.",
        unit="x/yr",
        assumption="Runs have lengthened as clusters grew; with cluster growth 2.5x/yr, 1.6 gives largest "
        "runs growing 4x/yr before 2028 (Epoch 2024-05: 4-5x/yr, facts §7); tuned 2026-11 (was 1.4 = 3.5x/yr).",
        ge=1,
        le=3,
        sensitivity=(1.1, 1.7),
    )
    run_duration_max: float = param(
        0.75,
        "Longest flagship run.",
        unit="years",
        assumption="Runs longer than ~9 months are overtaken by newer hardware (Epoch 2022 argument).",
        gt=0,
        le=2,
    )
    largest_cluster_h100e: float = param(
        2.0e5,
        "Largest single training cluster in the start year.",
        unit="H100e",
        source="xAI Colossus ~200k H100/H200 (2025, press [S]); Pilz et al. 2025",
        gt=0,
    )
    cluster_growth: float = param(
        2.5,
        "Yearly growth of the largest cluster.",
        unit="x/yr",
        source="Largest cluster performance ~2.5x/yr, Epoch / Pilz et al. 2025 (facts §7)",
        ge=1,
        le=5,
        sensitivity=(1.8, 3.2),
    )
    depreciation: float = param(
        0.2,
        "Yearly depreciation of owned compute.",
        unit="share/yr",
        source="~20%/yr, useful life 3-5 years; Davidson takeoff model presets (facts §7)",
        ge=0,
        le=0.9,
        sensitivity=(0.15, 0.3),
    )
    price_performance_growth: float = param(
        1.35,
        "Yearly fall in price per H100e of new chips (FLOP per dollar growth).",
        unit="x/yr",
        source="FLOP/$ doubles every 2.1-2.5 yr, Hobbhahn & Besiroglu 2022 (facts §7)",
        ge=1,
        le=3,
        sensitivity=(1.25, 1.45),
    )
    rental_usd_per_h100e_year: float = param(
        17_532.0,
        "Rental price of one H100e for a year in the start year ($2/h x 8,766 h).",
        unit="USD/(H100e yr)",
        source="$2/GPU-hour as in DeepSeek-V3 report 2024-12; neocloud $2-4.8/h, Epoch price sheet 2025-03 (facts §1-2)",
        gt=0,
    )
    frontier_efficiency_growth: float = param(
        2.7,
        "Algorithmic efficiency growth at reference R&D spending.",
        unit="x/yr",
        source="Compute for fixed result halves every ~8 months (2.5-2.8x/yr), Ho et al. 2024 (facts §7)",
        ge=1,
        le=10,
        sensitivity=(2.0, 3.5),
    )
    efficiency_rd_reference_usd: float = param(
        1.5e10,
        "Yearly efficiency R&D spend that yields the reference efficiency growth in the start year.",
        unit="USD/yr",
        assumption="Order of a US frontier lab's R&D staff and experiment budget in 2025 (Cottier et al. "
        "2024: R&D staff 29-49% of model cost).",
        gt=0,
        sensitivity=(5e9, 4e10),
    )
    efficiency_rd_elasticity: float = param(
        0.35,
        "Returns to efficiency R&D: growth scales with (spend/reference)^elasticity.",
        unit="",
        assumption="Diminishing returns to research effort (semi-endogenous growth, Davidson 2023).",
        ge=0.05,
        le=1,
        sensitivity=(0.2, 0.6),
    )
    efficiency_rd_cost_growth: float = param(
        1.3,
        "Yearly growth of the reference spend (ideas get harder to find).",
        unit="x/yr",
        assumption="Keeps frontier efficiency growth near its historical rate (2.5-3x/yr) as budgets grow; "
        "tuned 2026-11 from 1.25 so the baseline frontier stays inside 2.5-3x/yr.",
        ge=1,
        le=2,
        sensitivity=(1.1, 1.4),
    )
    catchup_rate_open: float = param(
        0.6,
        "Share of the log-efficiency gap to the best open-weight lab closed per year.",
        unit="share/yr",
        assumption="Distillation and published papers let followers reach a capability months later with "
        "~10x less compute (DeepSeek-V3 vs Llama 3.1-405B, facts §7).",
        ge=0,
        le=1,
        sensitivity=(0.3, 0.9),
    )
    catchup_rate_closed: float = param(
        0.25,
        "Share of the remaining log-efficiency gap to the best closed lab closed per year.",
        unit="share/yr",
        assumption="Closed frontier methods leak more slowly (papers, staff moves, API distillation).",
        ge=0,
        le=1,
        sensitivity=(0.1, 0.4),
    )
    diffusion: float = param(
        1.0,
        "Multiplier on all catch-up diffusion (0 closes it: no papers, no open weights, no distillation).",
        unit="",
        assumption="Lever; 1 = world as observed 2023-25.",
        ge=0,
        le=2,
    )
    prehistory_oom_per_year: float = param(
        1.08,
        "Growth of frontier effective compute before the start year, for lags beyond the run.",
        unit="OOM/yr",
        source="4.6x/yr compute (Epoch 2024-05) x 2.7x/yr algorithms (Ho et al. 2024) = ~12x/yr (facts §7)",
        gt=0,
    )
    channel_price_elasticity: float = param(
        4.0,
        "How strongly buyers favour the cheapest channel per effective H100e (logit exponent).",
        unit="",
        assumption="Chips are close substitutes; a high exponent sends most money to the cheapest channel.",
        ge=0.5,
        le=20,
        sensitivity=(2, 8),
    )
    smuggling_max_share: float = param(
        0.45,
        "Share of denied demand that leaks into smuggling at zero enforcement.",
        unit="share",
        assumption="Chosen so 2024-level enforcement (0.5) gives ~10% of China's compute smuggled "
        "(CNAS 2025-06 median 10%, range 1-40%, facts §6).",
        ge=0,
        le=1,
        sensitivity=(0.2, 0.7),
    )
    smuggling_enforcement_exponent: float = param(
        2.0,
        "Curvature of smuggling's response to enforcement: share = max x (1 - enforcement)^k.",
        unit="",
        assumption="Convex: the first enforcement dollars close the easiest routes.",
        ge=0.5,
        le=5,
        sensitivity=(1, 3),
    )
    smuggling_premium: float = param(
        0.5,
        "Price premium paid for smuggled chips over list price.",
        unit="share",
        assumption="Intermediary mark-ups reported 30-100% (CNAS 2025-06 narrative).",
        ge=0,
        le=5,
        sensitivity=(0.2, 1.0),
    )
    smuggling_noise_sd: float = param(
        0.3,
        "Log-normal noise on yearly smuggled volumes.",
        unit="sd of log",
        assumption="Smuggling estimates span 10k to several 100k chips (CNAS).",
        ge=0,
        le=2,
    )
    rental_max_share: float = param(
        0.15,
        "Share of denied demand that can be served by renting abroad while the cloud loophole is open.",
        unit="share",
        assumption="Foreign clusters rented by Chinese firms (WSJ 2025-06) are a minority channel.",
        ge=0,
        le=1,
        sensitivity=(0.1, 0.4),
    )
    rental_abroad_premium: float = param(
        0.3,
        "Premium over the rental price for renting abroad from a restricted nation.",
        unit="share",
        assumption="Intermediated contracts and latency.",
        ge=0,
        le=5,
    )
    variant_price_factor: float = param(
        2.5,
        "Price per H100e of a compliant variant relative to the unrestricted product.",
        unit="x",
        source="H20 ~$12k for ~0.15 H100e vs H100 ~$25k (facts §2), softened: variants serve inference well",
        ge=1,
        le=10,
        sensitivity=(1.5, 4),
    )
    variant_training_penalty: float = param(
        0.15,
        "Training-efficiency loss of compliant variants (interconnect or memory limited) before mitigation.",
        unit="share",
        source="H800 400 GB/s vs 900 GB/s link (facts §2); size of loss is an assumption",
        ge=0,
        le=0.9,
    )
    penalty_mitigation_usd: float = param(
        2e9,
        "Cumulative efficiency R&D that halves a lab's hardware training penalties.",
        unit="USD",
        assumption="DeepSeek engineered around the H800 link (routing to 4 nodes, overlap; facts §1).",
        gt=0,
        sensitivity=(5e8, 8e9),
    )
    domestic_penalty_learning_h100e: float = param(
        2e6,
        "Cumulative domestic H100e in use that shrinks the domestic-chip penalty by a factor e.",
        unit="H100e",
        assumption="Software-stack friction falls with use (CANN maturing).",
        gt=0,
        sensitivity=(5e5, 8e6),
    )
    scarcity_price_elasticity: float = param(
        0.5,
        "Next-year price rise per unit log excess demand on a capacity-limited product.",
        unit="",
        assumption="Prices respond partly to shortages (H100 2023 premium).",
        ge=0,
        le=3,
    )
    supply_response: float = param(
        0.2,
        "Extra capacity growth per unit log excess demand: next year's capacity x (orders/capacity)^r.",
        unit="",
        assumption="Vendors and foundries add packaging and wafer capacity when orders exceed supply "
        "(CoWoS doubled in 2024 after the 2023 shortage); capped with the price response at 3x excess.",
        ge=0,
        le=1,
        sensitivity=(0, 0.5),
    )
    mineral_cost_increase: float = param(
        0.05,
        "Chip cost rise for the controller's vendors while a critical-mineral ban is in force.",
        unit="share",
        assumption="Gallium/germanium are small cost shares; substitutes exist.",
        ge=0,
        le=1,
    )
    taiwan_shock: float = param(
        0.0,
        "Share of Taiwan-dependent chip capacity lost this year (set by an event; resets after use).",
        unit="share",
        assumption="Event lever.",
        ge=0,
        le=1,
    )
    taiwan_recovery_years: float = param(
        3.0,
        "Years for lost foundry capacity to recover (e-folding).",
        unit="years",
        assumption="New fabs take 3-5 years.",
        gt=0,
    )
    ai_revenue_usd: float = param(
        6e10,
        "World AI model and service revenue in the start year.",
        unit="USD/yr",
        source="OpenAI ~$3.7B (2024), Anthropic ~$1B run-rate [M]; scaled to all labs incl. cloud AI services (assumption)",
        gt=0,
        sensitivity=(3e10, 1.2e11),
    )
    revenue_oom_elasticity: float = param(
        0.25,
        "World AI revenue grows by 10^(elasticity x frontier OOM gain).",
        unit="1/OOM",
        assumption="Revenue tracks capability; ~1.8x per OOM (lab revenues ~2-3x/yr 2023-25 while effective compute grew ~1 OOM/yr).",
        ge=0,
        le=2,
        sensitivity=(0.2, 0.6),
    )
    revenue_max_gdp_share: float = param(
        0.05,
        "Ceiling of world AI revenue as a share of world GDP.",
        unit="share",
        assumption="Keeps long horizons bounded.",
        gt=0,
        le=1,
    )
    world_gdp_usd: float = param(
        1.1e14,
        "World GDP in the start year.",
        unit="USD",
        source="IMF WEO 2024-10: ~$110T (2024)",
        gt=0,
    )
    market_oom_sensitivity: float = param(
        1.5,
        "How strongly customers prefer capability: attractiveness x 10^(s x (OOM - frontier)).",
        unit="1/OOM",
        assumption="Near-frontier models win most usage.",
        ge=0,
        le=10,
        sensitivity=(0.5, 3),
    )
    serving_cost_elasticity: float = param(
        0.3,
        "Attractiveness rises with efficiency^e (cheaper serving lowers price).",
        unit="",
        assumption="Price wars after DeepSeek-V2 (facts §1).",
        ge=0,
        le=2,
    )
    open_weights_capture: float = param(
        0.4,
        "Share of usage value an open-weights lab captures as revenue.",
        unit="share",
        assumption="Open weights give usage away; revenue through services and cloud.",
        ge=0,
        le=1,
    )
    investor_response: float = param(
        0.25,
        "External capital growth per OOM of capability gain above the frontier's pace.",
        unit="1/OOM",
        assumption="Investors reward visible progress.",
        ge=0,
        le=2,
        sensitivity=(0, 0.6),
    )
    follower_bonus_share: float = param(
        0.67,
        "Share of its capability gap to the leader that a follower makes up (following is cheaper than leading).",
        unit="share",
        source="DeepSeek-V3 matched Llama 3.1-405B with ~11x (1.04 OOM) less compute about 5 months later "
        "(facts §1, §7); ~2x of that is the months of general progress, leaving ~5x = 0.7 OOM made up "
        "on a 1.04 OOM gap: 0.67",
        ge=0,
        le=0.95,
        sensitivity=(0.4, 0.8),
    )
    follower_bonus_oom: float = param(
        1.5,
        "Largest capability bonus of a lab far behind the leader: a lab gap OOM behind gains min(share x gap, this).",
        unit="OOM",
        assumption="DeepSeek-R1 (Jan 2025, ~4e24 FLOP) came within months of o1 and Grok 3 (~5e26 FLOP), "
        "about 2 OOM less compute: a bonus of ~1.3-1.5 OOM for distant followers. Was 0.7 as the "
        "saturation level of b x gap/(gap+b) until 2026-11.",
        ge=0,
        le=3,
        sensitivity=(0.7, 2.0),
    )
    capital_noise_sd: float = param(
        0.1,
        "Log-normal noise on yearly external capital.",
        unit="sd of log",
        assumption="Market mood.",
        ge=0,
        le=2,
    )
    rd_noise_sd: float = param(
        0.15,
        "Log-normal noise on own efficiency R&D gains.",
        unit="sd of log",
        assumption="Research outcomes are uncertain.",
        ge=0,
        le=2,
    )
    adaptive_speed: float = param(
        0.35,
        "Share of the gap to the best spending split an adaptive lab closes per year.",
        unit="share/yr",
        assumption="Budgets and teams shift gradually.",
        ge=0,
        le=1,
        sensitivity=(0.1, 0.7),
    )
    sme_erosion_half_life_years: float = param(
        8.0,
        "Years of equipment (SME) controls after which their brake on the target's chip industry halves.",
        unit="years",
        assumption="The target substitutes controlled tools with domestic ones (SMEE, Naura) over a decade; "
        "SMIC kept expanding under the 2022-24 rules (facts §3).",
        gt=0,
        le=100,
        sensitivity=(4, 20),
    )
    min_fill_rate: float = param(
        0.1,
        "Floor on the fill rate (share of compute money that found chips) used to scale the effective price.",
        unit="share",
        assumption="A lab that gets almost nothing still treats compute as very dear, not infinitely so.",
        gt=0,
        le=1,
    )
    cluster_bound_value: float = param(
        0.8,
        "Value of extra compute, relative to unbounded, once the flagship run is cluster-bound.",
        unit="share",
        assumption="Extra chips still serve experiments and inference.",
        ge=0,
        le=1,
    )
    kw_per_h100e: float = param(
        1.4,
        "All-in power per H100e in the start year.",
        unit="kW",
        source="~1.4 kW per H100 incl. cooling and networking; $50B per GW rule of thumb (facts §5) [A]",
        gt=0,
    )
    power_efficiency_growth: float = param(
        1.25,
        "Yearly fall in power per H100e.",
        unit="x/yr",
        assumption="Newer chips do more per watt, somewhat slower than per-chip performance (1.35x/yr).",
        ge=1,
        le=2,
    )
    sputnik_lag_months: float = param(
        6.0,
        "A Sputnik moment: a constrained lab within this lag of the frontier ...",
        unit="months",
        assumption="Definition chosen for workshops.",
        ge=0,
    )
    sputnik_cost_share: float = param(
        0.1,
        "... at under this share of the leader's headline training cost.",
        unit="share",
        assumption="DeepSeek-V3 cost ~$5.6M vs ~$60M+ for peers (facts §1).",
        gt=0,
        le=1,
    )


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
        gt=0,
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


class Controls(Frozen):
    """The controller's export-control regime (the policy object)."""

    controller: str = Field("usa", description="Nation whose vendors' exports are controlled.")
    enabled: bool = Field(True, description="False = no export controls at all.")
    tpp_threshold: float = param(
        4_800,
        "Chips with TPP at or above this are controlled for target tiers.",
        unit="TPP",
        source="2022-10-07 / 2023-10-17 rules: TPP >= 4,800 (facts §4)",
        gt=0,
    )
    link_rule_only: bool = Field(
        False,
        description="2022-style rule: controlled only with fast chip-to-chip links, so variants keep full "
        "performance with cut links (A800/H800) and pay the interconnect training penalty.",
    )
    target_tiers: tuple[Tier, ...] = Field(
        ("embargoed",), description="Tiers whose purchases of controlled chips are denied."
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
        "Extra budget targets spend on soon-controlled chips in the announcement window.",
        unit="share",
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
    licence: Licence = Field(default_factory=Licence)


class Reaction(Frozen):
    """A reactive policy rule: when a rival gets close, respond once."""

    rival: str = Field(description="Nation watched.")
    trigger_lag_months: float = param(
        6.0,
        "Respond when the rival's lag falls under this.",
        unit="months",
        assumption="A workshop threshold: a rival within half a year reads as parity.",
        ge=0,
    )
    on_sputnik: bool = Field(True, description="Also respond when a Sputnik moment fires.")
    subsidy_increase_usd: float = param(
        5e10,
        "Added yearly public AI subsidy.",
        unit="USD/yr",
        assumption="Order of the CHIPS Act ($52B, 2022) as a response package.",
        ge=0,
    )
    enforcement_increase: float = param(
        0.2,
        "Added export-control enforcement (if controller).",
        unit="0-1",
        assumption="A visible tightening, e.g. new BIS enforcement funding after a scandal.",
        ge=0,
        le=1,
    )
    close_cloud_loophole: bool = Field(
        True, description="Close the cloud loophole (if controller)."
    )


class Programme(Frozen):
    """A committed public or consortium compute programme (e.g. Stargate)."""

    lab: str = Field(description="Lab that receives the programme's compute.")
    total_usd: float = param(
        5e11,
        "Total commitment.",
        unit="USD",
        source="Stargate $500B over 4 yrs (2025-01-21, facts §5)",
        ge=0,
    )
    upfront_usd: float = param(
        1e11,
        "Delivered in the first year.",
        unit="USD",
        source="$100B 'immediately' (facts §5)",
        ge=0,
    )
    years: int = param(
        4,
        "Years over which the total is delivered.",
        unit="years",
        source="Stargate $500B over 4 years (2025-01-21, facts §5)",
        ge=1,
        le=50,
    )
    start_year: int = param(
        2025,
        "First year of the programme.",
        unit="year",
        source="Stargate announced 2025-01-21 (facts §5)",
        ge=1990,
        le=2100,
    )
    buildout_lag_years: int = param(
        1,
        "Delay between commitment and usable compute.",
        unit="years",
        source="Abilene first capacity ~1 year after announcement (facts §5)",
        ge=0,
        le=10,
    )
    delivery_share: float = param(
        1.0,
        "Share of commitments actually delivered.",
        unit="share",
        assumption="Workshop lever for delays; 1 = as announced.",
        ge=0,
        le=1,
    )

    @model_validator(mode="after")
    def _upfront(self) -> Programme:
        if self.upfront_usd > self.total_usd:
            raise ValueError("upfront_usd exceeds total_usd")
        return self


class Nation(Frozen):
    """A nation: tier, economy, public policy and counter-moves."""

    name: str = Field(description="Display name.")
    tier: Tier = Field(
        "ally", description="Control tier: ally, restricted (tier 2), embargoed (target)."
    )
    gdp_usd: float = param(1e12, "GDP in the start year.", unit="USD", gt=0)
    gdp_growth: float = param(0.02, "Real GDP growth.", unit="share/yr", ge=-0.1, le=0.2)
    max_ai_capex_gdp_share: float = param(
        0.015,
        "Ceiling on private AI capital as a share of GDP (capex limits).",
        unit="share",
        assumption="US big-4 capex ~$300B (2025) ~ 1% of GDP; growth slows as it nears ~1.5-2%.",
        gt=0,
        le=0.2,
        sensitivity=(0.008, 0.03),
    )
    subsidy_usd: float = param(
        0.0, "Public AI subsidy to the nation's labs per year.", unit="USD/yr", ge=0
    )
    power_limit_gw: float | None = param(
        None, "Power available for AI compute (None = unlimited).", unit="GW"
    )
    domestic_mandate_share: float = param(
        0.0,
        "Minimum share of compute purchases from domestic vendors (counter-move).",
        unit="share",
        ge=0,
        le=1,
    )
    ban_compliant_imports: bool = Field(
        False, description="Counter-move: ban purchases of foreign compliant variants."
    )
    mineral_ban: bool = Field(
        False, description="Counter-move: critical-mineral export ban on the controller."
    )
    reaction: Reaction | None = Field(None, description="Reactive policy rule.")
    programme: Programme | None = Field(
        None, description="Committed compute programme (e.g. Stargate)."
    )


class Lab(Frozen):
    """An AI developer."""

    name: str = Field(description="Display name.")
    nation: str = Field(description="Home nation id.")
    strategy: Strategy = Field(
        "adaptive", description="How the budget is split between compute and efficiency R&D."
    )
    efficiency_share: float = param(
        0.25,
        "Initial (or fixed) share of budget on efficiency R&D.",
        unit="share",
        assumption="Starting R&D share; R&D staff are 29-49% of frontier model cost (Cottier et al. "
        "2024, facts §5); adaptive labs move from it.",
        ge=0,
        le=1,
    )
    efficiency_share_min: float = param(
        0.05,
        "Lowest efficiency share an adaptive lab will choose.",
        unit="share",
        assumption="Bounds of the adaptive split: every lab keeps a research team.",
        ge=0,
        le=1,
    )
    efficiency_share_max: float = param(
        0.6,
        "Highest efficiency share an adaptive lab will choose.",
        unit="share",
        assumption="Bounds of the adaptive split: every lab keeps buying some compute.",
        ge=0,
        le=1,
    )
    compute_h100e: float = param(1e4, "Compute stock at the start.", unit="H100e", ge=0)
    origin_mix: dict[str, float] = Field(
        default_factory=lambda: {"legal": 1.0},
        description="Shares of the starting stock by origin (legal, licensed, smuggled, rented, domestic); sum to 1.",
    )
    efficiency: float = param(
        1.0, "Algorithmic efficiency relative to 2025 frontier algorithms.", unit="x", gt=0
    )
    external_usd: float = param(1e9, "External capital per year at the start.", unit="USD/yr", ge=0)
    external_growth: float = param(
        1.2,
        "Trend growth of external capital.",
        unit="x/yr",
        assumption="Capex grew ~30%/yr 2023-25 (facts §5); trend slightly lower.",
        ge=0.5,
        le=3,
    )
    revenue_usd: float = param(0.0, "Revenue in the year before the start.", unit="USD/yr", ge=0)
    reinvest_share: float = param(
        0.7,
        "Share of revenue reinvested in AI.",
        unit="share",
        assumption="Loss-making labs reinvest most revenue in compute and research (OpenAI/Anthropic "
        "2024, facts §5 [M]).",
        ge=0,
        le=1,
    )
    open_weights: bool = Field(False, description="Releases model weights openly.")
    price_markup: float = param(
        1.0,
        "Price relative to cost-based pricing (lever).",
        unit="x",
        assumption="Lever; 1 = cost-based pricing.",
        gt=0,
        le=10,
    )
    rent_abroad: bool = Field(True, description="Willing to rent compute abroad when denied.")

    @model_validator(mode="after")
    def _mix(self) -> Lab:
        unknown = set(self.origin_mix) - set(ORIGINS)
        if unknown:
            raise ValueError(
                f"origin_mix has unknown origin(s) {sorted(unknown)}; use {list(ORIGINS)}"
            )
        if any(v < 0 for v in self.origin_mix.values()):
            raise ValueError("origin_mix shares must be >= 0")
        total = sum(self.origin_mix.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"origin_mix shares sum to {total:.4g}, not 1")
        if self.efficiency_share_min > self.efficiency_share_max:
            raise ValueError("efficiency_share_min exceeds efficiency_share_max")
        return self


class DomesticIndustry(Frozen):
    """A restricted nation's chip industry: yield, HBM and equipment limits."""

    gross_dies: float = param(1.0e6, "Dies started per year (before yield).", unit="dies/yr", gt=0)
    dies_growth: float = param(
        1.33,
        "Yearly growth of die starts without SME controls.",
        unit="x/yr",
        source="SMIC advanced capacity 45k -> 60k -> 80k wafers/month 2025-27 (SemiAnalysis 2025-09, facts §3)",
        ge=0.5,
        le=3,
    )
    yield_rate: float = param(
        0.4,
        "Share of good dies.",
        unit="share",
        source="910C ~40% (FT/Digitimes 2025-02, facts §3)",
        gt=0,
        le=1,
    )
    yield_max: float = param(
        0.7,
        "Mature yield.",
        unit="share",
        source="target 60% (facts §3); mature ~70% assumed",
        gt=0,
        le=1,
    )
    yield_learning: float = param(
        0.3,
        "Share of the gap to mature yield closed per year without SME controls.",
        unit="share/yr",
        assumption="910C went 20% -> 40% in a quarter (facts §3); slower on average.",
        ge=0,
        le=1,
        sensitivity=(0.1, 0.5),
    )
    hbm_stacks_per_chip: float = param(
        8.0, "HBM stacks per chip.", unit="stacks", source="910C 8 stacks of HBM2E [A]", gt=0
    )
    hbm_stockpile_stacks: float = param(
        1.3e7,
        "HBM stacks stockpiled before the HBM rule.",
        unit="stacks",
        source="~13M HBM stacks (SemiAnalysis 2025-09, facts §3)",
        ge=0,
    )
    hbm_domestic_stacks: float = param(
        2e6,
        "Domestic HBM output in the start year.",
        unit="stacks/yr",
        assumption="CXMT ramp; uncertain.",
        ge=0,
        sensitivity=(5e5, 6e6),
    )
    hbm_domestic_growth: float = param(
        1.5, "Growth of domestic HBM output.", unit="x/yr", assumption="Ramp.", ge=0.5, le=4
    )
    training_penalty: float = param(
        0.4,
        "Training-efficiency loss on domestic chips before learning and mitigation.",
        unit="share",
        source="2 of 22 notable Chinese models trained on domestic chips (CNAS 2025-06); DeepSeek's Ascend run failed (FT 2025-08); size assumed",
        ge=0,
        le=0.95,
        sensitivity=(0.2, 0.6),
    )


class Vendor(Frozen):
    """A chip vendor and its current flagship product."""

    name: str = Field(description="Display name.")
    nation: str = Field(description="Home nation id.")
    perf_h100e: float = param(
        1.0, "Flagship performance per chip in the start year.", unit="H100e/chip", gt=0
    )
    perf_growth: float = param(
        1.35,
        "Yearly growth of flagship performance per chip.",
        unit="x/yr",
        source="~1.35x/yr per chip (AI 2027 compute forecast 2025-04, facts §7)",
        ge=1,
        le=3,
    )
    price_usd: float = param(
        2.5e4, "Flagship price per chip in the start year.", unit="USD/chip", gt=0
    )
    capacity_chips: float = param(
        1e6,
        "Flagship production per year in the start year (ignored for vendors with a `domestic` "
        "industry, whose output comes from dies, yield and HBM).",
        unit="chips/yr",
        assumption="Placeholder default; every shipped vendor sets its own value with a source.",
        ge=0,
    )
    capacity_growth: float = param(
        1.65,
        "Production growth in the start year.",
        unit="x/yr",
        source="production ~1.65x/yr 2025-27 (AI 2027 compute forecast 2025-04, facts §7)",
        ge=0.5,
        le=4,
    )
    capacity_growth_decay: float = param(
        0.85,
        "Each year the excess of capacity growth over 1 shrinks by this factor.",
        unit="",
        assumption="Fab, packaging and power build-out cannot compound at 65% for decades.",
        ge=0,
        le=1,
        sensitivity=(0.7, 0.95),
    )
    taiwan_dependence: float = param(
        1.0, "Share of capacity made in Taiwan.", unit="share", ge=0, le=1
    )
    exclusive_buyers: tuple[str, ...] = Field(
        (), description="If set, only these labs may buy (captive chips such as TPUs)."
    )
    exports: bool = Field(True, description="Sells abroad.")
    domestic: DomesticIndustry | None = Field(
        None,
        description="Set for a restricted nation's substitute industry: capacity from dies, yield and HBM.",
    )


class Event(Frozen):
    """A dated scenario event: sets parameters of the live model (an 'inject card')."""

    year: int = Field(description="Year the event takes effect (compliance year for rules).")
    title: str = Field(description="Short title.")
    text: str = Field("", description="Text shown to players.")
    announce_year: int | None = Field(
        None, description="Earlier announcement year (triggers stockpiling)."
    )
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Parameter paths and new values, e.g. 'controls.enforcement'.",
    )


class Scenario(Frozen):
    """A complete, validated scenario."""

    format_version: int = Field(FORMAT_VERSION, description="Version of the scenario file format.")
    id: str = Field(description="Scenario id (file stem).")
    title: str = Field(description="Title.")
    description: str = Field("", description="Text a workshop can read aloud.")
    extends: str | None = Field(None, description="Parent scenario id.")
    horizon: Horizon = Field(default_factory=Horizon)
    world: World = Field(default_factory=World)
    controls: Controls = Field(default_factory=Controls)
    nations: dict[str, Nation]
    labs: dict[str, Lab]
    vendors: dict[str, Vendor]
    market_access: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="market_access[seller][buyer] in 0-1 (default 1): how far a nation's labs can sell in another's market.",
    )
    events: tuple[Event, ...] = Field((), description="Dated events (appended across extends).")

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems: list[str] = []
        nations = set(self.nations)
        if self.format_version != FORMAT_VERSION:
            problems.append(
                f"format_version: {self.format_version} is not supported (this version reads {FORMAT_VERSION})"
            )
        if not self.labs:
            problems.append("labs: at least one lab is needed")
        for lid, lab in self.labs.items():
            if lab.nation not in nations:
                problems.append(
                    f"labs.{lid}.nation: nation '{lab.nation}' is not defined{_hint(lab.nation, nations)}"
                )
        for vid, v in self.vendors.items():
            if v.nation not in nations:
                problems.append(
                    f"vendors.{vid}.nation: nation '{v.nation}' is not defined{_hint(v.nation, nations)}"
                )
            for b in v.exclusive_buyers:
                if b not in self.labs:
                    problems.append(
                        f"vendors.{vid}.exclusive_buyers: lab '{b}' is not defined{_hint(b, set(self.labs))}"
                    )
        if self.controls.controller not in nations:
            problems.append(
                f"controls.controller: nation '{self.controls.controller}' is not defined{_hint(self.controls.controller, nations)}"
            )
        for nid, n in self.nations.items():
            if n.reaction and n.reaction.rival not in nations:
                problems.append(
                    f"nations.{nid}.reaction.rival: nation '{n.reaction.rival}' is not defined{_hint(n.reaction.rival, nations)}"
                )
            if n.programme and n.programme.lab not in self.labs:
                problems.append(
                    f"nations.{nid}.programme.lab: lab '{n.programme.lab}' is not defined{_hint(n.programme.lab, set(self.labs))}"
                )
        for seller, row in self.market_access.items():
            if seller not in nations:
                problems.append(
                    f"market_access.{seller}: nation '{seller}' is not defined{_hint(seller, nations)}"
                )
            for buyer, v in row.items():
                if buyer not in nations:
                    problems.append(
                        f"market_access.{seller}.{buyer}: nation '{buyer}' is not defined{_hint(buyer, nations)}"
                    )
                elif not 0 <= v <= 1:
                    problems.append(f"market_access.{seller}.{buyer}: {v} is outside 0-1")
        h = self.horizon
        for i, ev in enumerate(self.events):
            if not h.start_year <= ev.year <= h.end_year:
                problems.append(
                    f"events[{i}].year: {ev.year} ('{ev.title}') is outside the horizon {h.start_year}-{h.end_year}"
                )
            if ev.announce_year is not None and ev.announce_year > ev.year:
                problems.append(
                    f"events[{i}].announce_year: {ev.announce_year} is after the event year {ev.year}"
                )
            for path, value in ev.set.items():
                err = check_param_path(self, path, value)
                if err:
                    problems.append(f"events[{i}].set.{path}: {err}")
        if self.controls.comply_year < self.controls.announce_year:
            problems.append("controls.comply_year: before controls.announce_year")
        if problems:
            raise ValueError("\n".join(problems))
        return self


def _hint(word: str, choices: set[str]) -> str:
    from sim.config.paths import did_you_mean

    return did_you_mean(word, choices, cutoff=0.6, fallback="defined")


def check_param_path(scenario: Scenario, path: str, value: Any) -> str | None:
    """Why ``path = value`` cannot be set on a live model (see :func:`sim.config.paths.check_param_path`)."""
    from sim.config.paths import check_param_path as check

    return check(scenario, path, value)
