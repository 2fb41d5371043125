"""The versioned schema store on S3 (or any S3-compatible server), with no lost version.

``SchemaStore("s3://bucket/prefix")`` is this store. Layout under the prefix, as on disk::

    <prefix>/<name>/v1.meta.json   the metadata of version 1: the claim on the number
    <prefix>/<name>/v1.json        the schema document of version 1 (a plain schema file)

S3 has no rename and no exclusive create through ``pyarrow.fs``, so the commit protocol uses
S3's conditional write (``PutObject`` with ``If-None-Match: *``, through boto3): the request
succeeds only if no object exists under the key, and of two racing writers exactly one wins.

A writer lists the name's objects and takes N = the highest number seen + 1. It claims N by
writing ``vN.meta.json`` conditionally: if the key exists (HTTP 412, or 409 when the other
request is still in flight) another writer holds N, and this one tries N+1. The claim's owner
then writes ``vN.json``, also conditionally, which is the commit point: a version exists once
``vN.json`` does, and each object appears whole. A writer killed between the two writes leaves
a claim with no schema, which readers ignore; its number is skipped, as on disk.

Each object carries a mark unique to the save that wrote it (``x-amz-meta-datacheck-writer``):
when boto3 resends a write whose answer was lost, the resent request fails its condition
against the object the first one made, and the mark tells the writer that the number is its
own, not another writer's (else it would commit one schema twice, or skip a number).

Reads are plain ``GetObject`` and ``ListObjectsV2`` calls, which S3 answers with strong
read-after-write consistency. Google Cloud Storage has the same guarantee under another name
(``ifGenerationMatch=0``), but neither pyarrow nor boto3 sends it, so a ``gs://`` store is
refused with an error naming the parameter; so is ``hdfs://``.

Credentials, region and endpoint come from the environment, as for the rest of datacheck's
object storage: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``,
``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``. boto3 is the ``s3`` extra.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from datacheck.errors import MissingExtraError, StoreError
from datacheck.schema._model import Schema
from datacheck.schema._serde import checked_document, schema_from_json, schema_to_json
from datacheck.schema._store import (
    _MAX_ATTEMPTS,
    _NAME,
    SchemaStore,
    SchemaVersion,
    checked_name,
    content_hash,
)

__all__ = ["S3SchemaStore", "store_class"]

_VERSION_KEY = re.compile(r"^v([1-9][0-9]*)\.json$")
_META_KEY = re.compile(r"^v([1-9][0-9]*)\.meta\.json$")
#: the error codes of a conditional write that lost: the key exists, or another conditional
#: write of it is in flight
_LOST = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})
#: the user-metadata key (``x-amz-meta-datacheck-writer``) of the save that wrote an object
_WRITER = "datacheck-writer"


def store_class(root: str) -> type[S3SchemaStore]:
    """The store class for a remote ``root``; only S3 has one.

    Raises:
        StoreError: ``root`` is on Google Cloud Storage or HDFS.
    """
    scheme = root.partition("://")[0].lower()
    if scheme == "s3":
        return S3SchemaStore
    if scheme in ("gs", "gcs"):
        raise StoreError(
            "a schema store on Google Cloud Storage needs its conditional create "
            "(ifGenerationMatch=0), which datacheck does not send yet; keep the store on s3:// "
            "or a local folder (the schema files themselves may be read and written on gs://)",
            parameter="root",
            value=root,
            path=root,
        )
    raise StoreError(
        f"a schema store on {scheme}:// is not supported (no conditional create); keep it on "
        "s3:// or a local folder",
        parameter="root",
        value=root,
        path=root,
    )


def _client(root: str) -> Any:
    try:
        import boto3  # type: ignore[import-untyped]  # boto3 ships no type hints
    except ImportError:
        error = MissingExtraError("boto3", "s3")
        error.args = (f"root={root!r}: a schema store on S3 needs boto3; {error}",)
        error.parameter, error.value, error.path = "root", root, root
        raise error from None
    env = os.environ
    # A session of its own: boto3's default session is not safe to make clients from in
    # several threads at once (boto3 issue 1592), and stores are made in any thread.
    return boto3.session.Session().client(
        "s3",
        region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
        endpoint_url=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None,
    )


def _code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


class S3SchemaStore(SchemaStore):
    """Every version of every named schema, under an S3 prefix.

    Safe for any number of concurrent writers on any number of machines: of two writers
    racing for version N, one gets it and the other N+1 (see the module's docstring).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        url = os.fspath(root).rstrip("/")
        bucket, _, prefix = url.partition("://")[2].partition("/")
        if not bucket:
            raise StoreError(
                "name a bucket, as in s3://bucket/schemas", parameter="root", value=url
            )
        #: the store's URL, as given
        self.url = url
        self._bucket = bucket
        self._prefix = f"{prefix}/" if prefix else ""
        self._s3 = _client(url)

    def __repr__(self) -> str:
        return f"SchemaStore({self.url!r})"

    @property
    def location(self) -> str:
        """Where the store is: its URL."""
        return self.url

    @property
    def root(self) -> Path:  # type: ignore[override]  # the local store's folder: none here
        """Refused: code that keeps its own files in the store's folder (the service's
        registry and windows) needs a local store; a silent ``Path("s3:/...")`` would write
        them to the working directory."""
        raise StoreError(
            "this needs a schema store folder on the local file system (the service keeps "
            "its own files beside the schemas); give a folder, not an s3:// URL",
            parameter="store",
            value=self.url,
        )

    def _failed(self, action: str, error: Exception) -> StoreError:
        text = str(error).strip().splitlines()
        return StoreError(
            f"{self.url}: cannot {action}: {text[0] if text else type(error).__name__}; check "
            "the bucket and the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
            "AWS_REGION, AWS_ENDPOINT_URL)",
            path=self.url,
        )

    def _list(self, prefix: str, delimiter: str = "") -> tuple[list[str], list[str]]:
        """The keys and the common prefixes under ``prefix``, every page."""
        keys: list[str] = []
        prefixes: list[str] = []
        options: dict[str, str] = {"Bucket": self._bucket, "Prefix": prefix}
        if delimiter:
            options["Delimiter"] = delimiter
        try:
            for page in self._s3.get_paginator("list_objects_v2").paginate(**options):
                keys.extend(item["Key"] for item in page.get("Contents", ()))
                prefixes.extend(item["Prefix"] for item in page.get("CommonPrefixes", ()))
        except Exception as error:  # botocore's errors: no bucket, no credentials, no network
            raise self._failed("list the schema store", error) from None
        return keys, prefixes

    def _numbers(self, name: str) -> tuple[list[int], list[int]]:
        """The committed versions and the claimed numbers of ``name``, sorted."""
        keys, _ = self._list(f"{self._prefix}{name}/", "/")
        versions: list[int] = []
        claims: list[int] = []
        for key in keys:
            base = key.rpartition("/")[2]
            if m := _VERSION_KEY.match(base):
                versions.append(int(m.group(1)))
            elif m := _META_KEY.match(base):
                claims.append(int(m.group(1)))
        return sorted(versions), sorted(claims)

    def _read(self, key: str) -> bytes | None:
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"]
            data: bytes = body.read()
        except Exception as error:
            if _code(error) in ("NoSuchKey", "404"):
                return None
            raise self._failed(f"read {key}", error) from None
        return data

    def _existing(self, name: str) -> list[int]:
        versions, _ = self._numbers(checked_name(name))
        if not versions:
            known = ", ".join(self.names()) or "none"
            raise StoreError(
                f"{self.url}: no schema named {name!r} (known: {known}); "
                "save one first (SchemaStore.save; on the command line, datacheck infer)"
            )
        return versions

    def names(self) -> list[str]:
        """The names of the stored schemas, sorted."""
        _, prefixes = self._list(self._prefix, "/")
        names = sorted(p[len(self._prefix) :].rstrip("/") for p in prefixes)
        return [n for n in names if _NAME.match(n) and self._numbers(n)[0]]

    def versions(self, name: str) -> list[int]:
        """The stored version numbers of ``name``, oldest first."""
        return self._existing(name)

    def get(self, name: str, version: int | None = None) -> Schema:
        """The schema ``name`` at ``version`` (None: the latest)."""
        versions = self._existing(name)
        if version is None:
            version = versions[-1]
        key = f"{self._prefix}{name}/v{version}.json"
        data = self._read(key) if version in versions else None
        if data is None:
            known = ", ".join(str(v) for v in versions)
            raise StoreError(
                f"{self.url}: schema {name!r} has no version {version} (versions: {known})"
            )
        return schema_from_json(data, source=f"s3://{self._bucket}/{key}")

    def metadata(self, name: str, version: int) -> SchemaVersion:
        """The metadata of one version."""
        if version not in self._existing(name):
            raise StoreError(f"{self.url}: schema {name!r} has no version {version}")
        key = f"{self._prefix}{name}/v{version}.meta.json"
        data = self._read(key)
        try:
            if data is None:
                raise ValueError("the metadata object is missing")
            d = json.loads(data)
            return SchemaVersion(
                name=name,
                version=version,
                created=str(d["created"]),
                message=str(d["message"]),
                parent=None if d["parent"] is None else int(d["parent"]),
                content_hash=str(d["content_hash"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"s3://{self._bucket}/{key}: unreadable version metadata ({exc}); restore the "
                "object from a backup"
            ) from None

    def _put_new(self, key: str, data: bytes, writer: str) -> bool:
        """Write ``key`` only if it does not exist; False if another writer has it.

        ``writer`` (unique to this save) goes with the object: when the client resends a
        request whose answer was lost, the resent one fails its condition against the object
        the first one made, and the mark tells that this writer made it.
        """
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=data,
                IfNoneMatch="*",
                ContentType="application/json",
                Metadata={_WRITER: writer},
            )
        except Exception as error:
            if _code(error) not in _LOST:
                raise self._failed(f"write {key}", error) from None
            return self._writer_of(key) == writer
        return True

    def _writer_of(self, key: str) -> str | None:
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except Exception as error:
            if _code(error) in ("NoSuchKey", "404"):
                return None  # a conflicting request that was then abandoned: not ours either
            raise self._failed(f"read {key}", error) from None
        found: str | None = head.get("Metadata", {}).get(_WRITER)
        return found

    def save(
        self, name: str, schema: Schema, *, message: str = "", parent: int | None = None
    ) -> SchemaVersion:
        """Store ``schema`` as the next version of ``name``; never overwrites a version.

        See :meth:`SchemaStore.save`; concurrent writers on any machine each get their own
        version number, with none lost.
        """
        checked_name(name)
        checked_document(schema, source=f"schema {name!r}")  # before any object is made
        existing, claims = self._numbers(name)
        if parent is None and existing:
            parent = existing[-1]
        if parent is not None and parent not in existing:
            raise StoreError(f"{self.url}: schema {name!r} has no version {parent} to derive from")
        number = max([*existing, *claims], default=0) + 1
        folder = f"{self._prefix}{name}"
        writer = secrets.token_hex(16)
        for _ in range(_MAX_ATTEMPTS):
            stored = replace(schema, version=number)
            record = SchemaVersion(
                name=name,
                version=number,
                created=datetime.now(UTC).isoformat(timespec="milliseconds"),
                message=message,
                parent=parent,
                content_hash=content_hash(stored),
            )
            meta = (json.dumps(record.to_dict(), indent=2) + "\n").encode("utf-8")
            if not self._put_new(f"{folder}/v{number}.meta.json", meta, writer):
                number += 1
                continue
            text = schema_to_json(stored, source=f"schema {name!r}").encode("utf-8")
            if self._put_new(f"{folder}/v{number}.json", text, writer):
                return record
            number += 1  # a version written without its claim (by hand): skip past it
        raise StoreError(f"{self.url}: no free version number after {_MAX_ATTEMPTS} attempts")
