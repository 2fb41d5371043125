"""The labeling plugin's registration: light, so listing plugins imports nothing heavy.

``datacheck --help`` imports this module to list ``datacheck label``; the command's module,
numpy-heavy model code and Beam stages are named by ``"module:attribute"`` references and
imported only when used.
"""

from __future__ import annotations

from datacheck.plugin import PLUGIN_API_VERSION, Command, Plugin

__all__ = ["PLUGIN"]

#: what the labeling plugin adds to datacheck
PLUGIN = Plugin(
    name="labeling",
    api_version=PLUGIN_API_VERSION,
    commands=(
        Command(
            name="label",
            help="weak supervision: apply labeling functions, fit a label model, write labels",
            register="datacheck_labeling._cli:register",
        ),
    ),
    beam_stages={
        "ApplyLabelModel": "datacheck_labeling.beam:ApplyLabelModel",
        "ApplyLabelingFunctions": "datacheck_labeling.beam:ApplyLabelingFunctions",
        "FitLabelModel": "datacheck_labeling.beam:FitLabelModel",
    },
)
