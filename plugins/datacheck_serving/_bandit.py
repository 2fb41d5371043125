"""Clipper's model selection: Exp3 with forgetting over the versions behind one model name.

Exp3 (Auer, Cesa-Bianchi, Freund and Schapire, 2002) picks arm ``i`` with probability
``p_i = (1 - gamma) * w_i / sum(w) + gamma / K`` and, on reward ``x`` in [0, 1] for the arm it
picked, multiplies ``w_i`` by ``exp(gamma * (x / p_i) / K)``. Plain Exp3 never forgets: after
the best arm changes it needs about as many rounds as the old arm led to catch up. **Exp3.S**
(same paper, section 8) adds a fixed share: after every update each weight gains
``e * alpha / K`` times the total weight, so no arm's share falls below about ``alpha / K``
and a new best arm overtakes within ``O((K / gamma) * log(K / alpha))`` rounds, whatever the
past. Weights are renormalised to sum 1 after each update (the share is scale-free).

Feedback arrives later than the choice, by request id: :meth:`Exp3S.choose` returns the arm
and the probability it was drawn with, and :meth:`Exp3S.update` takes both back.
:meth:`Exp3S.ensemble` gives the weights of an ensemble (the arms' probabilities).
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Sequence

from datacheck.errors import OptionError

__all__ = ["Exp3S"]


class Exp3S:
    """Exp3.S over ``arms``; thread-safe.

    Args:
        arms: The arms' names (model versions).
        gamma: Exploration: the share of draws spread uniformly, in (0, 1].
        alpha: Forgetting: the fixed share, >= 0 (0 is plain Exp3).
        seed: The random draws' seed.
    """

    def __init__(
        self,
        arms: Sequence[str],
        *,
        gamma: float = 0.1,
        alpha: float = 0.01,
        seed: int | None = None,
    ) -> None:
        if not 0 < gamma <= 1:
            raise OptionError("in (0, 1]", parameter="gamma", value=gamma)
        if not 0 <= alpha < 1:
            raise OptionError("in [0, 1)", parameter="alpha", value=alpha)
        self.gamma = gamma
        self.alpha = alpha
        self.arms: list[str] = []
        self.weights: list[float] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        for arm in arms:
            self.add_arm(arm)

    def add_arm(self, arm: str) -> None:
        """A new arm (a newly deployed version), given the mean weight of the others."""
        with self._lock:
            if arm in self.arms:
                return
            mean = sum(self.weights) / len(self.weights) if self.weights else 1.0
            self.arms.append(arm)
            self.weights.append(mean)
            self._normalise()

    def probabilities(self) -> list[float]:
        """Each arm's probability of being drawn now."""
        with self._lock:
            return self._probabilities()

    def choose(self) -> tuple[str, float]:
        """An arm drawn by its probability, and that probability."""
        with self._lock:
            if not self.arms:
                raise OptionError("no arms to choose from", parameter="arms", value=[])
            probs = self._probabilities()
            at = self._random.choices(range(len(self.arms)), weights=probs)[0]
            return self.arms[at], probs[at]

    def update(self, arm: str, probability: float, reward: float) -> None:
        """Learn ``reward`` (in [0, 1]) of ``arm``, drawn with ``probability``."""
        if not 0.0 <= reward <= 1.0 or math.isnan(reward):
            raise OptionError("a number in [0, 1]", parameter="reward", value=reward)
        if not 0.0 < probability <= 1.0:
            raise OptionError("in (0, 1]", parameter="probability", value=probability)
        with self._lock:
            if arm not in self.arms:
                raise OptionError("not an arm", parameter="arm", value=arm)
            k = len(self.arms)
            at = self.arms.index(arm)
            estimate = reward / probability
            # Keep the exponent bounded (a stale, tiny probability must not overflow).
            self.weights[at] *= math.exp(min(50.0, self.gamma * estimate / k))
            total = sum(self.weights)
            share = math.e * self.alpha / k * total
            self.weights = [w + share for w in self.weights]
            self._normalise()

    def ensemble(self) -> dict[str, float]:
        """The arms' ensemble weights: their current probabilities."""
        with self._lock:
            return dict(zip(self.arms, self._probabilities(), strict=True))

    def _probabilities(self) -> list[float]:
        k = len(self.arms)
        total = sum(self.weights)
        return [(1 - self.gamma) * w / total + self.gamma / k for w in self.weights]

    def _normalise(self) -> None:
        total = sum(self.weights)
        self.weights = [w / total for w in self.weights]
