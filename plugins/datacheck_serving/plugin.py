"""The serving plugin's registration: light, so listing plugins imports nothing heavy.

``datacheck --help`` imports this module to list ``datacheck occlude``; torch, the engine and
the Beam model handler are named by ``"module:attribute"`` references and imported on use.
"""

from __future__ import annotations

from datacheck.plugin import PLUGIN_API_VERSION, Command, Plugin

__all__ = ["PLUGIN"]

#: what the serving plugin adds to datacheck
PLUGIN = Plugin(
    name="serving",
    api_version=PLUGIN_API_VERSION,
    commands=(
        Command(
            name="occlude",
            help="occlusion heat map of an image by incremental CNN inference (Krypton), as PNG",
            register="datacheck_serving._cli:register",
        ),
    ),
    beam_stages={
        "RunIncrementalInference": "datacheck_serving.beam:RunIncrementalInference",
    },
    # Clipper-style prediction behind schema validation (cache, AIMD batching, Exp3.S)
    service_routes=("datacheck_serving._predict_routes:routes",),
    # their OpenAPI description, merged into the service's /openapi.json
    service_openapi=("datacheck_serving._predict_openapi:OPENAPI",),
    # their options of `datacheck serve`: --slo-ms, --max-batch, --max-wait-ms, ...
    service_options=("datacheck_serving._serve_options:register",),
)
