"""World parameters: global technology, cost and behaviour (``world.*`` paths).

Fields are grouped with section comments; their order is the order of the parameter reference
(``sputnik params``). Field names are part of the file format (scenario files, sweeps and the game
name them as ``world.NAME``): never rename one.
"""

from __future__ import annotations

from sim.config.params import param
from sim.config.schema.base import Frozen


class World(Frozen):
    """Global technology, cost and behaviour parameters."""

    # --- Units and the flagship training run ---
    h100e_flops: float = param(
        9.89e14,
        "Dense BF16 FLOP/s of one H100-equivalent.",
        unit="FLOP/s",
        source="H100 989 TFLOP/s dense BF16; Epoch AI chip data 2025-03 (facts §2)",
        ge=1e12,
        le=1e18,
        bound="FLOP/s of one chip-equivalent: beyond 1e12-1e18 FLOP products overflow to inf",
    )
    seconds_per_year: float = param(
        3.156e7,
        "Seconds in a year.",
        unit="s",
        source="physical constant",
        ge=3.0e7,
        le=3.2e7,
        bound="a year is 3.15e7 s; the bounds only allow leap-year and rounding variants",
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
    utilisation_start_factor: float = param(
        1.0,
        "Utilisation in the start year as a share of `utilisation`; it rises linearly to "
        "`utilisation` over `utilisation_ramp_years` (1: runs reach it from the start).",
        unit="share",
        source="1 from 2025 (Llama 3, 2024-07: 38-43% MFU); history-2020 sets 0.5: GPT-3 (2020) ran "
        "at ~20% MFU (Epoch frontier runs 2025-06: 3.14e23 FLOP / (10,000 V100 x 125 TFLOP/s x 355 h))",
        gt=0,
        le=1,
    )
    utilisation_ramp_years: float = param(
        4.0,
        "Years over which utilisation rises from its start share to `utilisation`.",
        unit="years",
        source="history-2020: GPT-3 (2020, ~20% MFU) to Llama 3 (2024, ~40%); GPT-4 (2022, 25,000 A100 "
        "x 2,280 h for 2.1e25 FLOP) ran at ~33%, on the line (Epoch frontier runs 2025-06)",
        gt=0,
        le=50,
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
    # --- Compute stock, chip prices and rental prices ---
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
        ge=1,
        le=1e7,
        bound="below $1/yr or above $10M/yr the channel arithmetic leaves floating-point range",
    )
    # --- Algorithms: own efficiency R&D, the necessity edge, spillover and diffusion ---
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
        ge=1e3,
        le=1e15,
        bound="the R&D ratio spend/reference overflows outside 1e3-1e15 USD",
        sensitivity=(5e9, 4e10),
    )
    efficiency_rd_elasticity: float = param(
        0.15,
        "Returns to efficiency R&D: growth scales with (spend/reference)^elasticity.",
        unit="",
        assumption="Diminishing returns to research effort (semi-endogenous growth, Davidson 2023).",
        ge=0.05,
        le=1,
        sensitivity=(0.08, 0.35),
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
    necessity_speed: float = param(
        2.0,
        "How fast a constrained lab engineers around its constraint: each year it closes "
        "1 - exp(-this x its efficiency R&D share) of the gap to its necessity edge.",
        unit="",
        assumption="DeepSeek's H800-specific engineering (routing to 4 nodes, FP8, overlap; facts §1) took "
        "one to two model generations; research-heavy labs adapt faster.",
        ge=0,
        le=20,
        sensitivity=(0.5, 4.0),
    )
    necessity_offset: float = param(
        0.6,
        "How much of its price disadvantage a constrained lab wins back by engineering around it: its "
        "necessity edge multiplies its effective compute by (own price / free price)^this.",
        unit="",
        assumption="A crux of the debate (docs/model.md): 0 = constraint buys no lasting edge, 1 = "
        "constrained labs end as cost-efficient as free ones, above 1 = controls backfire. DeepSeek's "
        "V3 matched peers with ~1/10 the compute (facts §1), part of it distillation.",
        ge=0,
        le=3,
        sensitivity=(0.2, 1.2),
    )
    catchup_rate_open: float = param(
        0.8,
        "Share of the log-efficiency gap to the best open-weight lab closed per year.",
        unit="share/yr",
        assumption="Distillation and published papers let followers reach a capability months later with "
        "~10x less compute (DeepSeek-V3 vs Llama 3.1-405B, facts §7).",
        ge=0,
        le=1,
        sensitivity=(0.3, 0.9),
    )
    catchup_rate_closed: float = param(
        0.2,
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
    open_share: float = param(
        0.9,
        "Share of its capability gap (OOM) to the best released open-weight model a lab closes by "
        "fine-tuning and distilling it.",
        unit="share",
        assumption="Open models trail closed ones by ~4 months to 1 year (Epoch 2024-11, 2026; facts-2 "
        "§6) although most have far less compute: followers absorb much of what an open model shows.",
        ge=0,
        le=1,
        sensitivity=(0.6, 1.0),
    )
    api_share: float = param(
        0.4,
        "Share of its capability gap to a closed model a lab closes by distilling the model's API outputs.",
        unit="share",
        assumption="Distillation from API outputs is contested (facts-2 §6: 'how much is distillation'); "
        "weaker than access to weights.",
        ge=0,
        le=0.95,
        sensitivity=(0.1, 0.5),
    )
    max_bonus_oom: float = param(
        1.1,
        "Most a lab can gain (OOM of effective compute) from any one teacher model in a year.",
        unit="OOM",
        assumption="A student reproduces a teacher with ~10x (Qwen3-4B vs Qwen2.5-72B, ~9x, facts-2 §6) "
        "to ~30x less compute; beyond that it must scale itself. This saturation is why a wider compute "
        "gap still widens the lag.",
        ge=0,
        le=3,
        sensitivity=(0.7, 1.6),
    )
    open_lag_years: float = param(
        0.3,
        "Time from an open-weight release to followers building on it.",
        unit="years",
        assumption="Fine-tunes and distilled models of a release appear within weeks to months.",
        ge=0,
        le=1,
        sensitivity=(0.1, 0.6),
    )
    api_lag_years: float = param(
        0.25,
        "Time from a closed model's release to students distilled from its outputs.",
        unit="years",
        assumption="R1 matched o1-1217 about a month after it (facts-2 §6); a quarter on average.",
        ge=0,
        le=1,
        sensitivity=(0.1, 0.5),
    )
    prehistory_oom_per_year: float = param(
        1.08,
        "Growth of frontier effective compute before the start year, for lags beyond the run.",
        unit="OOM/yr",
        source="4.6x/yr compute (Epoch 2024-05) x 2.7x/yr algorithms (Ho et al. 2024) = ~12x/yr (facts §7)",
        gt=0,
    )
    # --- Chip market channels: choice, smuggling, rental abroad, compliant variants ---
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
    start_variant_mem_share: float = param(
        0.47,
        "Share of a target nation's legally bought starting stock that is memory-rich capped variants "
        "(H20-class); the rest is link-cut variants (A800/H800).",
        unit="share",
        source="~1M H20 sold in China in 2024 (facts §6) x 0.15 H100e = 0.15M of China's 0.32M H100e of "
        "legal Nvidia compute at end-2024 (Epoch, facts §8): 0.47",
        ge=0,
        le=1,
    )
    start_variant_serve: float = param(
        8.0,
        "Serving units per H100e of FLOP of the starting H20-class stock.",
        unit="x",
        source="H20 4.0 TB/s for 148 TFLOP/s vs H100 3.35 TB/s for 989 (facts §2): 8.0",
        gt=0,
        le=100,
    )
    # --- Hardware training penalties and their mitigation ---
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
    # --- Supply: scarcity prices, capacity response, minerals, Taiwan ---
    scarcity_price_elasticity: float = param(
        0.5,
        "Next-year price rise per unit log excess demand on a capacity-limited product.",
        unit="",
        assumption="Prices respond partly to shortages (H100 2023 premium).",
        ge=0,
        le=3,
    )
    supply_response: float = param(
        0.5,
        "Extra capacity growth per unit log excess demand: next year's capacity x (orders/capacity)^r.",
        unit="",
        assumption="Vendors and foundries add packaging and wafer capacity when orders exceed supply "
        "(CoWoS doubled in 2024 after the 2023 shortage); arrives after supply_lead_years, at most supply_response_cap.",
        ge=0,
        le=2,
        sensitivity=(0.2, 0.8),
    )
    idle_capacity_build: float = param(
        1.0,
        "How far chip vendors keep building on their capacity trend when capacity sits idle.",
        unit="",
        assumption="1: each year's trend growth is added on what was used, however much stands "
        "idle (fabs commit capacity years ahead); 0: a vendor builds only when last year's orders, "
        "grown by the trend, exceed its capacity. Values between blend the two. It decides how "
        "cheap and abundant chips become once power binds, and with it much of the controls' "
        "long-run effect (crux table).",
        ge=0,
        le=1,
        sensitivity=(0.0, 1.0),
    )
    supply_lead_years: int = param(
        1,
        "Years between orders exceeding capacity and the extra capacity arriving (fabs, packaging).",
        unit="years",
        source="CoWoS packaging doubled in 2024 after the 2023 shortage (industry reports [S]); new fabs "
        "take 3-5 years",
        ge=1,
        le=6,
    )
    supply_response_cap: float = param(
        1.0,
        "Largest extra capacity growth a year of excess orders can buy.",
        unit="share",
        source="TSMC CoWoS capacity roughly doubled in 2024 after the 2023 shortage (industry reports "
        "[S]); Nvidia shipments grew ~3.4x/yr in H100e 2022-24 (Epoch, facts §8)",
        ge=0,
        le=2,
    )
    price_adjust_max: float = param(
        0.3,
        "Largest yearly move of a vendor's price toward its cost-and-scarcity target (absent shocks).",
        unit="share/yr",
        assumption="List prices and long-term contracts move gradually (H100 $30-45k in 2022 to $20-27k in "
        "2025, facts §2). Must exceed the fastest cost decline (1 - 1/1.45 = 0.31 at the top of its "
        "range is close), else prices trail costs for ever and markups creep up.",
        gt=0,
        le=1,
        sensitivity=(0.2, 0.4),
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
    # --- Revenue and the AI market ---
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
    ai_demand_max_gdp_share: float = param(
        0.1,
        "Share of world GDP that AI revenue approaches as capability grows (logistic saturation).",
        unit="share",
        assumption="Long-run ceiling of spending on AI models and services; keeps revenue bounded by demand.",
        gt=0,
        le=1,
        sensitivity=(0.04, 0.2),
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
    # --- Serving (inference) ---
    serving_cost_share: float = param(
        0.4,
        "Compute cost of serving customers as a share of the revenue it earns.",
        unit="share",
        source="OpenAI 2024: ~$1.8-2B inference on ~$3.7B revenue (Epoch 2025-10, facts-2 §3); "
        "range is an assumption",
        gt=0,
        le=1,
        sensitivity=(0.25, 0.6),
    )
    serving_efficiency_pass: float = param(
        0.3,
        "Exponent on frontier algorithmic progress that lowers the compute needed per dollar of AI "
        "revenue (serving units per $ fall with price-performance^-1 x efficiency^this).",
        unit="",
        assumption="Inference price at fixed capability falls 10-40x/yr (Epoch 2025-03, facts §7) but "
        "users move to bigger frontier models; 0.3 keeps serving near half of AI compute (inference ~1/3 "
        "in 2023, ~1/2 in 2025, Deloitte via facts-2 §3).",
        ge=0,
        le=1,
        sensitivity=(0.1, 0.5),
    )
    serving_fleet_max_share: float = param(
        0.8,
        "Largest share of a lab's fleet it keeps on serving (the rest always trains and experiments).",
        unit="share",
        assumption="Labs keep training even when demand outruns capacity.",
        gt=0,
        le=1,
    )
    serving_value_floor: float = param(
        0.35,
        "Least weight a buyer gives serving value (memory bandwidth) against training value when "
        "choosing chips; a lab short of serving capacity weighs it more (up to 0.8).",
        unit="share",
        source="Inference ~1/3 of AI compute in 2023, ~1/2 in 2025 (Deloitte via facts-2 §3); H20s were "
        "bought mostly for inference (press, facts-2 §3)",
        ge=0,
        le=1,
        sensitivity=(0.2, 0.5),
    )
    # --- Finance and noise ---
    investor_response: float = param(
        0.25,
        "External capital growth per OOM of capability gain above the frontier's pace.",
        unit="1/OOM",
        assumption="Investors reward visible progress.",
        ge=0,
        le=2,
        sensitivity=(0, 0.6),
    )
    sputnik_investor_boost: float = param(
        0.5,
        "Extra growth of outside capital for a lab in the year after it caused a Sputnik moment.",
        unit="share",
        assumption="After R1, Alibaba, CIC and the national social security fund sought to invest in "
        "DeepSeek and banks offered loans (facts-2 §7); size assumed.",
        ge=0,
        le=5,
        sensitivity=(0.0, 1.5),
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
    # --- Lab behaviour and the target's chip industry ---
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
    # --- Power and data centres ---
    kw_per_h100e: float = param(
        1.2,
        "All-in power per H100e of chips bought in the start year.",
        unit="kW",
        source="Blackwell ~0.92 kW IT per H100e (GB200 2,090 W / 2.27, Epoch, facts-2 §1) x PUE ~1.3 = 1.2; "
        "an H100 fleet draws ~1.7 kW all-in (Epoch 2024-08)",
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
    facility_usd_per_kw: float = param(
        12_000.0,
        "Non-chip capex per kW of AI data-centre power: buildings, power equipment, cooling, network.",
        unit="USD/kW",
        source="Epoch: $38B capex per GW of IT (GB200), servers the largest part, ~$29B per GW of "
        "facility power; Alphabet ~40% of capex on data centres and network (facts-2 §1-2, 2025-26); "
        "derived: ~$10-15B per GW outside the chips",
        gt=0,
        le=1e6,
        sensitivity=(8_000.0, 20_000.0),
    )
    kw_factor_variant: float = param(
        2.5,
        "Power per H100e of performance-capped variants (H20-class) relative to full chips.",
        unit="x",
        source="H20-heavy fleets ~1.9 kW vs ~0.63 kW chip power per H100e for all Nvidia (Epoch chip "
        "counts, derived, facts-2 §1); softened: hosts and network are shared",
        ge=1,
        le=10,
    )
    kw_factor_domestic: float = param(
        2.3,
        "Power per H100e of domestic (Ascend-class) chips relative to full chips.",
        unit="x",
        source="CloudMatrix 384: 1.7x a GB200 NVL72's compute at ~3.9x the power (SemiAnalysis 2025-04, "
        "facts §2): 2.3x",
        ge=1,
        le=10,
    )
    max_site_share: float = param(
        0.3,
        "Largest share of a nation's AI power one training site can use.",
        unit="share",
        assumption="The largest planned campuses (Hyperion 5 GW, Fairwater, facts-2 §1) are a fraction of "
        "the tens of GW a nation builds.",
        gt=0,
        le=1,
        sensitivity=(0.15, 0.5),
    )
    power_build_decay: float = param(
        0.85,
        "Each year the largest build rate of power capacity moves this factor closer to its floor.",
        unit="",
        assumption="Grid, turbines and permits cannot compound at 50%/yr for decades.",
        ge=0,
        le=1,
        sensitivity=(0.75, 0.95),
    )
    power_build_floor: float = param(
        0.05,
        "Long-run largest yearly growth of AI power capacity.",
        unit="share/yr",
        assumption="Of the order of electricity supply growth in fast-building economies.",
        ge=0,
        le=1,
    )
    # --- Definition of a Sputnik moment ---
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
