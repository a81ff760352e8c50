"""World quantities that follow a trend in time: cluster size, run length, prices, R&D cost."""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.schema import World


@dataclass(slots=True)  # built every year: not frozen (a frozen init is ~5x slower)
class Trends:
    """The trend values ``t`` years after the start year."""

    cluster_cap: float  #: largest cluster, H100e
    run_duration: float  #: flagship run length, years
    utilisation: float  #: model FLOP utilisation of a flagship run
    rental_price: float  #: USD per H100e-year
    rd_reference: float  #: efficiency-R&D spend that buys the reference rate, USD
    kw_per_h100e: float  #: power per H100e of chips bought this year, kW
    serve_unit_cost: float  #: yearly cost of one serving unit, USD

    @classmethod
    def at(cls, world: World, t: int) -> Trends:
        """The trends of ``world`` in year ``t`` (0 = the start year; -1 scores the start fleets)."""
        w = world
        return cls(
            cluster_cap=w.largest_cluster_h100e * w.cluster_growth**t,
            run_duration=min(w.run_duration_years * w.run_duration_growth**t, w.run_duration_max),
            # 1 + 0 x ramp when the start factor is 1: exactly `utilisation`, as before the ramp
            utilisation=w.utilisation
            * (
                w.utilisation_start_factor
                + (1.0 - w.utilisation_start_factor)
                * min(1.0, max(0.0, t / w.utilisation_ramp_years))
            ),
            rental_price=w.rental_usd_per_h100e_year / w.price_performance_growth**t,
            rd_reference=w.efficiency_rd_reference_usd * w.efficiency_rd_cost_growth**t,
            kw_per_h100e=w.kw_per_h100e / w.power_efficiency_growth**t,
            # A serving unit costs about what an owned H100e costs a year (depreciation plus a
            # return on capital: half the rental price); part of algorithmic progress makes
            # serving cheaper.
            serve_unit_cost=0.5
            * w.rental_usd_per_h100e_year
            / w.price_performance_growth**t
            * w.frontier_efficiency_growth ** (t * w.serving_efficiency_pass),
        )
