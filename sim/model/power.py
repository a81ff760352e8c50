"""Power and data centres: how much AI compute a nation can plug in, and how fast that grows.

Each nation has AI data-centre capacity (GW of all-in power) and a pipeline of builds that arrive after
a lead time. Installed (owned) compute draws power; new chips need free capacity. Each year a nation
orders new capacity to meet the demand it saw, at most ``build_rate`` x its capacity (grid connections,
permits, turbines): the lever that separates "spare power" from "interconnection queues".
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

    @property
    def free_gw(self) -> float:
        """Capacity not yet drawn by installed chips."""
        return max(0.0, self.capacity_gw - self.used_gw)

    def rate(self, t: int) -> float:
        """Largest build this year as a share of capacity: decays from ``build_rate`` to a floor."""
        return self.build_floor + (self.build_rate - self.build_floor) * self.build_decay**t

    def advance(self, t: int, growth_expect: float) -> None:
        """End of year: order builds for the demand seen (grown over the lead time); the builds due
        arrive for next year. An order placed now is usable ``lead_years`` years later."""
        lead = max(self.lead_years, 1)
        need = (self.used_gw + self.demand_gw) * growth_expect**lead
        planned = self.capacity_gw + sum(self.pipeline)
        order = min(max(0.0, need - planned), self.rate(t) * self.capacity_gw)
        while len(self.pipeline) < lead:
            self.pipeline.append(0.0)
        self.pipeline[lead - 1] += order
        arriving = self.pipeline.pop(0)
        self.capacity_gw += arriving
        self.added_gw = arriving
        self.demand_gw = 0.0
