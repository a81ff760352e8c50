"""Power and data centres: how much AI compute a nation can plug in, and how fast that grows.

Each nation has AI data-centre capacity (GW of all-in power) and a pipeline of builds that arrive after
a lead time. Installed (owned) compute draws power; new chips need free capacity. Each year a nation
orders new capacity to meet the demand it saw, at most ``build_rate`` x its capacity (grid connections,
permits, turbines): the lever that separates "spare power" from "interconnection queues".

Construction is paid as the buildings go up, as filings book it (purchases of property and
equipment): a build ordered in year y and usable from year y + lead is paid in equal parts over the
``lead`` years y .. y + lead - 1 (Epoch: campuses take ~2 years, facts-2 section 1). A lab that
installs chips pays a facility charge per kW (its lease of what a builder paid for earlier); that
charge is the labs' money and is not changed by this schedule, which only records the capex.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class PowerGrid:
    """A nation's AI data-centre power: capacity, builds under way and power in use (GW)."""

    capacity_gw: float
    lead_years: int
    build_rate: float
    build_decay: float
    build_floor: float
    used_gw: float = 0.0
    pipeline: list[float] = field(default_factory=list)  # GW arriving in 1, 2, ... years
    demand_gw: float = 0.0  # power the nation's labs wanted for new chips this year (unrationed)
    added_gw: float = 0.0
    #: GW-equivalents of construction to pay this year, next year, ... (None until the first order)
    schedule: list[float] | None = None
    built_now_gw: float = 0.0  # built and paid this year outside the pipeline (state programmes)
    construction_gw: float = 0.0  # construction paid this year, in GW built (set by ``order``)

    @property
    def free_gw(self) -> float:
        """Capacity not yet drawn by installed chips."""
        free = self.capacity_gw - self.used_gw
        return free if free > 0.0 else 0.0

    def rate(self, t: int) -> float:
        """Largest build this year as a share of capacity: decays from ``build_rate`` to a floor."""
        return self.build_floor + (self.build_rate - self.build_floor) * self.build_decay**t

    def build_now(self, gw: float) -> None:
        """Capacity built and paid within this year, outside the pipeline (a state programme)."""
        self.capacity_gw += gw
        self.built_now_gw += gw

    def order(self, t: int, growth_expect: float) -> None:
        """End of year: order builds for the demand seen (grown over the lead time) and book this
        year's construction spend (``construction_gw``). An order placed now is usable
        ``lead_years`` years later and is paid over those years, starting with this one."""
        lead = max(self.lead_years, 1)
        if self.schedule is None:
            self.schedule = _start_schedule(self.pipeline)
        need = (self.used_gw + self.demand_gw) * growth_expect**lead
        planned = self.capacity_gw + sum(self.pipeline)
        order = need - planned  # at least 0, at most the build rate (conditionals: no calls)
        order = order if order > 0.0 else 0.0
        most = self.rate(t) * self.capacity_gw
        order = most if most < order else order
        while len(self.pipeline) < lead:
            self.pipeline.append(0.0)
        self.pipeline[lead - 1] += order
        while len(self.schedule) < lead:
            self.schedule.append(0.0)
        for i in range(lead):
            self.schedule[i] += order / lead
        self.construction_gw = self.schedule.pop(0) + self.built_now_gw
        self.built_now_gw = 0.0
        self.demand_gw = 0.0

    def arrive(self) -> None:
        """The builds due arrive for next year."""
        arriving = self.pipeline.pop(0) if self.pipeline else 0.0
        self.capacity_gw += arriving
        self.added_gw = arriving


def _start_schedule(pipeline: list[float]) -> list[float]:
    """Construction still to pay for the builds under way at the start: the build arriving in
    k + 1 years was ordered with a lead of ``len(pipeline) + 1`` years and has k + 1 of them left."""
    lead = len(pipeline) + 1
    out = [0.0] * len(pipeline)
    for k, gw in enumerate(pipeline):
        for j in range(k + 1):
            out[j] += gw / lead
    return out
