"""The serving plugin's options of ``datacheck serve``: the prediction routes' latency
objective, batching and cache (light: ``datacheck serve --help`` imports this module).

Their values reach :func:`datacheck_serving._predict_routes.model_server` through the
service's ``ServiceConfig.plugin_options``, by their ``dest`` names (``--slo-ms``: ``slo_ms``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["model_server_options", "register"]


def _number(kind: Callable[[str], float], *, least: float, strict: bool) -> Any:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not (value > least if strict else value >= least) or value != value:
            raise argparse.ArgumentTypeError(
                f"{text} is {'not over' if strict else 'under'} {least:g}"
            )
        return value

    return parse


#: each option: (flag, parser, default, metavar, help, the ModelServer keyword it sets, the
#: scale from the flag's unit to the keyword's)
_FLAGS: tuple[tuple[str, Any, float, str, str, str, float], ...] = (
    (
        "--slo-ms",
        _number(float, least=0, strict=True),
        100.0,
        "MS",
        "end-to-end latency objective of a prediction request; adaptive batching (AIMD) "
        "gives each batch half of it (default 100)",
        "slo",
        1e-3,
    ),
    (
        "--max-batch",
        _number(int, least=1, strict=False),
        4096,
        "N",
        "largest batch sent to a model, whatever the objective allows (default 4096)",
        "max_batch",
        1,
    ),
    (
        "--max-wait-ms",
        _number(float, least=0, strict=False),
        0.0,
        "MS",
        "how long a partial batch waits for more rows (default 0: sent at once)",
        "max_wait",
        1e-3,
    ),
    (
        "--prediction-cache",
        _number(int, least=1, strict=False),
        100_000,
        "N",
        "predictions cached, over all models (CLOCK eviction; default 100,000)",
        "cache_capacity",
        1,
    ),
    (
        "--prediction-timeout",
        _number(float, least=0, strict=True),
        5.0,
        "SECONDS",
        "longest a prediction request waits for its model (default 5; longer: 503)",
        "timeout",
        1,
    ),
)


def register(group: Any) -> None:
    """Add the prediction routes' options to ``datacheck serve``'s argument ``group``."""
    for flag, parse, default, metavar, text, _, _ in _FLAGS:
        group.add_argument(flag, type=parse, default=default, metavar=metavar, help=text)


def model_server_options(plugin_options: Mapping[str, object]) -> dict[str, Any]:
    """The :class:`ModelServer` keywords of the options given to ``datacheck serve`` (those
    not given, as when the service is built in Python, keep ModelServer's defaults)."""
    found: dict[str, Any] = {}
    for flag, _, _, _, _, keyword, scale in _FLAGS:
        value = plugin_options.get(flag.lstrip("-").replace("-", "_"))  # argparse's dest
        if isinstance(value, int | float) and not isinstance(value, bool):
            found[keyword] = value * scale if scale != 1 else value
    return found
