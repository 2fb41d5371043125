"""Cohen's h: the effect size of a change between two proportions, and its inverse.

``h = |2 asin(sqrt(p1)) - 2 asin(sqrt(p2))|``. The arcsine square root stabilises a
proportion's variance (its standard error is about ``1 / (2 sqrt(n))`` whatever the
proportion), so one value of h weighs a change the same at every level: 2% to 5% is h = 0.17,
9% to 18% is 0.27, 50% to 60% is 0.20. Cohen's conventions: 0.2 small, 0.5 medium, 0.8 large.
Presence inference (a bound on how far the missing share may rise) and the missingness-drift
comparator (how far it moved from the baseline's) both measure with it, through this module.
"""

from __future__ import annotations

import math

__all__ = ["cohens_h", "raised_by"]


def _phi(p: float) -> float:
    return 2.0 * math.asin(math.sqrt(min(max(p, 0.0), 1.0)))


def cohens_h(p1: float, p2: float) -> float:
    """Cohen's h between two proportions, in [0, pi]."""
    return abs(_phi(p1) - _phi(p2))


def raised_by(p: float, h: float) -> float:
    """The proportion an effect of ``h`` above ``p`` reaches (1.0 when it passes the top)."""
    phi = _phi(p) + h
    return 1.0 if phi >= math.pi else math.sin(phi / 2.0) ** 2
