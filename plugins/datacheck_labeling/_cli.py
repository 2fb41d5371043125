"""``datacheck label``: parse, call the labeling use case, print the LF summary.

``datacheck label DATA --lfs module:LIST --cardinality K [--gold COL] [--model label|majority]
[-o labeled.parquet] [--summary] [--model-out FILE | --model-in FILE] [--runner R -- OPTS]``.
Exit 0 when the labels were made; 2 for a bad request (an LF reference that does not import,
an LF that is not callable, a gold label outside the classes), one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from datacheck.cli import add_runner_arguments, pipeline_options
from datacheck.errors import OptionError
from datacheck.plugin import load_reference
from datacheck_labeling._label import MODELS, LabelingRun, label_dataset, write_labeled
from datacheck_labeling._lf import LabelingFunction, labeling_function
from datacheck_labeling._model import LabelModel

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``label`` command."""
    parser = subparsers.add_parser(
        "label",
        help="weak supervision: apply labeling functions, fit a label model, write labels",
        description=(
            "Apply labeling functions to DATA, learn how accurate each one is from their "
            "agreements (a label model), and write the data with one vote column per LF, "
            "'label' and 'label_proba'. Rows no LF voted on get no label."
        ),
    )
    parser.add_argument("data", metavar="DATA", help="the data: a file, folder or glob")
    parser.add_argument(
        "--lfs",
        required=True,
        metavar="MODULE:NAME",
        help="the labeling functions: a list of them in an importable module",
    )
    parser.add_argument("--cardinality", required=True, type=int, metavar="K", help="classes")
    parser.add_argument("--gold", metavar="COL", help="a column of gold labels for some rows")
    parser.add_argument(
        "--model",
        choices=MODELS,
        default="label",
        help="label: fit a label model (default); majority: majority vote",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the labeled data (Parquet)")
    parser.add_argument(
        "--summary", action="store_true", help="print the LF summary table (coverage, ...)"
    )
    parser.add_argument("--model-out", metavar="FILE", help="save the fitted label model (JSON)")
    parser.add_argument(
        "--model-in", metavar="FILE", help="apply a saved label model instead of fitting one"
    )
    parser.add_argument(
        "--class-balance",
        metavar="P0,P1,...",
        help="P(class), comma-separated; by default from --gold rows, else uniform",
    )
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="LF=ACC",
        help="fix a trusted LF's accuracy (repeatable)",
    )
    parser.add_argument("--workers", type=int, metavar="N", help="processes for row-wise LFs")
    parser.add_argument(
        "--strict", action="store_true", help="an LF that raises is an error, not an abstain"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default) or json: the summary document alone on stdout",
    )
    add_runner_arguments(parser)
    parser.set_defaults(run=run)


def load_lfs(reference: str) -> list[LabelingFunction]:
    """The LFs a ``module:NAME`` reference names (the current directory is importable).

    Plain functions are taken as row-wise LFs named after themselves.

    Raises:
        PluginError: The module or name cannot be imported.
        OptionError: The value is not a list of callables.
    """
    here = os.getcwd()
    if here not in sys.path:
        sys.path.insert(0, here)
    value = load_reference(reference)
    items = [value] if callable(value) else value
    if not isinstance(items, list | tuple) or not items:
        raise OptionError(
            "names neither a labeling function nor a non-empty list of them",
            parameter="lfs",
            value=reference,
        )
    out = []
    for position, item in enumerate(items):
        if isinstance(item, LabelingFunction):
            out.append(item)
        elif callable(item):
            out.append(labeling_function(item))
        else:
            raise OptionError(
                f"item {position} ({item!r}) is not callable; list labeling functions",
                parameter="lfs",
                value=reference,
            )
    return out


def _class_balance(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise OptionError(
            "comma-separated probabilities, e.g. 0.3,0.7", parameter="class_balance", value=text
        ) from None


def _trust(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            out[name] = float(value) if sep else float("nan")
        except ValueError:
            raise OptionError(
                "write LF=ACCURACY, e.g. gold_db=0.95", parameter="trust", value=item
            ) from None
        if not sep:
            raise OptionError("write LF=ACCURACY, e.g. gold_db=0.95", parameter="trust", value=item)
    return out


def run(args: argparse.Namespace) -> int:
    """Label ``args.data``; print and write. Returns the exit code (0)."""
    if args.model_in and args.model_out:
        raise OptionError(
            "--model-in applies a saved model; --model-out saves a fitted one: give one"
        )
    lfs = load_lfs(args.lfs)
    model: str | LabelModel = args.model
    if args.model_in:
        model = args.model_in
    options: dict[str, Any] = {
        "cardinality": args.cardinality,
        "gold": args.gold,
        "model": model,
        "strict": args.strict,
        "class_balance": _class_balance(args.class_balance),
        "trust": _trust(args.trust),
    }
    if args.runner is not None:
        from datacheck.beam import file_paths
        from datacheck_labeling._label import label_dataset_on_beam

        result = label_dataset_on_beam(
            file_paths(args.data, "data"),
            lfs,
            pipeline_options(args),
            output=args.output,
            **options,
        )
    else:
        result = label_dataset(args.data, lfs, workers=args.workers, **options)
        if args.output:
            write_labeled(args.data, result, args.output)
    if args.model_out:
        if not isinstance(result.labeler, LabelModel):
            raise OptionError("--model-out saves a label model; majority vote has nothing to save")
        result.labeler.save(args.model_out)
    _print(args, result)
    return 0


def _print(args: argparse.Namespace, result: LabelingRun) -> None:
    if args.format == "json":
        document = result.summary.to_dict()
        document["labeled_rows"] = result.labeled_rows
        json.dump(document, sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
        return
    if args.summary:
        sys.stdout.write(result.summary.to_text() + "\n")
    share = result.labeled_rows / result.num_rows if result.num_rows else 0.0
    kind = "label model" if isinstance(result.labeler, LabelModel) else "majority vote"
    sys.stdout.write(
        f"{result.labeled_rows} of {result.num_rows} rows labeled ({share:.1%}) by the {kind}; "
        f"{result.num_rows - result.labeled_rows} without a label (no LF voted, or a tie)\n"
    )
    groups = result.summary.dependent_groups
    if groups and not args.summary:
        for group in groups:
            sys.stdout.write(f"dependent LFs (modelled as one source): {', '.join(group)}\n")
    if args.output:
        sys.stdout.write(f"labeled data written to {args.output}\n")
    if args.model_out:
        sys.stdout.write(f"label model written to {args.model_out}\n")
