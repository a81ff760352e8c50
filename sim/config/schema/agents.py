"""The agents of a scenario: nations (with reaction rules and programmes), labs, chip vendors and
a restricted nation's domestic chip industry (``nations.ID.*``, ``labs.ID.*``, ``vendors.ID.*``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from sim.config.params import param
from sim.config.schema.base import ORIGINS, Frozen, Name, Number, Slug, Strategy, Tier

ReactionTrigger = Literal[
    "sputnik_by_rival",
    "sputnik_by_own",
    "rival_lag_below",
    "own_lag_above",
    "rival_lever_above",
    "rival_lever_below",
]


class Reaction(Frozen):
    """A reactive policy rule: when its trigger holds, the nation's actions apply.

    Triggers are checked from the second simulated year on, on last year's observed state:
    ``sputnik_by_rival`` (a lab of ``rival`` caused a Sputnik moment), ``sputnik_by_own`` (a lab of this
    nation did), ``rival_lag_below`` / ``own_lag_above`` (lag in months against ``threshold``),
    ``rival_lever_above`` / ``rival_lever_below`` (the live value of ``watch`` against ``threshold``: a
    counter-move to a rival's policy). Actions: ``set`` (lever paths to values), ``add`` (lever paths to
    increments, kept inside the schema's bounds), a yearly ``grant_usd`` for ``grant_years`` to the lab
    that caused the trigger (else the nation's most capable lab) and an ``investor_boost`` for that lab.
    A reaction is logged only when it changes something; in the game, a lever a team holds is never
    changed by a reaction: the change becomes a proposal the team may accept.
    """

    title: str = Field("", description="Short title shown in the events table and the game.")
    trigger: ReactionTrigger = Field("sputnik_by_rival", description="What sets the reaction off.")
    rival: str | None = Field(None, description="Nation watched (rival triggers).")
    threshold: float = param(
        6.0,
        "Lag in months (lag triggers) or lever value (lever triggers) at which the reaction fires.",
        unit="",
        assumption="Workshop threshold.",
    )
    watch: str | None = Field(None, description="Lever path watched by rival_lever_* triggers.")
    once: bool = Field(True, description="Fire once (else every year the trigger holds).")
    set: dict[str, Any] = Field(default_factory=dict, description="Lever paths and new values.")
    add: dict[str, float] = Field(
        default_factory=dict, description="Lever paths and increments (clamped to their bounds)."
    )
    grant_usd: float = param(
        0.0, "Yearly state grant to the triggering lab.", unit="USD/yr", ge=0, le=1e13
    )
    grant_years: int = param(
        1,
        "Years the grant is paid.",
        unit="years",
        assumption="A one-year grant unless the rule says otherwise.",
        ge=1,
        le=50,
    )
    investor_boost: float = param(
        0.0,
        "One-year extra growth of the triggering lab's outside capital.",
        unit="share",
        ge=0,
        le=5,
    )


class Programme(Frozen):
    """A committed public or consortium compute programme (e.g. Stargate)."""

    lab: Slug = Field(description="Lab that receives the programme's compute.")
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
    power_gw: float = param(
        0.0,
        "Data-centre power the programme builds, spread over its years (added to the nation's AI power).",
        unit="GW",
        source="Stargate: ~7 GW sited by 2025-09, target 10 GW (OpenAI/Oracle/SoftBank 2025-09-23, facts §5)",
        ge=0,
        le=1e4,
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

    name: Name = Field(description="Display name.")
    tier: Tier = Field(
        "ally", description="Control tier: ally, restricted (tier 2), embargoed (target)."
    )
    gdp_usd: float = param(1e12, "GDP in the start year.", unit="USD", gt=0)
    gdp_growth: float = param(0.02, "Real GDP growth.", unit="share/yr", ge=-0.1, le=0.2)
    ai_capex_saturation_gdp_share: float = param(
        0.03,
        "Private AI spending (share of GDP) at which investors stop adding to trend growth.",
        unit="share",
        assumption="Soft saturation, not a cap: US AI capex ~1.2% of GDP in 2025 (facts-2 §2); past "
        "infrastructure booms peaked at a few % of GDP. Revenue and the state can take spending above it.",
        gt=0,
        le=0.5,
        sensitivity=(0.015, 0.06),
    )
    subsidy_usd: float = param(
        0.0, "Public AI subsidy to the nation's labs per year.", unit="USD/yr", ge=0
    )
    power_gw: float | None = param(
        None,
        "AI data-centre power capacity at the start (GW, all-in); None = unlimited.",
        unit="GW",
        gt=0,
        le=1e5,
    )
    power_build_rate: float = param(
        0.5,
        "Largest yearly addition to AI power capacity, as a share of capacity (grid, permits, turbines).",
        unit="share/yr",
        assumption="Lever. US AI power grows to tens of GW by 2030 (Epoch/EPRI: >50 GW, facts-2 §1) under "
        "interconnection queues of ~4.5 years (LBNL 2025); China builds faster (spare capacity).",
        ge=0,
        le=3,
        sensitivity=(0.3, 0.8),
    )
    power_lead_years: int = param(
        2,
        "Years from ordering AI power capacity to using it.",
        unit="years",
        source="Gigawatt campuses take ~2 years to build (Epoch hub 2025-11, facts-2 §1)",
        ge=1,
        le=10,
    )
    rental_host_share: float = param(
        0.0,
        "Share of the nation's AI fleet offered to foreign renters (cloud capacity for hire).",
        unit="share",
        assumption="Malaysian and Indonesian data centres rent to Chinese firms (WSJ 2025, facts-2 §5); "
        "no public volume estimate exists.",
        ge=0,
        le=1,
    )
    rental_permit: float = param(
        1.0,
        "Share of the rentable capacity the host allows target-nation firms to use (host permits).",
        unit="share",
        source="Malaysia permit rule for US-origin AI chips, 2025-07-14 (facts-2 §5); strength assumed",
        ge=0,
        le=1,
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
    reactions: tuple[Reaction, ...] = Field(
        (),
        description="Reactive policy rules.",
        strict=False,  # a TOML array becomes the tuple
    )
    programme: Programme | None = Field(
        None, description="Committed compute programme (e.g. Stargate)."
    )


class Lab(Frozen):
    """An AI developer."""

    name: Name = Field(description="Display name.")
    nation: Slug = Field(description="Home nation id.")
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
    flagship_share: float = param(
        0.1,
        "Share of the lab's training fleet (fleet less serving) put into its largest run.",
        unit="share",
        source="Final training runs ~10% of R&D compute at OpenAI, 10-30% across OpenAI, MiniMax, Z.ai "
        "(Epoch 2026-03, facts-2 §3)",
        gt=0,
        le=1,
        sensitivity=(0.05, 0.3),
    )
    compute_h100e: float = param(1e4, "Compute stock at the start.", unit="H100e", ge=0)
    origin_mix: dict[str, Number] = Field(
        default_factory=lambda: {"legal": 1.0},
        description="Shares of the starting stock by origin (legal, licensed, smuggled, rented, domestic); sum to 1.",
    )
    efficiency: float = param(
        1.0,
        "Algorithmic efficiency relative to 2025 frontier algorithms.",
        unit="x",
        ge=1e-6,
        le=1e6,
        bound="efficiency beyond 1e6x the 2025 frontier overflows effective compute (found by fuzzing)",
    )
    necessity_edge: float = param(
        0.0,
        "Natural log of the lab's start-year necessity edge (effective-compute gain from engineering "
        "around export-control constraints; see world.necessity_offset).",
        unit="ln x",
        ge=0,
        le=5,
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
        ge=0.01,
        le=10,
        bound="a markup near 0 divides revenue shares by 0 (found by fuzzing)",
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
    die_bank: float = param(
        0.0,
        "Dies made abroad before a foundry cut-off and held in stock (used before domestic dies).",
        unit="dies",
        source="~2-3M TSMC-made Ascend dies via Sophgo 2023-24 (Reuters 2025-04; SemiAnalysis >2.9M, "
        "facts §3, facts-2 §4)",
        ge=0,
        le=1e9,
    )
    bank_release_share: float = param(
        0.5,
        "Banked dies packaged per year, as a share of the year's domestic die starts.",
        unit="share",
        assumption="Packaging and HBM lines sized to the domestic flow; SemiAnalysis's HBM-limited view "
        "(~805k packages in 2025) vs Bloomberg's ~300k 910C (facts-2 §4) brackets it.",
        ge=0,
        le=10,
    )
    sme_cost_premium: float = param(
        0.6,
        "Extra cost per good chip under full equipment (SME) controls (older tools, more patterning steps).",
        unit="share",
        source="SMIC 5/7nm +40-50% price vs TSMC with under a third of its yield (FT 2024-02, facts-2 §4); "
        "the share due to controls is assumed",
        ge=0,
        le=5,
        sensitivity=(0.2, 1.2),
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

    name: Name = Field(description="Display name.")
    nation: Slug = Field(description="Home nation id.")
    perf_h100e: float = param(
        1.0,
        "Flagship performance per chip in the start year.",
        unit="H100e/chip",
        ge=1e-3,
        le=1e3,
        bound="performance outside 1e-3-1e3 H100e per chip overflows chip counts (found by fuzzing)",
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
        2.5e4,
        "Flagship price per chip in the start year.",
        unit="USD/chip",
        ge=1,
        le=1e8,
        bound="prices under $1 or over $100M per chip leave floating-point range (found by fuzzing)",
    )
    markup: float = param(
        2.0,
        "Price over unit cost in the start year (before scarcity).",
        unit="x",
        assumption="Placeholder; shipped vendors set it from reported gross margins.",
        ge=1,
        le=20,
    )
    cost_decline: float = param(
        1.35,
        "Yearly fall in the vendor's unit cost per H100e (node, packaging, memory).",
        unit="x/yr",
        source="GPU FLOP per dollar doubles every 2.1-2.5 yr (Hobbhahn & Besiroglu 2022, facts §7)",
        ge=1,
        le=3,
        sensitivity=(1.25, 1.45),
    )
    serve_per_h100e: float = param(
        1.0,
        "Serving value (memory bandwidth) per H100e of the flagship, relative to an H100.",
        unit="x",
        source="H100 3.35 TB/s per 989 TFLOP/s = 1; B200 8 TB/s per 2,250 = 1.05; 910C 3.2 TB/s per ~800 "
        "= 1.2 (facts §2)",
        gt=0,
        le=100,
    )
    software_quality: float = param(
        1.0,
        "Training value of the vendor's chips relative to Nvidia's software stack (utilisation).",
        unit="share",
        assumption="Buyers paid a premium for CUDA; other stacks reach lower utilisation.",
        gt=0,
        le=1,
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
    exclusive_buyers: tuple[Slug, ...] = Field(
        (),
        description="If set, only these labs may buy (captive chips such as TPUs).",
        strict=False,  # a TOML array (list) becomes the tuple
    )
    exports: bool = Field(True, description="Sells abroad.")
    domestic: DomesticIndustry | None = Field(
        None,
        description="Set for a restricted nation's substitute industry: capacity from dies, yield and HBM.",
    )
