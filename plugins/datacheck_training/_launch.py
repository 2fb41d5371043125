"""Devices are processes: start one per device, watch them, stop them all on the first failure.

:func:`launch` starts ``fn(rank, world_size, device, *args)`` in one process per
device with a process group already set up (NCCL for ``cuda:i`` devices, gloo for CPU ones,
rendezvous through a file in a private temporary folder, so concurrent launches never fight
over a port). The parent waits on the processes' sentinels and a message queue, never on a
collective, so it cannot hang: when a worker raises, it reports one line (the exception's type
and message) and exits; when a worker dies without a word (killed, out of memory), its exit
code says so. Either way the parent terminates the other workers (SIGTERM, then SIGKILL after
a grace period), joins every one, and raises :class:`WorkerError` naming the rank and device.
Collectives inside the workers carry a timeout, so a worker stuck waiting for a dead peer
raises too instead of waiting forever.

Processes are forked from a server that imported torch once (multiprocessing's forkserver),
so a launch costs a fork rather than a Python start and a torch import (measured: 0.25 s
against 7 s for two processes here). The arguments are pickled by this process and read by
its own children only. Messages from workers are small tuples (progress: epoch, loss, rows);
weights and gradients travel back through safetensors files, never through the queue.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import queue
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import timedelta
from multiprocessing.connection import wait
from typing import Any

import torch
import torch.distributed as dist

from datacheck.errors import DatacheckError

__all__ = ["WorkerError", "backend_for", "default_devices", "launch"]

#: seconds a collective waits for its peers before it raises in the worker
COLLECTIVE_TIMEOUT_S = 120.0
#: seconds between SIGTERM and SIGKILL when stopping workers
_GRACE_S = 5.0


class WorkerError(DatacheckError, RuntimeError):
    """A training worker raised or died; the other workers were stopped."""


def default_devices(count: int) -> list[str]:
    """``count`` devices: ``cuda:0..`` where that many GPUs exist, else CPU processes."""
    if torch.cuda.is_available() and torch.cuda.device_count() >= count:
        return [f"cuda:{i}" for i in range(count)]
    return ["cpu"] * count


def backend_for(devices: Sequence[str]) -> str:
    """NCCL when every device is a GPU and NCCL is built in, gloo otherwise."""
    if all(d.startswith("cuda") for d in devices) and dist.is_nccl_available():
        return "nccl"
    return "gloo"


def _worker(
    rank: int,
    devices: Sequence[str],
    rendezvous: str,
    messages: Any,
    fn: Callable[..., None],
    payload: bytes,
    timeout_s: float,
    path: Sequence[str],
) -> None:
    device = devices[rank]
    try:
        # the caller's import path now, not the forkserver's when it started: the model's
        # classes may live in a module the caller made importable since
        sys.path[:] = list(path)
        args = pickle.loads(payload)  # written by this process's parent, never by a user
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // len(devices)))
        if device.startswith("cuda"):
            torch.cuda.set_device(torch.device(device))
        dist.init_process_group(
            backend_for(devices),
            init_method=f"file://{rendezvous}",
            rank=rank,
            world_size=len(devices),
            timeout=timedelta(seconds=timeout_s),
        )
        try:
            fn(rank, len(devices), torch.device(device), messages, *args)
        finally:
            dist.destroy_process_group()
    except BaseException as exc:  # every failure becomes one line for the parent
        last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
        where = f" ({os.path.basename(last[0].filename)}:{last[0].lineno})" if last else ""
        text = " ".join(str(exc).split())  # one line, whatever the exception printed
        messages.put(("error", rank, f"{type(exc).__name__}: {text}{where}"))
        raise SystemExit(1) from None
    messages.put(("done", rank, ""))


def _stop(processes: Sequence[Any]) -> None:
    started = [p for p in processes if p.pid is not None]
    for p in started:
        if p.is_alive():
            p.terminate()
    for p in started:
        p.join(_GRACE_S)
        if p.is_alive():
            p.kill()
            p.join()


def _context() -> Any:
    """Processes forked from a server that imported torch once (forkserver), where the
    platform has it: a launch then costs a fork, not a Python start and a torch import
    (seconds each); the server never touches CUDA or threads, so its children may. Plain
    spawn elsewhere."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(
        [
            "torch",
            "torch.distributed",
            # pipelining pulls in torch.fx and torch.export: seconds to import, so once
            "torch.distributed.pipelining",
            "torch.distributed.algorithms.join",
            "torch.nn.parallel",
            "datacheck_training._engine",
        ]
    )
    return context


