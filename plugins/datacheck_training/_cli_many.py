"""``datacheck train-many``: a hyper-parameter grid trained at once, spilled, scheduled by SHARP.

``datacheck train-many DATA --schema FILE|NAME[@VERSION] --model MODULE:FACTORY --label COL
--memory-budget SIZE (--grid FILE | --param KEY=V1,V2 ...) [--devices N] [--epochs E]
[--stop-ratio R] -o DIR``. Writes one model folder per grid point (safetensors + JSON record)
and ``summary.json`` (curves, wall times, busy fractions, the best model). On a terminal a
live block shows each model's units done, loss and early stop; elsewhere a line per model
every ``--progress-every`` seconds and at each epoch's end. Exit 0 when every model trained;
2 for a bad request (an unknown hyper-parameter, a budget under a layer, a shard that
raised), one line on stderr, every worker stopped.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Sequence
from typing import IO, Any

from datacheck.cli import ProgressBar, add_reader_arguments, reader_options
from datacheck.errors import OptionError
from datacheck.plugin import load_reference
from datacheck.schema import SchemaStore

__all__ = ["ManyDisplay", "register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``train-many`` command."""
    parser = subparsers.add_parser(
        "train-many",
        help="train a grid of models at once (model selection), spilled over a few devices",
        description=(
            "Validate DATA against the schema, encode the valid rows, and train one model per "
            "point of a hyper-parameter grid at once: every model is spilled into shards that "
            "fit the memory budget and the SHARP scheduler interleaves their shard units over "
            "the devices (worker processes), most remaining work first. Writes a model folder "
            "per grid point and summary.json (curves, wall times, the best model)."
        ),
        epilog=(
            'A grid file: {"lr": [0.01, 0.001], "optimizer": ["adam", "sgd"], "width": [32, '
            "64]} (every combination) or a list of such mappings, one per model; keys: "
            "optimizer, lr, momentum, weight_decay and the model factory's parameters."
        ),
    )
    parser.add_argument("data", metavar="DATA", help="the data: a file, folder or glob")
    parser.add_argument("--schema", required=True, metavar="FILE|NAME[@VERSION]")
    parser.add_argument("--store", metavar="DIR", help="the schema store")
    parser.add_argument(
        "--model",
        required=True,
        metavar="MODULE:FACTORY",
        help="a function that returns the network; grid keys it takes are passed to it",
    )
    parser.add_argument("--label", required=True, metavar="COL", help="the label column")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="the output folder")
    parser.add_argument("--grid", metavar="FILE", help="the grid: JSON, or YAML (.yaml, .yml)")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a grid axis (repeat it); combined with every model of --grid",
    )
    parser.add_argument(
        "--memory-budget", required=True, metavar="SIZE", help="each device's memory (64MiB)"
    )
    parser.add_argument("--devices", type=int, default=2, metavar="N", help="worker processes")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    parser.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64, metavar="N")
    parser.add_argument(
        "--validation", type=float, default=0.2, metavar="FRACTION", help="rows held out"
    )
    parser.add_argument(
        "--stop-ratio",
        type=float,
        metavar="R",
        help="stop a model whose validation loss is over R times the epoch's best",
    )
    parser.add_argument("--min-epochs", type=int, default=1, metavar="E")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument(
        "--not-features", default="", metavar="COL,...", help="columns not to use as features"
    )
    parser.add_argument(
        "--progress-every",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="off a terminal: a progress line per model this often",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="json: the summary alone"
    )
    add_reader_arguments(parser)
    parser.set_defaults(run=run)


def _bar(done: int, total: int, width: int = 12) -> str:
    filled = int(width * done / total) if total else width
    return "#" * filled + "." * (width - filled)


def _number(value: float) -> str:
    return f"{value:.4f}" if math.isfinite(value) else "-"


