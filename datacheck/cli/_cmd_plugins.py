"""``datacheck plugins``: the installed plugins, what each adds, and those that failed to load.

Exit 0 when every registered plugin loaded, 1 when one failed (the reason is printed).
"""

from __future__ import annotations

import argparse
from typing import Any

from datacheck.cli._term import format_table
from datacheck.plugin import PLUGIN_API_VERSION, discover_plugins

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``plugins`` command."""
    parser = subparsers.add_parser(
        "plugins",
        help="list installed plugins: their commands, Beam stages and service routes",
        description=(
            "List the plugins registered in the 'datacheck.plugins' entry-point group, what "
            "each adds, and any that failed to load, with the reason. Exit 1 when one failed."
        ),
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the plugin table; 1 when a plugin failed to load."""
    plugins, failures = discover_plugins()
    rows = [
        (
            p.name,
            ", ".join(c.name for c in p.commands) or "-",
            ", ".join(sorted(p.beam_stages)) or "-",
            str(len(p.service_routes)),
        )
        for p in plugins
    ]
    rows += [(f.name, "(failed)", "-", "-") for f in failures]
    print(
        f"plugin API {PLUGIN_API_VERSION}; {len(plugins)} plugin(s) loaded, {len(failures)} failed"
    )
    if rows:
        print(format_table(("plugin", "commands", "beam stages", "routes"), rows, width=80))
    for f in failures:
        print(f"{f.name} ({f.reference}): {f.reason}")
    return 1 if failures else 0
