"""A hyper-parameter grid for :func:`train_many`: read, checked, expanded, and the results saved.

A grid is a JSON or YAML document, or ``KEY=V1,V2`` options, in one of two shapes:

- a mapping of each hyper-parameter to its values, expanded to every combination
  (``{"lr": [0.01, 0.001], "optimizer": ["adam", "sgd"]}``: four models); a single value
  stands for a list of one;
- a list of mappings, one model each (``[{"lr": 0.01}, {"lr": 0.001, "width": 64}]``).

Known hyper-parameters: ``optimizer`` (``adam`` or ``sgd``), ``lr`` (or ``learning_rate``),
``momentum`` (SGD), ``weight_decay``, and the parameters of the model factory
(``make_model(width=64)``); anything else is refused before data is read or a worker starts.

:func:`save_many` writes each model as :func:`~datacheck_training.train` does (a folder with
``model.safetensors``, ``record.json`` and ``profile.json``, loadable by
:func:`~datacheck_training.load_model`; the record keeps the factory's arguments) and
``summary.json``: per model its hyper-parameters, loss and validation curves, wall time and
the fraction of it on a device; per device its busy fraction and cache figures; the best
model by validation loss.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from datacheck.errors import InputError, OptionError
from datacheck.io import write_json_atomic
from datacheck.stats import save_profile
from datacheck_training._many import Candidate, ManyRun
from datacheck_training._model import RECORD_FORMAT_VERSION, save_model

__all__ = ["SUMMARY_FILE", "TRAINING_KEYS", "candidates", "expand", "read_grid", "save_many"]

#: the run's summary in the output folder
SUMMARY_FILE = "summary.json"
#: the hyper-parameters of training itself (the model factory's parameters are the others)
TRAINING_KEYS = ("optimizer", "lr", "learning_rate", "momentum", "weight_decay")
_OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}


def _value(text: str) -> Any:
    """A value typed after ``KEY=``: a JSON number, boolean or null, else the text."""
    try:
        out = json.loads(text)
    except ValueError:
        return text
    return out if isinstance(out, int | float | bool) or out is None else text


def read_grid(
    path: str | os.PathLike[str] | None, params: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The grid's models: the file's (JSON, or YAML by its ``.yaml``/``.yml`` name) combined
    with every ``KEY=V1,V2`` in ``params`` (each model of the file with each combination).

    Raises:
        InputError: The file cannot be read or is not a grid.
        OptionError: A ``KEY=VALUES`` without ``=``, or a grid with no model.
    """
    configs: list[dict[str, Any]] = [{}]
    if path is not None:
        configs = expand(_load(Path(path)), path=path)
    axes: dict[str, list[Any]] = {}
    for item in params:
        key, sep, values = item.partition("=")
        if not sep or not key.strip() or not values:
            raise OptionError("write it as KEY=V1,V2,...", parameter="param", value=item)
        axes.setdefault(key.strip(), []).extend(_value(v.strip()) for v in values.split(","))
    if axes:
        configs = [{**c, **a} for c in configs for a in expand(axes)]
    if not configs or configs == [{}]:
        raise OptionError(
            "an empty grid: give a grid file or KEY=VALUES pairs", parameter="grid", value=path
        )
    return configs


def _load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the grid: {exc.strerror or exc}", path=path) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs
        except ImportError:  # pragma: no cover - PyYAML is optional (not in the extra)
            raise InputError(
                "reading YAML needs PyYAML; write the grid as JSON", path=path
            ) from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"not YAML: {' '.join(str(exc).split())}", path=path) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(f"not JSON: {exc}", path=path) from None


