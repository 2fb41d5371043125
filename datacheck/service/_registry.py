"""The schema registry over a :class:`SchemaStore`: compatibility modes, registration, baselines.

Registration is "check against the latest version, then save": within one service a lock per
schema name makes the pair atomic, so two registrations cannot both be checked against the
same latest version; the store's own commit protocol (an exclusive claim per version number)
keeps versions from being lost or duplicated across processes too.

The service's own files live under ``<store>/.service/<name>/`` (a folder name the store never
lists as a schema): ``config.json`` (the compatibility mode) and ``baseline.profile.json`` (the
training profile that serving windows are compared with), each written atomically.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

from datacheck._json import value_to_json
from datacheck.errors import DatacheckError, StoreError
from datacheck.io import write_json_atomic
from datacheck.schema import (
    Schema,
    SchemaChange,
    SchemaStore,
    SchemaVersion,
    check_compatible,
)
from datacheck.service._config import COMPATIBILITY_MODES
from datacheck.service._errors import ServiceError
from datacheck.stats import DatasetProfile, load_profile, save_profile

__all__ = ["SERVICE_FOLDER", "Registry", "change_to_json", "check_name"]

#: the folder under the store root that holds the service's own files
SERVICE_FOLDER = ".service"

#: a schema name as the service accepts it: the store's pattern, at most 128 characters
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_name(name: str) -> str:
    """``name`` when it is a valid schema name, else a 400 (no path can come through)."""
    if not _NAME.fullmatch(name):
        raise ServiceError(
            400,
            "invalid_name",
            "a schema name is 1 to 128 letters, digits, '.', '_' and '-', starting with a "
            "letter or digit",
            parameter="name",
        )
    return name


class Registry:
    """Schemas, their compatibility modes and their baselines, in one store."""

    def __init__(self, store: SchemaStore, *, default_compatibility: str = "BACKWARD") -> None:
        self.store = store
        self.default_compatibility = default_compatibility
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    @property
    def service_root(self) -> Path:
        """Where the service's own files are (``<store>/.service``)."""
        return self.store.root / SERVICE_FOLDER

    def _lock(self, name: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(name, threading.Lock())

    def versions(self, name: str) -> list[int]:
        """The versions of ``name``; 404 when it has none."""
        check_name(name)
        try:
            return self.store.versions(name)
        except StoreError:
            raise ServiceError(404, "unknown_schema", f"no schema named {name!r}") from None

    def version_number(self, name: str, version: int | None) -> int:
        """``version`` (None: the latest) when ``name`` has it; 404 otherwise."""
        known = self.versions(name)
        if version is None:
            return known[-1]
        if version not in known:
            raise ServiceError(404, "unknown_version", f"schema {name!r} has no version {version}")
        return version

    def get(self, name: str, version: int | None) -> tuple[int, Schema]:
        """The number and the schema of ``name`` at ``version`` (None: the latest)."""
        number = self.version_number(name, version)
        return number, self.store.get(name, number)

    # -- compatibility ------------------------------------------------------------------------

    def _config_path(self, name: str) -> Path:
        return self.service_root / name / "config.json"

    def compatibility(self, name: str) -> str:
        """The compatibility mode of ``name`` (the default until one is set)."""
        check_name(name)
        try:
            document = json.loads(self._config_path(name).read_text(encoding="utf-8"))
            mode = str(document["compatibility"])
        except FileNotFoundError:
            return self.default_compatibility
        except (OSError, ValueError, KeyError, TypeError):
            return self.default_compatibility
        return mode if mode in COMPATIBILITY_MODES else self.default_compatibility

    def set_compatibility(self, name: str, mode: object) -> str:
        """Set the compatibility mode of ``name`` (which need not exist yet)."""
        check_name(name)
        if not isinstance(mode, str) or mode.upper() not in COMPATIBILITY_MODES:
            raise ServiceError(
                422,
                "invalid_compatibility",
                f"compatibility must be one of {', '.join(COMPATIBILITY_MODES)}",
                parameter="compatibility",
            )
        path = self._config_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, {"compatibility": mode.upper()})
        return mode.upper()

    # -- registration -------------------------------------------------------------------------

    def register(self, name: str, schema: Schema, *, message: str = "") -> SchemaVersion:
        """Save ``schema`` as the next version of ``name`` if the schema's mode allows it.

        Raises:
            ServiceError: 409 with the breaking changes when the mode refuses the change.
        """
        check_name(name)
        mode = self.compatibility(name)
        with self._lock(name):
            try:
                latest: int | None = self.store.latest_version(name)
            except StoreError:
                latest = None
            if latest is not None and mode != "NONE":
                result = check_compatible(self.store.get(name, latest), schema, mode)
                if not result.compatible:
                    raise ServiceError(
                        409,
                        "incompatible_schema",
                        f"the schema is not {mode} compatible with version {latest} of "
                        f"{name!r}: {len(result.violations)} breaking change(s)",
                        details={
                            "compatibility": mode,
                            "latest_version": latest,
                            "breaking_changes": [change_to_json(c) for c in result.violations],
                        },
                    )
            try:
                return self.store.save(name, schema, message=message, parent=latest)
            except StoreError as exc:
                # The store cannot be written (disk full, permissions): not the client's fault.
                raise ServiceError(500, "store_error", str(exc)) from None

    # -- baselines ----------------------------------------------------------------------------

    def _baseline_path(self, name: str) -> Path:
        return self.service_root / name / "baseline.profile.json"

    def set_baseline(self, name: str, profile: DatasetProfile) -> None:
        """Register ``profile`` as the training baseline of existing schema ``name``."""
        self.versions(name)
        path = self._baseline_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_profile(profile, path)

    def baseline(self, name: str) -> DatasetProfile:
        """The registered baseline of ``name``; 404 when there is none."""
        self.versions(name)
        path = self._baseline_path(name)
        if not path.is_file():
            raise ServiceError(
                404,
                "no_baseline",
                f"schema {name!r} has no baseline profile; register one with "
                f"PUT /schemas/{name}/baseline",
            )
        try:
            return load_profile(path)
        except DatacheckError as exc:
            raise ServiceError(
                404, "no_baseline", f"the baseline of {name!r} cannot be read: {exc}"
            ) from None


def change_to_json(change: SchemaChange) -> dict[str, Any]:
    """A schema change as JSON (non-finite bounds written as the report writes them)."""
    document = change.to_dict()
    document["old"] = value_to_json(document["old"])
    document["new"] = value_to_json(document["new"])
    return document
