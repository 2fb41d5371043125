"""The pipeline bubble on a virtual clock: when each stage works and when it waits.

:func:`simulate_pipeline` plays a schedule (GPipe: all forwards, then all backwards in reverse;
1F1B: ``K - s - 1`` warm-up forwards on stage ``s``, then one forward and one backward in
turn) over K stages and M micro-batches with given forward and backward times per stage, and
returns each stage's busy intervals. Each operation starts when its stage is free and its
input is ready (a forward needs the previous stage's forward of the same micro-batch, a
backward the next stage's backward, or on the last stage its own forward); communication is
free. With equal times the idle fraction of every stage is GPipe's ``(K-1)/(M+K-1)`` for both
schedules (1F1B changes memory, not the bubble); the bench compares this with real runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from datacheck.errors import OptionError

__all__ = ["PipelineTimeline", "gpipe_bubble", "schedule_order", "simulate_pipeline"]

#: one operation: ("F" or "B", micro-batch)
Op = tuple[str, int]


def gpipe_bubble(stages: int, micro_batches: int) -> float:
    """GPipe's idle fraction with equal stage times: ``(K-1)/(M+K-1)``."""
    return (stages - 1) / (micro_batches + stages - 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineTimeline:
    """A played schedule: per stage, its operations' start and end times."""

    #: per stage: (kind, micro-batch, start, end), in execution order
    intervals: tuple[tuple[tuple[str, int, float, float], ...], ...]

    @property
    def makespan(self) -> float:
        """When the last operation ends."""
        return max(end for stage in self.intervals for *_, end in stage)

    def busy(self, stage: int) -> float:
        """Time stage ``stage`` spends computing."""
        return sum(end - start for *_, start, end in self.intervals[stage])

    def idle_fraction(self, stage: int) -> float:
        """The share of the step stage ``stage`` waits."""
        return 1.0 - self.busy(stage) / self.makespan


def schedule_order(schedule: str, stages: int, micro_batches: int, stage: int) -> list[Op]:
    """The order a stage runs its forwards and backwards in, under ``schedule``."""
    m = micro_batches
    if schedule == "gpipe":
        return [("F", i) for i in range(m)] + [("B", i) for i in reversed(range(m))]
    if schedule != "1f1b":
        raise OptionError("gpipe or 1f1b", parameter="schedule", value=schedule)
    warmup = min(stages - stage - 1, m)
    order: list[Op] = [("F", i) for i in range(warmup)]
    for i in range(m - warmup):
        order += [("F", warmup + i), ("B", i)]
    order += [("B", i) for i in range(m - warmup, m)]
    return order


def simulate_pipeline(
    stages: int,
    micro_batches: int,
    *,
    schedule: str = "gpipe",
    forward: float | Sequence[float] = 1.0,
    backward: float | Sequence[float] = 2.0,
) -> PipelineTimeline:
    """Play ``schedule`` on a virtual clock.

    Args:
        stages: K.
        micro_batches: M.
        schedule: ``"gpipe"`` or ``"1f1b"``.
        forward: Time of one micro-batch's forward, per stage or for all.
        backward: Time of one micro-batch's backward, per stage or for all.
    """
    fwd = [float(forward)] * stages if isinstance(forward, int | float) else list(forward)
    bwd = [float(backward)] * stages if isinstance(backward, int | float) else list(backward)
    orders = [schedule_order(schedule, stages, micro_batches, s) for s in range(stages)]
    done: dict[tuple[str, int, int], float] = {}
    free = [0.0] * stages
    position = [0] * stages
    out: list[list[tuple[str, int, float, float]]] = [[] for _ in range(stages)]
    remaining = sum(len(o) for o in orders)
    while remaining:
        progressed = False
        for s in range(stages):
            while position[s] < len(orders[s]):
                kind, i = orders[s][position[s]]
                if kind == "F":
                    dep = ("F", s - 1, i) if s > 0 else None
                else:
                    dep = ("B", s + 1, i) if s < stages - 1 else ("F", s, i)
                if dep is not None and dep not in done:
                    break
                start = max(free[s], done[dep] if dep is not None else 0.0)
                end = start + (fwd[s] if kind == "F" else bwd[s])
                done[(kind, s, i)] = end
                free[s] = end
                out[s].append((kind, i, start, end))
                position[s] += 1
                remaining -= 1
                progressed = True
        if not progressed:  # pragma: no cover - the orders above never deadlock
            raise RuntimeError("schedule deadlocks")
    return PipelineTimeline(intervals=tuple(tuple(stage) for stage in out))
