"""``datacheck occlude``: an occlusion heat map of an image, by incremental inference, as PNG.

``datacheck occlude IMAGE --model MODULE:FACTORY [--weights FILE.safetensors] [--size H W]
[--patch 16] [--stride 8] [--target K] [--score probability|logit] [--tau T]
[--coarse-stride S] [--drill-fraction F] -o heat.png [--format text|json]``. The factory
is called with no arguments and returns the CNN; the image is read as RGB floats in [0, 1]
(the model normalizes). Exit 0 when the map was written; 2 for a bad request (an unreadable
image, a factory that does not import, a patch larger than the image, a layer the engine
cannot run), one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from datacheck.errors import OptionError
from datacheck.plugin import load_reference
from datacheck_serving._heatmap import save_heatmap
from datacheck_serving._images import load_image
from datacheck_serving._occlusion import occlusion_map

__all__ = ["load_model", "register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``occlude`` command."""
    parser = subparsers.add_parser(
        "occlude",
        help="occlusion heat map of an image by incremental CNN inference (Krypton), as PNG",
        description=(
            "Slide a grey patch over IMAGE, score the target class at every position by "
            "incremental inference (only the region each patch reaches is recomputed), and "
            "write the heat map over the image as PNG: red where occluding lowers the score."
        ),
    )
    parser.add_argument("image", metavar="IMAGE", help="the image: any file pillow reads")
    parser.add_argument(
        "--model",
        required=True,
        metavar="MODULE:FACTORY",
        help="a function returning the CNN (in an importable module; called with no arguments)",
    )
    parser.add_argument("--weights", metavar="FILE", help="a safetensors state dict to load")
    parser.add_argument("--size", nargs=2, type=int, metavar=("H", "W"), help="resize first")
    parser.add_argument("--patch", type=int, default=16, help="the patch's side (16)")
    parser.add_argument("--stride", type=int, default=8, help="pixels between positions (8)")
    parser.add_argument("--target", type=int, help="the class scored (default: predicted)")
    parser.add_argument(
        "--score",
        choices=("probability", "logit"),
        default="probability",
        help="score the softmax probability (default) or the raw output (for confident models)",
    )
    parser.add_argument("--tau", type=float, help="approximate: projective-field threshold")
    parser.add_argument("--coarse-stride", type=int, help="approximate: drill-down from this")
    parser.add_argument(
        "--drill-fraction", type=float, default=0.25, help="share of positions drilled (0.25)"
    )
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the PNG")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def load_model(reference: str, weights: str | None = None) -> Any:
    """The CNN a ``module:factory`` reference builds, with ``weights`` loaded; eval mode.

    Raises:
        PluginError: The reference does not import.
        OptionError: The factory does not return a torch module, or the weights do not fit.
    """
    from torch import nn

    here = os.getcwd()
    if here not in sys.path:
        sys.path.insert(0, here)
    factory = load_reference(reference)
    model = factory() if callable(factory) and not isinstance(factory, nn.Module) else factory
    if not isinstance(model, nn.Module):
        raise OptionError(
            f"gives a {type(model).__name__}, not a torch module",
            parameter="model",
            value=reference,
        )
    if weights is not None:
        from safetensors.torch import load_file

        try:
            model.load_state_dict(load_file(weights))
        except (RuntimeError, OSError) as exc:
            raise OptionError(
                f"cannot load into the model: {str(exc).splitlines()[0]}",
                parameter="weights",
                value=weights,
            ) from exc
    return model.eval()


def run(args: argparse.Namespace) -> int:
    """Write the heat map; print what was done. Returns the exit code (0)."""
    image = load_image(args.image, None if args.size is None else tuple(args.size))
    model = load_model(args.model, args.weights)
    result = occlusion_map(
        model,
        image,
        args.patch,
        args.stride,
        target=args.target,
        tau=args.tau,
        probability=args.score == "probability",
        coarse_stride=args.coarse_stride,
        drill_fraction=args.drill_fraction,
    )
    save_heatmap(result, image.numpy(), args.output)
    worst = divmod(int(result.heat.argmax()), len(result.cols))
    if args.format == "json":
        document = {
            "image": os.fspath(args.image),
            "output": os.fspath(args.output),
            "target": result.target,
            "base_score": result.base_score,
            "rows": list(result.rows),
            "cols": list(result.cols),
            "scores": result.scores.tolist(),
            "macs": {"done": result.macs.done, "full": result.macs.full},
        }
        json.dump(document, sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
        return 0
    sys.stdout.write(
        f"class {result.target}: score {result.base_score:.4f}; {result.scores.size} patch "
        f"positions; occluding ({result.rows[worst[0]]}, {result.cols[worst[1]]}) lowers it "
        f"most, to {result.scores[worst]:.4f}; {result.macs.ratio:.2f}x fewer "
        f"multiply-accumulates than full inference; heat map written to {args.output}\n"
    )
    return 0