class ManyDisplay:
    """Progress of a grid: a live block (one line per model) redrawn in place on a terminal;
    elsewhere a line per model every ``every`` seconds and a line at each epoch's end.

    Args:
        stream: Where to write.
        live: Redraw in place (a terminal); False: plain lines.
        every: Seconds between plain lines.
    """

    def __init__(self, stream: IO[str], *, live: bool, every: float = 10.0) -> None:
        self.stream, self.live, self.every = stream, live, every
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.drawn = 0
        self.statuses: Sequence[Any] = ()
        self.stopped: set[str] = set()

    def lines(self) -> list[str]:
        """One line per model: units done of total, latest loss, validation, marks."""
        width = max((len(s.name) for s in self.statuses), default=0)
        out = []
        for s in self.statuses:
            mark = " stopped early" if s.stopped else (" done" if s.finished else "")
            out.append(
                f"{s.name:<{width}} [{_bar(s.units_done, s.units_total)}] "
                f"{s.units_done}/{s.units_total} units  loss {_number(s.loss)}  "
                f"val {_number(s.validation)}{mark}"
            )
        return out

    def __call__(self, statuses: Sequence[Any]) -> None:
        """The monitor :func:`train_many` calls after every unit."""
        self.statuses = statuses
        now = time.monotonic()
        for s in statuses:
            if s.stopped and s.name not in self.stopped:
                self.stopped.add(s.name)
                if not self.live:
                    self._write(f"{s.name}: stopped early after epoch {s.epochs}\n")
        if self.live:
            if now - self.last_draw >= 0.1:
                self.last_draw = now
                self._draw()
        elif now - self.last_draw >= self.every:
            self.last_draw = now
            elapsed = now - self.started
            done = sum(s.units_done for s in statuses)
            total = sum(s.units_total for s in statuses)
            self._write(f"[{elapsed:.0f}s] {done}/{total} units\n")
            for line in self.lines():
                self._write(f"  {line}\n")

    def epoch(self, name: str, epoch: int, loss: float, validation: float) -> None:
        """The ``progress`` :func:`train_many` calls at each model's epoch end."""
        if not self.live:
            self._write(
                f"{name} epoch {epoch + 1}: loss {_number(loss)}, "
                f"validation {_number(validation)}\n"
            )

    def _draw(self) -> None:
        columns = shutil.get_terminal_size((80, 24)).columns - 1
        rows = shutil.get_terminal_size((80, 24)).lines - 1
        lines = self.lines()
        if len(lines) + 1 > rows:  # too many models for the screen: one summary line
            done = sum(s.units_done for s in self.statuses)
            total = sum(s.units_total for s in self.statuses)
            lines = [f"{len(lines)} models, {done}/{total} units, {len(self.stopped)} stopped"]
        elapsed = time.monotonic() - self.started
        block = [f"training {len(self.statuses)} models ({elapsed:.0f}s)", *lines]
        up = f"\033[{self.drawn}F" if self.drawn else ""
        text = "".join(f"\033[2K{line[:columns]}\n" for line in block)
        self.stream.write(up + text)
        self.stream.flush()
        self.drawn = len(block)

    def close(self) -> None:
        """Draw the final state (live) and end the block."""
        if self.live and self.statuses:
            self._draw()

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _factory(reference: str) -> Any:
    here = os.getcwd()
    if here not in sys.path:
        sys.path.insert(0, here)
    factory = load_reference(reference)
    if not callable(factory):
        raise OptionError(
            "names no function that builds a model", parameter="model", value=reference
        )
    return factory


def run(args: argparse.Namespace) -> int:
    """Train the grid; print the summary. Returns the exit code (0)."""
    from datacheck_training._grid import candidates, read_grid, save_many
    from datacheck_training._many import train_many
    from datacheck_training._spill import parse_bytes

    configs = read_grid(args.grid, args.param)
    budget = parse_bytes(args.memory_budget)
    schema = SchemaStore.default(args.store).resolve(str(args.schema))
    names = [f.name for f in schema.features]
    if args.label not in names:
        raise OptionError(
            f"not a feature of the schema; its features are: {', '.join(names)}",
            parameter="label",
            value=args.label,
        )
    built = candidates(
        configs, _factory(args.model), optimizer=args.optimizer, learning_rate=args.lr
    )
    live = ProgressBar(stream=sys.stderr).enabled  # a terminal, and no NO_COLOR/CI/dumb
    text = args.format == "text"
    display = ManyDisplay(
        sys.stderr if live or not text else sys.stdout, live=live, every=args.progress_every
    )
    quiet = not live and not text  # json on stdout: no plain progress lines there
    try:
        result = train_many(
            [c for c, _ in built],
            args.data,
            schema=schema,
            label=args.label,
            devices=args.devices,
            memory_budget=budget,
            epochs=args.epochs,
            batch_size=args.batch_size,
            validation=args.validation,
            stop_ratio=args.stop_ratio,
            min_epochs=args.min_epochs,
            dtype=args.dtype,
            exclude=[c for c in args.not_features.split(",") if c],
            reader=reader_options(args, schema.reader),
            progress=None if quiet else display.epoch,
            monitor=None if quiet else display,
        )
    finally:
        display.close()
    summary = save_many(
        result,
        args.output,
        configs=configs,
        factory_kwargs=[kwargs for _, kwargs in built],
        factory=args.model,
        label=args.label,
        schema_name=None if os.path.exists(args.schema) else str(args.schema).partition("@")[0],
        schema_version=schema.version,
        dtype=args.dtype,
        batch_size=args.batch_size,
        memory_budget=budget,
        epochs=args.epochs,
    )
    if not text:
        json.dump(summary, sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
        return 0
    best = summary["best"]
    busy = ", ".join(f"{d['busy_fraction']:.2f}" for d in summary["devices"])
    sys.stdout.write(
        f"trained {len(summary['models'])} models in {summary['makespan_s']:.1f}s "
        f"({summary['units']} shard units; device busy {busy}); best: {best['name']} "
        f"{json.dumps(best['hyper_parameters'], sort_keys=True)} (validation loss "
        f"{_number(best['validation'] if best['validation'] is not None else math.nan)}); "
        f"written to {args.output}\n"
    )
    return 0