def expand(grid: Any, *, path: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Every model of ``grid``: a mapping of lists (their product) or a list of mappings.

    Raises:
        InputError: Neither shape (naming ``path`` when given).
    """
    if isinstance(grid, Mapping):
        keys = [str(k) for k in grid]
        values = [v if isinstance(v, list) else [v] for v in grid.values()]
        if any(not v for v in values):
            empty = next(k for k, v in zip(keys, values, strict=True) if not v)
            raise InputError(f"hyper-parameter {empty!r} has no values", path=path)
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]
    if isinstance(grid, list) and grid and all(isinstance(c, Mapping) for c in grid):
        return [{str(k): v for k, v in c.items()} for c in grid]
    raise InputError(
        "a grid is a mapping of hyper-parameters to lists of values, or a list of mappings "
        "(one per model)",
        path=path,
    )


def _factory_parameters(factory: Callable[..., Any]) -> tuple[set[str], bool]:
    """The factory's keyword parameters, and whether it takes ``**kwargs``."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return set(), True
    names = {
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    return names, any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())


def candidates(
    configs: Sequence[Mapping[str, Any]],
    factory: Callable[..., torch.nn.Module],
    *,
    optimizer: str = "adam",
    learning_rate: float = 1e-3,
) -> list[tuple[Candidate, dict[str, Any]]]:
    """A :class:`Candidate` per model of the grid, with the factory's arguments it was built
    with; ``optimizer`` and ``learning_rate`` where the grid does not set them.

    Raises:
        OptionError: An unknown hyper-parameter (the known ones listed), or a bad value.
    """
    accepted, any_keyword = _factory_parameters(factory)
    out: list[tuple[Candidate, dict[str, Any]]] = []
    for config in configs:
        model_kwargs = {k: v for k, v in config.items() if k not in TRAINING_KEYS}
        unknown = sorted(k for k in model_kwargs if k not in accepted)
        if unknown and not any_keyword:
            known = ", ".join([*TRAINING_KEYS, *sorted(accepted)])
            raise OptionError(
                f"unknown hyper-parameter; known: {known} (the last from the model factory)",
                parameter="grid",
                value=unknown[0],
            )
        name = str(config.get("optimizer", optimizer))
        kind = _OPTIMIZERS.get(name)
        if kind is None:
            raise OptionError("adam or sgd", parameter="optimizer", value=name)
        lr = config.get("lr", config.get("learning_rate", learning_rate))
        if isinstance(lr, bool) or not isinstance(lr, int | float) or not lr > 0:
            raise OptionError("a positive number", parameter="learning_rate", value=lr)
        extra: dict[str, Any] = {}
        for key in ("momentum", "weight_decay"):
            if key in config:
                value = config[key]
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise OptionError("a number >= 0", parameter=key, value=value)
                extra[key] = float(value)
        if "momentum" in extra and kind is not torch.optim.SGD:
            raise OptionError("momentum is SGD's; Adam has none", parameter="momentum", value=extra)
        model = factory(**model_kwargs)
        if not isinstance(model, torch.nn.Module):
            raise OptionError(
                f"the factory returned a {type(model).__name__}, not a torch module",
                parameter="model",
                value=type(model).__name__,
            )
        make = functools.partial(kind, lr=float(lr), **extra)
        out.append((Candidate(model=model, optimizer=make, learning_rate=float(lr)), model_kwargs))
    return out


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _curve(values: Sequence[float]) -> list[float | None]:
    return [_finite(float(v)) for v in values]


def save_many(
    run: ManyRun,
    output: str | os.PathLike[str],
    *,
    configs: Sequence[Mapping[str, Any]],
    factory_kwargs: Sequence[Mapping[str, Any]],
    factory: str | None,
    label: str,
    schema_name: str | None,
    schema_version: int | None,
    dtype: str,
    batch_size: int,
    memory_budget: int,
    epochs: int,
) -> dict[str, Any]:
    """Write every model's folder and ``summary.json`` under ``output``; return the summary."""
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    assert run.encoder is not None and run.profile is not None
    save_profile(run.profile, folder / "profile.json")
    models = []
    for i, result in enumerate(run.results):
        record: dict[str, Any] = {
            "format_version": RECORD_FORMAT_VERSION,
            "schema": {"name": schema_name, "version": schema_version},
            "profile": "profile.json",
            "encoder": run.encoder.to_dict(),
            "label": label,
            "factory": factory,
            "factory_kwargs": dict(factory_kwargs[i]),
            "hyper_parameters": dict(configs[i]),
            "dtype": dtype,
            "strategy": "spill",
            "devices": ["cpu"] * len(run.busy),
            "batch_size": batch_size,
            "rows": dict(run.rows),
            "stage_sizes": list(result.stage_sizes),
            "spill": {"memory_budget": memory_budget, "prefetch": False},
            "losses": _curve(result.losses),
            "validation": _curve(result.validation),
            "accuracy": _curve(result.accuracy),
            "epochs_done": len(result.losses),
            "stopped": result.stopped,
            "seconds": round(result.wall_s, 3),
        }
        where = folder / result.name
        save_model(where, result.module.state_dict(), record)
        save_profile(run.profile, where / "profile.json")
        models.append(
            {
                "name": result.name,
                "folder": result.name,
                "hyper_parameters": dict(configs[i]),
                "losses": record["losses"],
                "validation": record["validation"],
                "accuracy": record["accuracy"],
                "stopped": result.stopped,
                "units": result.units,
                "wall_s": round(result.wall_s, 3),
                "busy_s": round(result.busy_s, 3),
                "busy_fraction": round(result.busy_s / result.wall_s, 4) if result.wall_s else None,
                "stage_sizes": list(result.stage_sizes),
            }
        )
    best = run.results[run.best]
    summary: dict[str, Any] = {
        "format_version": 1,
        "best": {
            "name": best.name,
            "validation": _finite(best.validation[-1]) if best.validation else None,
            "accuracy": _finite(best.accuracy[-1]) if best.accuracy else None,
            "hyper_parameters": dict(configs[run.best]),
        },
        "makespan_s": round(run.makespan_s, 3),
        "units": run.units,
        "memory_budget": memory_budget,
        "epochs": epochs,
        "batch_size": batch_size,
        "rows": dict(run.rows),
        "devices": [
            {
                "busy_fraction": round(b, 4),
                "cache_hits": run.cache_hits[d] if run.cache_hits else None,
                "cache_misses": run.cache_misses[d] if run.cache_misses else None,
                "cache_peak_bytes": run.cache_peak[d] if run.cache_peak else None,
            }
            for d, b in enumerate(run.busy)
        ],
        "models": models,
    }
    write_json_atomic(folder / SUMMARY_FILE, summary)
    return summary