def launch(
    fn: Callable[..., None],
    devices: Sequence[str],
    args: tuple[Any, ...] = (),
    *,
    on_message: Callable[[tuple[Any, ...]], None] | None = None,
    timeout_s: float = COLLECTIVE_TIMEOUT_S,
) -> None:
    """Run ``fn(rank, world_size, device, messages, *args)`` on every device, one process each.

    ``fn`` must be importable by name (a module-level function); ``messages.put(tuple)``
    sends a progress message to ``on_message`` in this process.

    Raises:
        WorkerError: A worker raised (its message, rank and device) or died (its exit code);
            every worker has been stopped and joined when it is raised.
    """
    context = _context()
    # The arguments travel as bytes pickled here by value: through the start method's own
    # pickler, tensors would go as shared memory (one file descriptor each, too many for a
    # forkserver), and a worker training them in place would change the caller's model.
    payload = pickle.dumps(args)
    messages = context.Queue()
    with tempfile.TemporaryDirectory(prefix="datacheck-train-") as tmp:
        rendezvous = os.path.join(tmp, "rendezvous")
        processes = [
            context.Process(
                target=_worker,
                args=(
                    rank,
                    list(devices),
                    rendezvous,
                    messages,
                    fn,
                    payload,
                    timeout_s,
                    list(sys.path),
                ),
                daemon=True,  # never outlive the parent, even if it is killed
            )
            for rank in range(len(devices))
        ]
        try:
            for p in processes:
                p.start()
            _watch(processes, devices, messages, on_message)
        finally:
            _stop(processes)
            messages.close()
            messages.join_thread()


def _drain(
    messages: Any,
    on_message: Callable[[tuple[Any, ...]], None] | None,
    done: set[int],
    errors: dict[int, str],
) -> None:
    while True:
        try:
            message = messages.get_nowait()
        except queue.Empty:
            return
        kind, rank = message[0], message[1]
        if kind == "error":
            errors.setdefault(rank, message[2])
        elif kind == "done":
            done.add(rank)
        elif on_message is not None:
            on_message(message)


def _watch(
    processes: Sequence[Any],
    devices: Sequence[str],
    messages: Any,
    on_message: Callable[[tuple[Any, ...]], None] | None,
) -> None:
    done: set[int] = set()
    errors: dict[int, str] = {}
    while len(done) < len(processes):
        wait([p.sentinel for p in processes if p.exitcode is None] + [messages._reader], 1.0)
        _drain(messages, on_message, done, errors)
        silent = [
            r for r, p in enumerate(processes) if p.exitcode not in (None, 0) and r not in errors
        ]
        if not errors and not silent:
            continue
        # The first failure drags its peers down with it ("connection closed by peer"): wait
        # a moment so that the cause, not a consequence, is what gets reported.
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            wait([p.sentinel for p in processes if p.exitcode is None] + [messages._reader], 0.2)
            _drain(messages, on_message, done, errors)
        silent = [
            r for r, p in enumerate(processes) if p.exitcode not in (None, 0) and r not in errors
        ]
        if silent:
            rank = silent[0]
            raise WorkerError(
                f"training worker {rank} on {devices[rank]} died with exit code "
                f"{processes[rank].exitcode}"
            )
        rank = _cause(errors)
        raise WorkerError(f"training worker {rank} on {devices[rank]} failed: {errors[rank]}")


def _cause(errors: dict[int, str]) -> int:
    """The rank whose error is not a peer's broken connection, else the lowest rank."""
    consequences = ("Connection closed by peer", "Connection reset by peer", "Timed out")
    for rank in sorted(errors):
        if not any(c in errors[rank] for c in consequences):
            return rank
    return min(errors)
