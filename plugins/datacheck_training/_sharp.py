"""SHARP, Hydra's multi-model scheduler: Sharded-LRTF, and the same scheduler on a virtual clock.

Each model is a chain of shard units (one shard's forward or backward on one mini-batch) that
must run in order, one at a time, on any device. Whenever a device is free, SHARP gives it the
next unit of the ready model (no unit of it running, units left) with the Longest Remaining
Time First: the most work left, ties to the lowest model index. :func:`pick` is that rule;
:func:`datacheck_training._many.train_many` runs it with real processes and
:func:`simulate_sharp` plays it with given unit costs.

Baselines: model parallelism (each model's shards spread over all the devices, one model after
another) runs a model's units one at a time whatever the device count, so its makespan is the
total work; training the models one after another on one device is the same total. The lower
bound of any schedule is ``max(total work / devices, the longest model)``, and a list schedule
with chain precedence ends by ``total / devices + (1 - 1/devices) * longest model`` (Graham);
a property test checks both, and a brute force over every non-delay schedule of small
instances checks that SHARP's makespan equals the optimum there.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from datacheck.errors import OptionError

__all__ = [
    "SharpSchedule",
    "graham_bound",
    "lower_bound",
    "model_parallel_makespan",
    "optimal_makespan",
    "pick",
    "pick_affine",
    "simulate_sharp",
]


def pick(ready: Sequence[int], remaining: Sequence[float]) -> int:
    """The ready model with the most remaining work (ties: the lowest index)."""
    return min(ready, key=lambda m: (-remaining[m], m))


def pick_affine(
    ready: Sequence[int],
    remaining: Sequence[float],
    affinity: Mapping[int, int],
    tolerance: float = 0.0,
) -> int:
    """Sharded-LRTF with locality: among the ready models whose remaining work is within
    ``tolerance`` (a fraction) of the most any ready model has, the one with the highest
    ``affinity`` (how much of its state a free device already holds), then the most work,
    then the lowest index. With ``tolerance=0`` it is :func:`pick` with ties broken toward
    affinity; it never takes a model with less than ``(1 - tolerance)`` times the front
    runner's remaining work (a property test checks both).

    Hydra's own orchestrator does the same in its cache step: the task already on a device
    keeps it unless another has strictly more remaining time.
    """
    top = max(remaining[m] for m in ready)
    near = [m for m in ready if remaining[m] >= top - tolerance * abs(top)]
    return min(near, key=lambda m: (-affinity.get(m, 0), -remaining[m], m))


@dataclass(frozen=True, slots=True, kw_only=True)
class SharpSchedule:
    """A played schedule."""

    #: (model, unit, device, start, end) for every unit, in start order
    units: tuple[tuple[int, int, int, float, float], ...]
    #: when the last unit ends
    makespan: float
    #: per device: the fraction of the makespan it computed
    busy: tuple[float, ...]
    #: per model: when its last unit ended
    finished: tuple[float, ...]


def _check(costs: Sequence[Sequence[float]], devices: int) -> None:
    if devices < 1:
        raise OptionError("at least 1", parameter="devices", value=devices)
    if any(c < 0 for chain in costs for c in chain):
        raise OptionError("unit costs must be non-negative", parameter="costs", value=costs)


def simulate_sharp(costs: Sequence[Sequence[float]], devices: int) -> SharpSchedule:
    """Play Sharded-LRTF over models whose unit costs are ``costs[model][unit]``.

    Event-driven on a virtual clock: at each time a unit ends, every free device takes the
    next unit of the ready model :func:`pick` chooses.
    """
    _check(costs, devices)
    remaining = [float(sum(chain)) for chain in costs]
    nxt = [0] * len(costs)
    running: set[int] = set()
    free = list(range(devices))
    events: list[tuple[float, int, int]] = []  # (end, device, model)
    out: list[tuple[int, int, int, float, float]] = []
    busy = [0.0] * devices
    finished = [0.0] * len(costs)
    now = 0.0
    while True:
        ready = [m for m in range(len(costs)) if m not in running and nxt[m] < len(costs[m])]
        free.sort()
        while free and ready:
            m = pick(ready, remaining)
            ready.remove(m)
            device = free.pop(0)
            cost = float(costs[m][nxt[m]])
            out.append((m, nxt[m], device, now, now + cost))
            busy[device] += cost
            running.add(m)
            heapq.heappush(events, (now + cost, device, m))
        if not events:
            break
        now, device, m = heapq.heappop(events)
        finished_units = [(now, device, m)]
        while events and events[0][0] == now:  # everything ending now frees at once
            finished_units.append(heapq.heappop(events))
        for _, d, model in finished_units:
            remaining[model] -= float(costs[model][nxt[model]])
            nxt[model] += 1
            running.discard(model)
            free.append(d)
            if nxt[model] == len(costs[model]):
                finished[model] = now
    makespan = max((end for *_, end in out), default=0.0)
    fractions = tuple(b / makespan if makespan else 0.0 for b in busy)
    return SharpSchedule(
        units=tuple(out), makespan=makespan, busy=fractions, finished=tuple(finished)
    )


def model_parallel_makespan(costs: Sequence[Sequence[float]], devices: int) -> float:
    """Model parallelism: one model at a time over every device, its shards in turn."""
    _check(costs, devices)
    return float(sum(sum(chain) for chain in costs))


def lower_bound(costs: Sequence[Sequence[float]], devices: int) -> float:
    """No schedule ends sooner: total work over the devices, or the longest model."""
    _check(costs, devices)
    total = sum(sum(chain) for chain in costs)
    return float(max(total / devices, max((sum(c) for c in costs), default=0.0)))


def graham_bound(costs: Sequence[Sequence[float]], devices: int) -> float:
    """Any list schedule of chains ends by ``total / devices + (1 - 1/devices) * longest``."""
    _check(costs, devices)
    total = sum(sum(chain) for chain in costs)
    longest = max((sum(c) for c in costs), default=0.0)
    return float(total / devices + (1 - 1 / devices) * longest)


def optimal_makespan(costs: Sequence[Sequence[float]], devices: int) -> float:
    """The best makespan over every non-delay schedule (brute force: small instances only)."""
    _check(costs, devices)
    n = len(costs)
    best = [float("inf")]

    def search(now: float, nxt: tuple[int, ...], running: tuple[tuple[float, int], ...]) -> None:
        if now >= best[0]:
            return
        if all(nxt[m] == len(costs[m]) for m in range(n)) and not running:
            best[0] = now
            return
        busy = {m for _, m in running}
        ready = [m for m in range(n) if m not in busy and nxt[m] < len(costs[m])]
        slots = devices - len(running)
        k = min(slots, len(ready))
        choices = _subsets(ready, k) if k else [()]
        for chosen in choices:
            started = list(running)
            step = list(nxt)
            for m in chosen:
                started.append((now + float(costs[m][step[m]]), m))
            end = min(e for e, _ in started)
            left = tuple(sorted((e, m) for e, m in started if e > end))
            for e, m in started:
                if e == end:
                    step[m] += 1
            search(end, tuple(step), left)

    search(0.0, tuple(0 for _ in range(n)), ())
    return best[0]


def _subsets(items: Sequence[int], k: int) -> list[tuple[int, ...]]:
    from itertools import combinations

    return list(combinations(items, k))
