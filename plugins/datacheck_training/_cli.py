"""``datacheck train``: parse, call the training use case, print the epochs and the record.

``datacheck train DATA --schema FILE|NAME[@VERSION] --model MODULE:FACTORY --label COL
[--devices N] [--strategy single|pipeline|data] [--micro-batches M] [--schedule gpipe|1f1b]
[--checkpoint never|except_last|always] [--balance time|memory] [--epochs E]
[--strategy spill --memory-budget SIZE [--no-prefetch]] -o DIR``.
Exit 0 when the model was trained; 2 for a bad request (a label not in the schema, a model
that cannot be split, a worker that raised), one line on stderr, every worker stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from datacheck.cli import ProgressBar, add_reader_arguments, reader_options
from datacheck.errors import OptionError
from datacheck.plugin import load_reference
from datacheck.schema import SchemaStore
from datacheck_training._partition import BALANCES
from datacheck_training._stage import CHECKPOINT_MODES
from datacheck_training._train import OPTIMIZERS, SCHEDULES, STRATEGIES, Progress, train

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``train`` command."""
    parser = subparsers.add_parser(
        "train",
        help="train a model on validated rows: one device, a pipeline, or data parallel",
        description=(
            "Validate DATA against the schema, encode the valid rows (the encoder is saved "
            "with the model), and train the model the factory builds on them: on one device, "
            "as a pipeline of stages over several processes, or data parallel. Writes the "
            "model folder after every epoch: weights (safetensors) and a JSON record."
        ),
    )
    parser.add_argument("data", metavar="DATA", help="the data: a file, folder or glob")
    parser.add_argument(
        "--schema",
        required=True,
        metavar="FILE|NAME[@VERSION]",
        help="the schema rows must pass: a file, or a name in the store",
    )
    parser.add_argument(
        "--store", metavar="DIR", help="the schema store (default: as datacheck schema)"
    )
    parser.add_argument(
        "--model",
        required=True,
        metavar="MODULE:FACTORY",
        help="a function that returns the network (the current directory is importable)",
    )
    parser.add_argument("--label", required=True, metavar="COL", help="the label column")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="the model folder")
    parser.add_argument("--devices", type=int, metavar="N", help="processes (GPUs where present)")
    parser.add_argument(
        "--strategy", choices=STRATEGIES, help="default: single for one device, else pipeline"
    )
    parser.add_argument("--micro-batches", type=int, default=1, metavar="M", help="per mini-batch")
    parser.add_argument("--schedule", choices=SCHEDULES, default="gpipe", help="pipeline schedule")
    parser.add_argument(
        "--checkpoint", choices=CHECKPOINT_MODES, default="never", help="activation checkpointing"
    )
    parser.add_argument(
        "--balance", choices=BALANCES, help="balance stages by measured time or memory"
    )
    parser.add_argument(
        "--memory-budget",
        metavar="SIZE",
        help="spill strategy: the device memory the model trains in (64MiB, 2GiB)",
    )
    parser.add_argument(
        "--no-prefetch",
        action="store_true",
        help="spill strategy: do not read the next shard while one computes",
    )
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    parser.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64, metavar="N")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument(
        "--not-features", default="", metavar="COL,...", help="columns not to use as features"
    )
    parser.add_argument("--resume", metavar="DIR", help="continue from a model folder")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="json: the record alone on stdout",
    )
    add_reader_arguments(parser)
    parser.set_defaults(run=run)


def _factory(reference: str) -> Any:
    here = os.getcwd()
    if here not in sys.path:
        sys.path.insert(0, here)
    factory = load_reference(reference)
    if not callable(factory):
        raise OptionError(
            "names no function that builds a model", parameter="model", value=reference
        )
    return factory()


class _Display:
    """A progress bar per epoch on a terminal; a line per epoch in text output."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.bar: ProgressBar | None = None
        self.started = time.monotonic()
        self.last_loss: float | None = None

    def __call__(self, event: Progress) -> None:
        if event.kind == "step":
            if self.bar is None:
                loss = f" loss {self.last_loss:.4f}" if self.last_loss is not None else ""
                self.bar = ProgressBar(label=f"training{loss}").__enter__()
            self.bar.update(event.rows)
            return
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
        self.last_loss = event.loss
        now = time.monotonic()
        rate = event.rows / max(now - self.started, 1e-9)  # epoch end to epoch end
        self.started = now
        if self.args.format == "text":
            sys.stdout.write(
                f"epoch {event.epoch + 1}: loss {event.loss:.4f} ({rate:,.0f} rows/s)\n"
            )
            sys.stdout.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def run(args: argparse.Namespace) -> int:
    """Train; print each epoch's loss and where the model went. Returns the exit code (0)."""
    schema = SchemaStore.default(args.store).resolve(str(args.schema))
    model = _factory(args.model)
    devices = args.devices if args.devices is not None else 1
    strategy = args.strategy or ("single" if devices == 1 else "pipeline")
    display = _Display(args)
    try:
        result = train(
            model,
            args.data,
            schema=schema,
            label=args.label,
            devices=devices,
            strategy=strategy,
            micro_batches=args.micro_batches,
            schedule=args.schedule,
            checkpoint=args.checkpoint,
            balance=args.balance,
            optimizer=args.optimizer,
            learning_rate=args.lr,
            epochs=args.epochs,
            batch_size=args.batch_size,
            dtype=args.dtype,
            exclude=[c for c in args.not_features.split(",") if c],
            output=args.output,
            resume=args.resume,
            factory=args.model,
            schema_name=None if os.path.exists(args.schema) else str(args.schema).partition("@")[0],
            reader=reader_options(args, schema.reader),
            progress=display,
            memory_budget=args.memory_budget,
            prefetch=not args.no_prefetch,
        )
    finally:
        display.close()
    if args.format == "json":
        json.dump(result.record, sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
        return 0
    rows = result.record["rows"]
    sys.stdout.write(
        f"trained on {rows['used']} rows ({rows['quarantined']} quarantined, "
        f"{rows['unlabeled']} without a label); model written to {args.output}\n"
    )
    return 0
