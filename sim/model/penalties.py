"""Training penalties of second-best hardware, and how labs engineer around them."""

from __future__ import annotations

import math


def hardware_penalty(base: float, cum_efficiency_spend: float, mitigation_usd: float) -> float:
    """A hardware training penalty after a lab's efficiency R&D has engineered around it.

    The penalty halves for every ``mitigation_usd`` of cumulative efficiency spending.
    """
    penalty: float = base * 0.5 ** (cum_efficiency_spend / mitigation_usd)
    return penalty


def domestic_penalty(
    base: float,
    cum_domestic_h100e: float,
    learning_h100e: float,
    cum_efficiency_spend: float,
    mitigation_usd: float,
) -> float:
    """Domestic-chip penalty: it shrinks with the nation's cumulative use of its own chips (the
    software stack learns, e-folding every ``learning_h100e``) and with the lab's own R&D."""
    learned = base * math.exp(-cum_domestic_h100e / learning_h100e)
    return hardware_penalty(learned, cum_efficiency_spend, mitigation_usd)
