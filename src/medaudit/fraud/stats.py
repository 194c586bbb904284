"""Scoring helpers shared by the models: robust z-scores, peer groups, Poisson tails, squashing.

Thresholds come from the region's own distribution (medians, MADs and percentiles of the feature
tables) so that a model holds on regions unlike the one it was written against.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: MAD of a normal distribution is 0.6745 σ
_MAD_SCALE = 1.4826


def robust_z(x: np.ndarray, floor: float | None = None) -> np.ndarray:
    """(x - median) / (1.4826 MAD); a MAD of 0 falls back to the mean absolute deviation, then ``floor``."""
    x = np.asarray(x, dtype=float)
    if len(x) == 0:
        return x
    med = float(np.median(x))
    mad = _MAD_SCALE * float(np.median(np.abs(x - med)))
    if mad <= 0:
        mad = 1.2533 * float(np.mean(np.abs(x - med)))
    if floor is not None:
        mad = max(mad, floor)
    if mad <= 0:
        return np.zeros_like(x)
    return (x - med) / mad


def grouped_robust_z(x: np.ndarray, groups: Sequence[object], min_group: int = 5,
                     floor: float | None = None) -> np.ndarray:
    """Robust z within each peer group; groups smaller than ``min_group`` are compared with everyone."""
    x = np.asarray(x, dtype=float)
    g = np.asarray([str(v) for v in groups])
    out = robust_z(x, floor)
    for key in np.unique(g):
        m = g == key
        if m.sum() >= min_group:
            out[m] = robust_z(x[m], floor)
    return out


def squash(x: float, half: float) -> float:
    """Map an excess ``x ≥ 0`` to [0, 1): 0.5 at ``half``."""
    if x <= 0:
        return 0.0
    return x / (x + half)


def poisson_sf(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    term = math.exp(-lam)
    cdf = term
    for i in range(1, k):
        term *= lam / i
        cdf += term
    return max(0.0, 1.0 - cdf)


def percentile_rank(x: np.ndarray) -> np.ndarray:
    """Share of values ≤ each value (ties share the upper rank), in [0, 1]."""
    x = np.asarray(x, dtype=float)
    if len(x) == 0:
        return x
    order = np.sort(x)
    return np.searchsorted(order, x, side="right") / len(x)
