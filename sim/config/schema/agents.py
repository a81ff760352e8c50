"""The agents of a scenario: nations (with reaction rules and programmes), labs, chip vendors and
a restricted nation's domestic chip industry (``nations.ID.*``, ``labs.ID.*``, ``vendors.ID.*``)."""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.config.params import param
from sim.config.schema.base import ORIGINS, Frozen, Name, Number, Slug, Strategy, Tier


class Reaction(Frozen):
    """A reactive policy rule: when a rival gets close, respond once."""

    rival: Slug = Field(description="Nation watched.")
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
