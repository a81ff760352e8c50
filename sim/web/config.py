"""What the classroom explorer offers: its levers (sliders) and its metrics, in one list each.

The explorer is generic: any settable parameter path can be a slider and any nations- or
labs-table column of a nation or lab can be a metric, so the lists can follow the model as its
mechanisms change. The levers below were chosen because they move today's model (measured on
baseline, seed 0, China's 2045 lag: export controls off 4.4 vs on 7.8 months; TPP threshold
1,000 vs 30,000: 8.4 vs 7.6; China's subsidy $0 vs $300B: 7.7 vs 6.1; US subsidy: 7.8 vs 9.1;
enforcement 0 vs 1 barely moves it: 7.6 vs 7.8). A lever a scenario lacks is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Slider:
    """One explorer lever: a parameter path, its range and how to show it."""

    path: str
    label: str
    kind: str = "float"  # float or bool
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.05
    unit: str = ""  # "", "USD", "TPP"
    explain: str = ""
    group: str = "lever"  # "lever" (a policy choice) or "assumption" (how the world works)


@dataclass(frozen=True)
class ExploreMetric:
    """One explorer panel: ``COLUMN.ID`` of the nations (or labs) table, a title, a format."""

    id: str
    label: str
    fmt: str = ""  # "", "pct", "months"


SLIDERS: tuple[Slider, ...] = (
    Slider(
        "controls.enabled",
        "Export controls in force",
        "bool",
        explain="Switch the whole control regime on or off.",
    ),
    Slider(
        "controls.tpp_threshold",
        "Controlled-chip threshold (TPP)",
        lo=1000,
        hi=30000,
        step=500,
        unit="TPP",
        explain="Chips above this performance need a licence; lower is tighter.",
    ),
    Slider(
        "nations.china.subsidy_usd",
        "China's public AI subsidy per year",
        lo=0,
        hi=3e11,
        step=1e10,
        unit="USD",
        explain="State money for China's labs.",
    ),
    Slider(
        "nations.usa.subsidy_usd",
        "US public AI subsidy per year",
        lo=0,
        hi=3e11,
        step=1e10,
        unit="USD",
        explain="State money for US labs.",
    ),
    Slider(
        "controls.cloud_loophole_open",
        "Cloud loophole open",
        "bool",
        explain="Whether targets may rent controlled chips in foreign clouds.",
    ),
    Slider(
        "controls.enforcement",
        "Enforcement against smuggling",
        lo=0,
        hi=1,
        step=0.05,
        explain="0 none to 1 maximal (today's model reacts only a little).",
    ),
    Slider(
        "controls.api_block",
        "US model APIs closed to China's firms",
        lo=0,
        hi=1,
        step=0.05,
        explain="Share of API access the US blocks (distillation of closed models).",
    ),
    # The crux assumptions of docs/model.md: not policy choices but how the world works. Moving
    # them shows how much the answer to "do controls work?" depends on what one believes.
    Slider(
        "world.diffusion",
        "How leaky knowledge is",
        lo=0,
        hi=2,
        step=0.1,
        explain="Scales every diffusion channel (open weights, APIs, methods); 1 as calibrated.",
        group="assumption",
    ),
    Slider(
        "world.idle_capacity_build",
        "Chip makers build while capacity sits idle",
        lo=0,
        hi=1,
        step=0.1,
        explain="1: fabs keep building on trend, chips become abundant once power binds; 0: they "
        "build only for orders. It decides how much the controls cost China: compare with "
        "export controls off.",
        group="assumption",
    ),
    Slider(
        "world.necessity_offset",
        "Necessity breeds efficiency",
        lo=0,
        hi=1.5,
        step=0.1,
        explain="How much of its price disadvantage a constrained lab wins back by engineering.",
        group="assumption",
    ),
)
METRICS: tuple[ExploreMetric, ...] = (
    ExploreMetric("lag_months.china", "China: months behind the frontier", "months"),
    ExploreMetric("compute_share.china", "China: share of world AI compute", "pct"),
)
FOCUS = "china"  # the nation whose capability change "why did it move" decomposes
BAND_SEEDS = 16  # seeds in the band (split across the process pool)
SCENARIOS: tuple[str, ...] = ()  # empty: every shipped scenario
