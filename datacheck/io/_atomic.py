"""Atomic writes: a temporary file in the target's directory, fsync, then ``os.replace``.

A reader of the target path sees either the old file or the complete new one, never a torn
write; a failed write leaves the old file in place and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from datacheck.errors import InputError
from datacheck.io._remote import is_remote, remote_output

__all__ = ["atomic_output", "write_bytes_atomic", "write_json_atomic"]


def _fsync_directory(directory: Path) -> None:
    # The rename itself is durable only once the directory entry is flushed (POSIX only).
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        # Some file systems refuse fsync on a directory; the rename has happened regardless.
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it over ``path`` when the block succeeds.

    The caller writes the temporary file (by name, so libraries such as pyarrow can write it
    too). On success it is fsynced and renamed over ``path``; on any exception it is removed and
    ``path`` is left as it was.

    Args:
        path: The file to create or replace. Its directory must exist. An ``s3://``,
            ``gs://`` or ``hdfs://`` URL is written locally and sent in one request when the
            block succeeds (see ``datacheck.io._remote``).

    Yields:
        The temporary file's path, in the same directory as ``path``.
    """
    if is_remote(path):  # object storage: written locally, then sent in one request
        with remote_output(path) as tmp:
            yield tmp
        return
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"{target}: directory {directory} does not exist; create it first")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        # mkstemp creates the file 0600; give the result the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(directory)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`).

    Args:
        path: The file to create or replace.
        data: The complete new content.
    """
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)


def _first_non_finite(value: Any, pointer: str = "") -> str | None:
    # Walks the document only after json refused it, to name where the bad number is.
    if isinstance(value, float) and not math.isfinite(value):
        return pointer or "/"
    if isinstance(value, dict):
        for key, item in value.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            found = _first_non_finite(item, f"{pointer}/{escaped}")
            if found is not None:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _first_non_finite(item, f"{pointer}/{index}")
            if found is not None:
                return found
    return None


def write_json_atomic(path: str | os.PathLike[str], document: Any) -> None:
    """Write ``document`` as JSON to ``path`` atomically.

    Keys keep their insertion order; the text is UTF-8, indented by 2, with a trailing newline.
    NaN and infinities are not JSON: the caller must encode them (for instance as strings).

    Args:
        path: The file to create or replace.
        document: JSON-compatible data (dicts, lists, str, int, finite float, bool, None).

    Raises:
        ValueError: The document holds NaN or an infinity (the message gives its JSON pointer)
            or a value JSON cannot represent. The file is not touched.
    """
    try:
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as error:
        where = _first_non_finite(document)
        if where is None:
            raise
        raise ValueError(
            f"{path}: the document holds NaN or an infinity at JSON pointer {where}; "
            "encode non-finite numbers before writing"
        ) from error
    write_bytes_atomic(path, (text + "\n").encode("utf-8"))
