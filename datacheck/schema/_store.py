"""The versioned schema store on the local file system.

Layout under the root, one folder per schema name::

    <root>/<name>/v1.json          the schema document of version 1 (a plain schema file)
    <root>/<name>/v1.meta.json     its metadata: time, message, parent version, content hash

Saving never overwrites. A writer reserves version N by creating ``vN.claim`` with
``O_CREAT | O_EXCL`` (so two writers never get the same N; the loser tries N+1), writes the
metadata and then the schema through temporary files renamed into place, and removes the claim.
The schema file is the commit point: a version exists once ``vN.json`` does, and it is complete
when it does. A writer killed mid-save leaves at most a temporary file and a claim, which
readers ignore; its version number is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from datacheck.errors import StoreError
from datacheck.io import is_remote, write_bytes_atomic
from datacheck.schema._diff import (
    CompatibilityMode,
    CompatibilityResult,
    SchemaChange,
    check_compatible,
    diff_schemas,
)
from datacheck.schema._model import Schema
from datacheck.schema._serde import (
    checked_document,
    load_schema,
    schema_to_dict,
    schema_to_json,
)
from datacheck.schema._tfdv import load_tfdv_schema

__all__ = ["DEFAULT_STORE", "STORE_ENV", "SchemaStore", "SchemaVersion", "parse_schema_ref"]

#: where the schema store lives when neither the caller nor the environment says
DEFAULT_STORE = Path(".datacheck") / "schemas"
#: the environment variable naming the schema store
STORE_ENV = "DATACHECK_STORE"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.json$")
_CLAIM_FILE = re.compile(r"^v([1-9][0-9]*)\.claim$")

#: a writer gives up after this many taken numbers in a row; only reached if something keeps
#: creating claims without committing
_MAX_ATTEMPTS = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class SchemaVersion:
    """The metadata of one stored version of a named schema."""

    name: str
    version: int
    #: when it was saved, ISO 8601 in UTC
    created: str
    message: str
    #: the version it was derived from, None for the first
    parent: int | None
    #: SHA-256 of the schema document without its version number: equal content, equal hash
    content_hash: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``vN.meta.json`` document)."""
        return {
            "name": self.name,
            "version": self.version,
            "created": self.created,
            "message": self.message,
            "parent": self.parent,
            "content_hash": self.content_hash,
        }


def content_hash(schema: Schema) -> str:
    """SHA-256 of the canonical schema document, leaving out ``version``."""
    document = schema_to_dict(schema)
    document.pop("version")
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_schema_ref(ref: str) -> tuple[str, int | None]:
    """Split ``NAME[@VERSION]`` into the name and the version (None: latest).

    Raises:
        StoreError: the version part is not a positive integer.
    """
    name, sep, version = ref.partition("@")
    if not sep:
        return name, None
    if not version.isdigit() or int(version) < 1:
        raise StoreError(
            f"{ref!r}: the version after '@' must be a positive integer, as in {name}@3"
        )
    return name, int(version)


