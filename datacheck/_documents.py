"""The JSON Schemas of the documents datacheck writes (``schemas/*.json``) and checking them.

One loader for the statistics, schema and report documents, so that all three find their JSON
Schema the same way and point at a problem the same way.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

__all__ = ["document_problem", "json_pointer"]


@cache
def _validator(filename: str) -> jsonschema.protocols.Validator:
    here = Path(__file__).resolve().parent
    # Installed wheels carry the schemas inside the package; a source checkout has them at the
    # repository root.
    for folder in (here / "_schemas", here.parent / "schemas"):
        path = folder / filename
        if path.is_file():
            document = json.loads(path.read_text(encoding="utf-8"))
            cls = jsonschema.validators.validator_for(document)
            cls.check_schema(document)
            validator: jsonschema.protocols.Validator = cls(document)
            return validator
    raise FileNotFoundError(f"{filename} is missing from the datacheck installation")


def json_pointer(parts: Any) -> str:
    """The JSON pointer (RFC 6901) of a path of keys and indices; ``/`` for the root."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts) or "/"


def document_problem(document: Any, filename: str) -> tuple[str, str] | None:
    """The most relevant problem of ``document`` under ``schemas/<filename>``, or None.

    Returns:
        ``(json_pointer, message)``. For an unknown key, the pointer names the key itself:
        that is where the typo is.
    """
    error = jsonschema.exceptions.best_match(_validator(filename).iter_errors(document))
    if error is None:
        return None
    parts = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        parts += sorted(k for k in error.instance if k not in known)[:1]
    return json_pointer(parts), error.message


def format_version_problem(document: dict[str, Any], known: int) -> str | None:
    """Why ``document["format_version"]`` cannot be read by a release that knows ``known``.

    Returns:
        None when it is an integer no newer than ``known``; else the problem, to be raised with
        the caller's error type, its source and its own fix.
    """
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        return "/format_version: missing or not an integer"
    if version > known:
        return (
            f"/format_version: {version} is newer than this release knows ({known}); "
            "upgrade datacheck to read it"
        )
    return None
