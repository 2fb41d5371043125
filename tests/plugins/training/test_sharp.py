"""SHARP on a virtual clock: the optimum on a small instance (brute force over every
non-delay schedule), within the lower bound and Graham's bound on any instance, and every
model's units in order, one at a time."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datacheck.errors import OptionError
from datacheck_training._sharp import (
    graham_bound,
    lower_bound,
    model_parallel_makespan,
    optimal_makespan,
    pick,
    simulate_sharp,
)

#: three models on two devices: a long chain, a short one, a medium one of big units
TOY = [[2.0, 2.0, 2.0, 2.0], [1.0, 1.0, 1.0], [3.0, 2.0]]

chains = st.lists(
    st.lists(st.integers(1, 5).map(float), min_size=1, max_size=4), min_size=1, max_size=4
)


def test_the_toy_instance_reaches_the_optimum() -> None:
    schedule = simulate_sharp(TOY, 2)
    assert schedule.makespan == optimal_makespan(TOY, 2) == lower_bound(TOY, 2) == 8.0
    assert model_parallel_makespan(TOY, 2) == 16.0
    assert schedule.busy == (1.0, 1.0)


def test_shortest_first_would_miss_the_optimum() -> None:
    """The brute force is a real check: the opposite rule ends later on the same instance."""
    reversed_costs = [list(chain) for chain in TOY]
    # SHARP on negated priorities = shortest remaining first: model order by least work
    order = sorted(range(len(TOY)), key=lambda m: sum(TOY[m]))
    makespan = _play_fixed_priority(reversed_costs, 2, order)
    assert makespan > optimal_makespan(TOY, 2)


def _play_fixed_priority(costs: list[list[float]], devices: int, order: list[int]) -> float:
    free_at = [0.0] * devices
    ready_at = [0.0] * len(costs)
    nxt = [0] * len(costs)
    end = 0.0
    while any(nxt[m] < len(costs[m]) for m in range(len(costs))):
        d = min(range(devices), key=lambda i: free_at[i])
        now = free_at[d]
        ready = [m for m in order if nxt[m] < len(costs[m]) and ready_at[m] <= now]
        if not ready:
            free_at[d] = min(ready_at[m] for m in order if nxt[m] < len(costs[m]))
            continue
        m = ready[0]
        ready_at[m] = free_at[d] = now + costs[m][nxt[m]]
        nxt[m] += 1
        end = max(end, free_at[d])
    return end


@given(chains, st.integers(1, 3))
def test_the_makespan_lies_between_the_bounds(costs: list[list[float]], devices: int) -> None:
    makespan = simulate_sharp(costs, devices).makespan
    assert lower_bound(costs, devices) - 1e-9 <= makespan <= graham_bound(costs, devices) + 1e-9
    assert makespan <= model_parallel_makespan(costs, devices) + 1e-9


@given(st.lists(st.lists(st.integers(1, 4).map(float), min_size=1, max_size=3), max_size=3))
def test_no_schedule_beats_the_brute_force(costs: list[list[float]]) -> None:
    assert optimal_makespan(costs, 2) <= simulate_sharp(costs, 2).makespan + 1e-9


@given(chains, st.integers(1, 3))
def test_units_run_in_order_one_at_a_time(costs: list[list[float]], devices: int) -> None:
    schedule = simulate_sharp(costs, devices)
    assert len(schedule.units) == sum(len(c) for c in costs)
    for m, chain in enumerate(costs):
        mine = [u for u in schedule.units if u[0] == m]
        assert [u[1] for u in mine] == list(range(len(chain)))
        for a, b in itertools.pairwise(mine):
            assert a[4] <= b[3]
    for d in range(devices):
        spans = sorted((u[3], u[4]) for u in schedule.units if u[2] == d)
        for a, b in itertools.pairwise(spans):
            assert a[1] <= b[0]


def test_pick_takes_the_most_remaining_work_then_the_lowest_index() -> None:
    assert pick([0, 1, 2], [3.0, 5.0, 5.0]) == 1
    assert pick([2, 1], [3.0, 5.0, 5.0]) == 1
    assert pick([2, 0], [3.0, 5.0, 5.0]) == 2


def test_bad_instances_are_refused() -> None:
    with pytest.raises(OptionError, match="devices"):
        simulate_sharp(TOY, 0)
    with pytest.raises(OptionError, match="costs"):
        simulate_sharp([[1.0, -1.0]], 2)
