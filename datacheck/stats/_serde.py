"""The statistics document on disk: checking it, reading it, writing it atomically.

Loading runs JSON parsing (NaN and Infinity literals refused), the format_version gate, then
``schemas/statistics.v1.json``. Every failure is a :class:`ProfileFormatError` naming the file
and the JSON pointer of the problem.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from datacheck._documents import document_problem, format_version_problem
from datacheck.errors import InputError, InputNotFoundError, ProfileFormatError
from datacheck.io import is_remote, read_bytes, write_bytes_atomic
from datacheck.stats._profile import FORMAT_VERSION, DatasetProfile

__all__ = ["check_document", "load_profile", "profile_to_json", "save_profile"]


def check_document(document: Any, *, source: str = "<profile>") -> None:
    """Check a parsed statistics document against the format gate and the JSON Schema.

    Raises:
        ProfileFormatError: naming ``source`` and the JSON pointer of the first problem.
    """
    if not isinstance(document, dict):
        raise ProfileFormatError(
            f"{source}: /: a profile document is a JSON object, not {type(document).__name__}"
        )
    unreadable = format_version_problem(document, FORMAT_VERSION)
    if unreadable is not None:
        hint = "" if "newer" in unreadable else "; regenerate the profile with `datacheck stats`"
        raise ProfileFormatError(f"{source}: {unreadable}{hint}")
    problem = document_problem(document, "statistics.v1.json")
    if problem is not None:
        pointer, message = problem
        raise ProfileFormatError(
            f"{source}: {pointer}: {message}; "
            "see schemas/statistics.v1.json for the allowed keys and values"
        )


def profile_to_json(profile: DatasetProfile) -> str:
    """The profile as JSON text (never NaN or Infinity literals)."""
    return json.dumps(profile.to_dict(), allow_nan=False, indent=1) + "\n"


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's parser accepts them unless told otherwise.
    raise ValueError(f"{name} is not a JSON number")


def load_profile(path: str | os.PathLike[str]) -> DatasetProfile:
    """Read and check the profile document at ``path``.

    Raises:
        InputNotFoundError: there is no file at ``path``.
        InputError: the file cannot be read.
        ProfileFormatError: the document is malformed or invalid; the message names the file
            and the JSON pointer of the problem.
    """
    p = path if is_remote(path) else Path(path)
    try:
        data = read_bytes(p)
    except FileNotFoundError:
        raise InputNotFoundError(f"{p}: no such profile file; check the path") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read the profile file: {exc.strerror}") from None
    try:
        document = json.loads(data, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ProfileFormatError(
            f"{p}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; "
            "regenerate the profile with `datacheck stats`"
        ) from None
    except UnicodeDecodeError as exc:
        raise ProfileFormatError(f"{p}: not UTF-8 text ({exc.reason})") from None
    except ValueError as exc:  # from _refuse_constant
        raise ProfileFormatError(f"{p}: {exc}; write non-finite floats as strings") from None
    try:
        return DatasetProfile.from_dict(document, source=str(p))
    except (KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, ProfileFormatError):
            raise
        # The JSON Schema passed, so this is a value it cannot express (a bad base64 sketch).
        raise ProfileFormatError(f"{p}: invalid value: {exc}") from None


def save_profile(profile: DatasetProfile, path: str | os.PathLike[str]) -> None:
    """Write ``profile`` as JSON to ``path`` atomically (a reader never sees half a file)."""
    write_bytes_atomic(path, profile_to_json(profile).encode("utf-8"))
