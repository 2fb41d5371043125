"""``datacheck serve``: the schema registry, validation and serving statistics over HTTP.

Only parses the options and starts :func:`datacheck.service.serve`; the service package (and
Starlette behind it) is imported when the command runs, never for ``datacheck --help``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from datacheck.cli._schema_arg import add_store_argument, store_from_args

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``serve`` command."""
    parser = subparsers.add_parser(
        "serve",
        help="run the validation service: schema registry, validation, serving statistics",
        description=(
            "Serve the schema store over HTTP: register and read schemas, validate JSON or "
            "Arrow rows, and keep serving statistics per time window. Binds 127.0.0.1 unless "
            "--host says otherwise. SIGTERM finishes the requests in flight, then stops."
        ),
    )
    add_store_argument(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free)")
    parser.add_argument(
        "--token-file",
        metavar="FILE",
        help="a file holding a bearer token; writes need it (Authorization: Bearer TOKEN)",
    )
    parser.add_argument(
        "--token-required-for-reads",
        action="store_true",
        help="reads need the token too (the /healthz and /readyz probes never do)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=64 * 1024 * 1024,
        metavar="N",
        help="largest request body (default 64 MiB; larger: 413)",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=1_000_000,
        metavar="N",
        help="most rows per validation request (default 1,000,000; more: 422)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="longest a request may take (default 30; longer: 503 with Retry-After)",
    )
    parser.add_argument(
        "--max-inflight",
        type=int,
        default=16,
        metavar="N",
        help="validations at once (default 16; more: 503 with Retry-After)",
    )
    parser.add_argument(
        "--window-seconds",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="length of a serving-statistics window (default 3600)",
    )
    parser.add_argument(
        "--compatibility",
        choices=("BACKWARD", "FORWARD", "FULL", "NONE"),
        default="BACKWARD",
        help="compatibility mode of schemas that have none set (default BACKWARD)",
    )
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="after SIGTERM, how long requests in flight may take to finish (default 30)",
    )
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning"))
    parser.set_defaults(run=run, plugin_option_dests=_add_plugin_options(parser))


def _add_plugin_options(parser: argparse.ArgumentParser) -> tuple[str, ...]:
    """Each plugin's ``serve`` options, in a group of its own; the ``dest`` of each.

    A plugin whose options cannot be added (its module fails, or it reuses a flag) is left
    out with a warning, as a plugin whose routes fail is left out of the service.
    """
    from datacheck.plugin import discover_plugins, load_reference

    dests: list[str] = []
    plugins, _ = discover_plugins()  # failures are reported once, by the command line
    for plugin in plugins:
        if not plugin.service_options:
            continue
        group = parser.add_argument_group(f"{plugin.name} plugin")
        before = len(group._group_actions)
        reference = ""
        try:
            for reference in plugin.service_options:
                load_reference(reference)(group)
        except Exception as exc:  # a broken plugin must not take the command down
            print(
                f"datacheck: warning: plugin {plugin.name!r}: serve options {reference} not "
                f"added: {' '.join(str(exc).split())}",
                file=sys.stderr,
            )
            continue
        dests.extend(action.dest for action in group._group_actions[before:])
    return tuple(dests)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT."""
    from datacheck.service import ServiceConfig, is_loopback, read_token, serve

    for flag, value in (
        ("--max-body-bytes", args.max_body_bytes),
        ("--max-rows", args.max_rows),
        ("--max-inflight", args.max_inflight),
        ("--window-seconds", args.window_seconds),
        ("--request-timeout", args.request_timeout),
    ):
        if value <= 0:
            print(f"datacheck: error: {flag} must be positive", file=sys.stderr)
            return 2
    if not is_loopback(args.host):
        print(
            f"datacheck: warning: --host {args.host} is not a loopback address: the service "
            "is reachable from other machines"
            + ("" if args.token_file else "; set --token-file so that writes need a token"),
            file=sys.stderr,
        )
    config = ServiceConfig(
        store=store_from_args(args).root,
        token=None if args.token_file is None else read_token(args.token_file),
        token_for_reads=args.token_required_for_reads,
        max_body_bytes=args.max_body_bytes,
        max_rows=args.max_rows,
        request_timeout=args.request_timeout,
        max_inflight=args.max_inflight,
        window_seconds=args.window_seconds,
        default_compatibility=args.compatibility,
        plugin_options={dest: getattr(args, dest) for dest in args.plugin_option_dests},
    )
    config.store.mkdir(parents=True, exist_ok=True)
    serve(
        config,
        host=args.host,
        port=args.port,
        drain_seconds=args.drain_seconds,
        log_level=args.log_level,
    )
    return 0
