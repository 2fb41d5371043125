"""The service's settings: where the store lives, the limits of a request, the windows."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from datacheck.errors import OptionError
from datacheck.schema import CompatibilityMode

__all__ = ["COMPATIBILITY_MODES", "ServiceConfig", "read_token"]

#: the registry's compatibility modes: the schema-registry ones, and NONE (no check)
COMPATIBILITY_MODES = (*(str(m) for m in CompatibilityMode), "NONE")


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceConfig:
    """How a ``datacheck serve`` instance behaves; every limit is enforced per request."""

    #: the schema store's root; the service keeps its own files under ``<store>/.service``
    store: Path
    #: the bearer token writes need (and reads too, with ``token_for_reads``); None: no token
    token: str | None = None
    #: whether reads need the token too (``/healthz`` and ``/readyz`` never do)
    token_for_reads: bool = False
    #: the largest request body accepted, in bytes (413 beyond)
    max_body_bytes: int = 64 * 1024 * 1024
    #: the most rows one validation request may hold (422 beyond)
    max_rows: int = 1_000_000
    #: seconds one request may take before it is answered 503 with Retry-After
    request_timeout: float = 30.0
    #: validations running at once, abandoned timed-out ones included (503 beyond)
    max_inflight: int = 16
    #: the length of a serving-statistics window, in seconds (tumbling windows)
    window_seconds: int = 3600
    #: how often the serving statistics are written to disk, in seconds (at most 1)
    flush_seconds: float = 0.5
    #: batches waiting for the statistics worker; beyond, rows are counted as dropped
    queue_batches: int = 1024
    #: profile the serving statistics in a process of their own (off the service's GIL),
    #: started with multiprocessing's "spawn" (a script that starts the service itself must
    #: do so under ``if __name__ == "__main__":``); False: in the worker thread (tests, where
    #: a process per service costs its start)
    profile_in_process: bool = True
    #: the compatibility mode of a schema that has none set
    default_compatibility: str = "BACKWARD"
    #: whether plugins' routes are added
    plugins: bool = True
    #: the values of the plugins' own ``datacheck serve`` options, by ``dest``
    #: (:attr:`datacheck.plugin.Plugin.service_options`); their routes read them here
    plugin_options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "store", Path(os.fspath(self.store)))
        object.__setattr__(self, "plugin_options", MappingProxyType(dict(self.plugin_options)))


def read_token(path: str | os.PathLike[str]) -> str:
    """The bearer token in the file at ``path`` (its first line, surrounding spaces removed).

    Raises:
        OptionError: the file cannot be read, or holds no token.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OptionError(
            f"{os.fspath(path)}: cannot read the token file: {exc}", path=path
        ) from None
    token = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not token or not token.isprintable():
        raise OptionError(
            f"{os.fspath(path)}: the token file holds no token; write one line of printable "
            "characters",
            path=path,
        )
    return token
