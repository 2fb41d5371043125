"""The training plugin's registration: light, so listing plugins imports neither torch nor numpy.

``datacheck --help`` imports this module to list ``datacheck train``; the command's module and
the Beam stage are named by ``"module:attribute"`` references and imported only when used.
"""

from __future__ import annotations

from datacheck.plugin import PLUGIN_API_VERSION, Command, Plugin

__all__ = ["PLUGIN"]

#: what the training plugin adds to datacheck
PLUGIN = Plugin(
    name="training",
    api_version=PLUGIN_API_VERSION,
    commands=(
        Command(
            name="train",
            help="train a model on validated rows: one device, a pipeline, or data parallel",
            register="datacheck_training._cli:register",
        ),
        Command(
            name="train-many",
            help="train a grid of models at once (model selection), spilled over a few devices",
            register="datacheck_training._cli_many:register",
        ),
    ),
    beam_stages={"Train": "datacheck_training.beam:Train"},
)
