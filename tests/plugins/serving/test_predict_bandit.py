"""Exp3.S: converges on a stationary stream and recovers after the best arm changes."""

from __future__ import annotations

import random

import pytest

from datacheck_serving._bandit import Exp3S


def _play(bandit: Exp3S, means: dict[str, float], rounds: int, rng: random.Random) -> list[str]:
    chosen = []
    for _ in range(rounds):
        arm, p = bandit.choose()
        bandit.update(arm, p, 1.0 if rng.random() < means[arm] else 0.0)
        chosen.append(arm)
    return chosen


def _rounds_to_lead(bandit: Exp3S, means, best: str, rng: random.Random, limit: int) -> int:
    for i in range(limit):
        if bandit.ensemble()[best] > 0.5:
            return i
        _play(bandit, means, 1, rng)
    return limit


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_converges_to_the_best_arm(seed):
    rng = random.Random(seed + 1000)  # not the bandit's own stream
    bandit = Exp3S(["a", "b", "c"], gamma=0.1, alpha=0.001, seed=seed)
    chosen = _play(bandit, {"a": 0.2, "b": 0.8, "c": 0.4}, 1500, rng)
    assert chosen[-500:].count("b") / 500 > 0.7
    assert max(bandit.ensemble(), key=bandit.ensemble().get) == "b"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_within_a_bounded_number_of_rounds_and_faster_than_plain_exp3(seed):
    before = {"a": 0.9, "b": 0.1, "c": 0.1}
    after = {"a": 0.1, "b": 0.1, "c": 0.9}
    results = {}
    for alpha in (0.01, 0.0):
        rng = random.Random(seed + 1000)  # not the bandit's own stream
        bandit = Exp3S(["a", "b", "c"], gamma=0.1, alpha=alpha, seed=seed)
        _play(bandit, before, 3000, rng)
        results[alpha] = _rounds_to_lead(bandit, after, "c", rng, 3000)
    assert results[0.01] <= 600  # ~ (K / gamma) * log(K / alpha) = 30 * 5.7 rounds, x3
    assert results[0.0] > results[0.01]


def test_a_new_arm_joins_with_the_mean_weight_and_bad_feedback_is_refused():
    from datacheck.errors import OptionError

    bandit = Exp3S(["a"], seed=0)
    bandit.add_arm("b")
    probs = bandit.probabilities()
    assert probs == pytest.approx([0.5, 0.5])
    with pytest.raises(OptionError):
        bandit.update("a", 0.5, 2.0)
    with pytest.raises(OptionError):
        bandit.update("z", 0.5, 1.0)