def checked_name(name: str) -> str:
    """``name``, if it is a valid schema name (the folder or key prefix of its versions).

    Raises:
        StoreError: it is not.
    """
    if not _NAME.match(name):
        raise StoreError(
            f"{name!r} is not a valid schema name; use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        )
    return name


def _is_file_ref(ref: str) -> bool:
    return Path(ref).is_file() or ref.endswith((".json", ".pbtxt")) or "/" in ref or os.sep in ref


class SchemaStore:
    """Every version of every named schema, in folders under ``root``.

    Safe for concurrent writers on one machine (and on file systems where ``O_EXCL`` and
    ``rename`` are atomic); readers never see a half-written version. A root of
    ``s3://bucket/prefix`` makes the S3 store (``datacheck.schema._s3store``), safe for
    concurrent writers anywhere; ``gs://`` and ``hdfs://`` roots are refused.
    """

    def __new__(cls, root: str | os.PathLike[str]) -> SchemaStore:
        # An s3:// root is the store of datacheck.schema._s3store, with S3's conditional writes.
        if cls is SchemaStore and is_remote(root):
            from datacheck.schema._s3store import store_class

            return super().__new__(store_class(root))
        return super().__new__(cls)

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @property
    def location(self) -> str:
        """Where the store is: its folder, or its URL on object storage."""
        return str(self.root)

    @classmethod
    def default(cls, root: str | os.PathLike[str] | None = None) -> SchemaStore:
        """The store at ``root``; else where ``$DATACHECK_STORE`` says; else
        ``./.datacheck/schemas``."""
        return cls(root or os.environ.get(STORE_ENV) or DEFAULT_STORE)

    def __repr__(self) -> str:
        return f"SchemaStore({str(self.root)!r})"

    def _folder(self, name: str) -> Path:
        return self.root / checked_name(name)

    def _existing_folder(self, name: str) -> Path:
        return self._listed(name)[0]

    def _listed(self, name: str) -> tuple[Path, list[int]]:
        """The folder of ``name`` and its versions, oldest first, from one listing."""
        folder = self._folder(name)
        versions = self._versions_in(folder)
        if not versions:
            known = ", ".join(self.names()) or "none"
            raise StoreError(
                f"{self.root}: no schema named {name!r} (known: {known}); "
                "save one first (SchemaStore.save; on the command line, datacheck infer)"
            )
        return folder, versions

    @staticmethod
    def _versions_in(folder: Path) -> list[int]:
        try:
            entries = os.listdir(folder)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"{folder}: cannot list the schema store: {exc.strerror}") from None
        return sorted(int(m.group(1)) for e in entries if (m := _VERSION_FILE.match(e)))

    def names(self) -> list[str]:
        """The names of the stored schemas, sorted."""
        try:
            entries = sorted(os.listdir(self.root))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot list the schema store: {exc.strerror}") from None
        return [e for e in entries if _NAME.match(e) and self._versions_in(self.root / e)]

    def versions(self, name: str) -> list[int]:
        """The stored version numbers of ``name``, oldest first.

        Raises:
            StoreError: there is no schema of that name.
        """
        return self._listed(name)[1]

    def latest_version(self, name: str) -> int:
        """The newest version number of ``name``.

        Raises:
            StoreError: there is no schema of that name.
        """
        return self.versions(name)[-1]

    def get(self, name: str, version: int | None = None) -> Schema:
        """The schema ``name`` at ``version`` (None: the latest).

        Raises:
            StoreError: unknown name or version.
            SchemaFormatError: the stored file was edited into an invalid document.
        """
        folder, versions = self._listed(name)
        if version is None:
            version = versions[-1]
        path = folder / f"v{version}.json"
        if not path.is_file():
            known = ", ".join(str(v) for v in self._versions_in(folder))
            raise StoreError(
                f"{self.root}: schema {name!r} has no version {version} (versions: {known})"
            )
        return load_schema(path)

    def latest(self, name: str) -> Schema:
        """The newest version of schema ``name``."""
        return self.get(name)

    def resolve(self, ref: str | os.PathLike[str]) -> Schema:
        """The schema a reference names: a schema file, or ``NAME[@VERSION]`` in this store.

        A reference is a file when a file exists at that path, when it ends in ``.json`` or
        ``.pbtxt`` (TFDV's text format), or when it holds a path separator; otherwise it is
        ``NAME`` (the latest version) or ``NAME@3`` (version 3).

        Raises:
            InputNotFoundError: It names a file that does not exist.
            SchemaFormatError: The file or stored version is not a valid schema.
            StoreError: No such name or version in the store.
        """
        text = os.fspath(ref)
        if _is_file_ref(text):
            return load_tfdv_schema(text) if text.endswith(".pbtxt") else load_schema(text)
        name, version = parse_schema_ref(text)
        return self.get(name, version)

    def metadata(self, name: str, version: int) -> SchemaVersion:
        """The metadata of one version.

        Raises:
            StoreError: unknown name or version, or an unreadable metadata file.
        """
        folder = self._existing_folder(name)
        if not (folder / f"v{version}.json").is_file():
            raise StoreError(f"{self.root}: schema {name!r} has no version {version}")
        path = folder / f"v{version}.meta.json"
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            return SchemaVersion(
                name=name,
                version=version,
                created=str(d["created"]),
                message=str(d["message"]),
                parent=None if d["parent"] is None else int(d["parent"]),
                content_hash=str(d["content_hash"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"{path}: unreadable version metadata ({exc}); restore the file from a backup"
            ) from None

    def history(self, name: str) -> list[SchemaVersion]:
        """The metadata of every version of ``name``, oldest first."""
        return [self.metadata(name, v) for v in self.versions(name)]

    def diff(self, name: str, a: int, b: int) -> list[SchemaChange]:
        """The changes from version ``a`` to version ``b`` of schema ``name``."""
        return diff_schemas(self.get(name, a), self.get(name, b))

    def check_compatible(
        self, name: str, new: Schema, mode: CompatibilityMode | str = CompatibilityMode.BACKWARD
    ) -> CompatibilityResult:
        """Whether ``new`` may follow the latest version of ``name`` under ``mode``."""
        return check_compatible(self.latest(name), new, mode)

    def save(
        self, name: str, schema: Schema, *, message: str = "", parent: int | None = None
    ) -> SchemaVersion:
        """Store ``schema`` as the next version of ``name``; never overwrites a version.

        The stored schema's ``version`` is set to the number it gets.

        Args:
            name: the schema's name in the store.
            schema: the schema to store.
            message: why this version exists, shown by ``datacheck schema log``.
            parent: the version it derives from; by default the latest one when saving.

        Returns:
            The metadata of the new version.

        Raises:
            StoreError: the name is invalid or the store cannot be written.
            SchemaFormatError: the schema would not load again (min > max, duplicate names).
        """
        folder = self._folder(name)
        checked_document(schema, source=f"schema {name!r}")  # before any file is made
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{folder}: cannot create the schema folder: {exc.strerror}") from None
        existing = self._versions_in(folder)
        if parent is None and existing:
            parent = existing[-1]
        if parent is not None and parent not in existing:
            raise StoreError(f"{self.root}: schema {name!r} has no version {parent} to derive from")
        number = self._claim(folder)
        try:
            stored = replace(schema, version=number)
            text = schema_to_json(stored, source=f"schema {name!r}")
            record = SchemaVersion(
                name=name,
                version=number,
                created=datetime.now(UTC).isoformat(timespec="milliseconds"),
                message=message,
                parent=parent,
                content_hash=content_hash(stored),
            )
            meta = json.dumps(record.to_dict(), indent=2) + "\n"
            write_bytes_atomic(folder / f"v{number}.meta.json", meta.encode("utf-8"))
            write_bytes_atomic(folder / f"v{number}.json", text.encode("utf-8"))
        except OSError as exc:
            raise StoreError(f"{folder}: cannot write version {number}: {exc.strerror}") from None
        finally:
            (folder / f"v{number}.claim").unlink(missing_ok=True)
        return record

    def _claim(self, folder: Path) -> int:
        """Reserve the next free version number in ``folder`` with an exclusive create."""
        try:
            taken = [
                int(m.group(1))
                for e in os.listdir(folder)
                if (m := _VERSION_FILE.match(e) or _CLAIM_FILE.match(e))
            ]
        except OSError as exc:
            raise StoreError(f"{folder}: cannot list the schema store: {exc.strerror}") from None
        number = max(taken, default=0) + 1
        for _ in range(_MAX_ATTEMPTS):
            try:
                fd = os.open(folder / f"v{number}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                number += 1
                continue
            except OSError as exc:
                raise StoreError(f"{folder}: cannot reserve a version: {exc.strerror}") from None
            os.close(fd)
            # A claim removed by a finished writer could be re-created here: check that the
            # version itself is still free.
            if (folder / f"v{number}.json").exists():
                (folder / f"v{number}.claim").unlink(missing_ok=True)
                number += 1
                continue
            return number
        raise StoreError(f"{folder}: no free version number after {_MAX_ATTEMPTS} attempts")
