"""A figure measured over independent replications, with its confidence interval.

Each replication is one independent run (its own seed), so its figure is one sample and
the interval is Student's t: ``mean +- t(1 - alpha/2, R - 1) * s / sqrt(R)``. The t
quantile comes from the normal one through the Cornish-Fisher expansion (within 1% of
the table from 2 degrees of freedom; exact for 1), so no SciPy is needed.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from callrouter.errors import InvalidInput

__all__ = ["Estimate", "estimate", "t_quantile"]


@dataclass(frozen=True, slots=True)
class Estimate:
    mean: float
    low: float
    high: float
    samples: int

    @classmethod
    def exact(cls, value: float) -> Estimate:
        """A figure from a formula: no interval around it."""
        return cls(value, value, value, 0)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def t_quantile(probability: float, degrees: int) -> float:
    if not 0.5 <= probability < 1 or degrees < 1:
        raise InvalidInput("t quantile: probability in [0.5, 1) and degrees >= 1")
    if degrees == 1:
        return math.tan(math.pi * (probability - 0.5))
    z = statistics.NormalDist().inv_cdf(probability)
    v = float(degrees)
    z3, z5, z7, z9 = z**3, z**5, z**7, z**9
    return (
        z
        + (z3 + z) / (4 * v)
        + (5 * z5 + 16 * z3 + 3 * z) / (96 * v**2)
        + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v**3)
        + (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * v**4)
    )


def estimate(samples: Sequence[float], confidence: float = 0.95) -> Estimate:
    """Mean and two-sided interval; NaN samples (no caller that run) are left out."""
    values = [s for s in samples if not math.isnan(s)]
    if not values:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = statistics.fmean(values)
    if len(values) == 1:
        return Estimate(mean, -math.inf, math.inf, 1)
    half = t_quantile(0.5 + confidence / 2, len(values) - 1) * statistics.stdev(values)
    half /= math.sqrt(len(values))
    return Estimate(mean, mean - half, mean + half, len(values))
