"""Object storage: ``s3://``, ``gs://`` and ``hdfs://`` paths, through ``pyarrow.fs``.

Every path datacheck reads or writes may be a URL of one of :data:`REMOTE_SCHEMES`. Credentials
and endpoints come from the environment, as the clouds' own tools take them:

- S3: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` (and ``AWS_SESSION_TOKEN``), or a profile
  or instance role through the AWS SDK's default chain; ``AWS_REGION`` (or
  ``AWS_DEFAULT_REGION``); ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` for an S3-compatible
  server (MinIO, moto, Ceph).
- GCS: ``GOOGLE_APPLICATION_CREDENTIALS`` (or the default credentials of the machine);
  ``STORAGE_EMULATOR_HOST`` for an emulator.
- HDFS: the ``hdfs://host:port/path`` URL itself; needs libhdfs and a JVM on the machine.

Reading: a Parquet object is read in place, by ranges (its footer, then the row groups of the
columns wanted). A CSV or JSON Lines object is copied, streaming, to a local temporary file
(``$TMPDIR``) and read from there, because the text readers sniff, re-read and name lines;
the copy is removed once the source's batches are no longer referenced. Batches, errors and
the quarantine's source column name the object by its URL, never by the local copy.

Writing is atomic on object storage too. The file is written locally first, then sent in one
request (objects up to :data:`SINGLE_PUT_BYTES`), which the store makes visible all at once or
not at all; a larger file is sent to a temporary object beside the target and copied over it
server-side, the temporary object then removed. A failed write leaves the old object in place.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import tempfile
import uuid
import warnings
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeGuard
from urllib.parse import urlsplit

import pyarrow as pa

from datacheck.errors import DatacheckError, InputError, InputNotFoundError, MissingExtraError
from datacheck.io._dialect import data_suffix
from datacheck.io._files import (
    FilePlan,
    _pandas_index_columns,
    _selected,
    format_of,
    plan_file,
)
from datacheck.io._options import ReaderOptions

# pyarrow.fs takes ~0.5 s to import (measured with -X importtime): each function imports it,
# so that only a run that touches a remote path pays.
if TYPE_CHECKING:
    import pyarrow.fs as pafs

__all__ = [
    "REMOTE_SCHEMES",
    "SINGLE_PUT_BYTES",
    "expand_remote",
    "is_remote",
    "plan_remote",
    "read_bytes",
    "remote_output",
    "resolve",
]

#: URL schemes read and written through pyarrow.fs (``gcs`` is another name for ``gs``)
REMOTE_SCHEMES = ("s3", "gs", "gcs", "hdfs")
#: files up to this size are sent in one request; larger ones through a temporary object
SINGLE_PUT_BYTES = 64 * 1024 * 1024

_URL = re.compile(r"^(s3|gs|gcs|hdfs)://", re.IGNORECASE)
_GLOB_CHARS = re.compile(r"[*?\[]")
_CREDENTIALS = {
    "s3": "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and AWS_ENDPOINT_URL",
    "gs": "GOOGLE_APPLICATION_CREDENTIALS",
    "hdfs": "the host and port in the URL",
}


def is_remote(path: object) -> TypeGuard[str]:
    """Whether ``path`` is a URL of object storage (``s3://``, ``gs://``, ``hdfs://``)."""
    return isinstance(path, str) and _URL.match(path) is not None


@dataclass(frozen=True, slots=True)
class Location:
    """One remote path: the file system that holds it, the path there, and the URL back."""

    #: the pyarrow file system (S3, GCS or HDFS)
    filesystem: pafs.FileSystem
    #: the path within ``filesystem`` (``bucket/key`` on S3 and GCS)
    path: str
    #: the URL as given
    url: str
    #: ``s3``, ``gs`` or ``hdfs``
    scheme: str
    #: what turns a path of ``filesystem`` back into a URL (``s3://``)
    prefix: str

    def url_of(self, path: str) -> str:
        """The URL of another ``path`` of the same file system."""
        return self.prefix + path


#: the variables that make an S3 or GCS file system what it is (the key of the cache below)
_ENVIRONMENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "STORAGE_EMULATOR_HOST",
)
#: (scheme, the environment) -> file system: making one takes ~0.1 s, reading a small object
#: a few ms; a changed variable makes a new one
_filesystems: dict[tuple[str, tuple[str | None, ...]], pafs.FileSystem] = {}


def _filesystem(scheme: str) -> pafs.FileSystem:
    key = (scheme, tuple(os.environ.get(name) for name in _ENVIRONMENT))
    found = _filesystems.get(key)
    if found is None:
        found = _filesystems[key] = _s3() if scheme == "s3" else _gcs()
    return found


def _s3() -> pafs.FileSystem:
    import pyarrow.fs as pafs

    env = os.environ
    options: dict[str, Any] = {}
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        options["region"] = region
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        options["endpoint_override"] = parts.netloc + parts.path.rstrip("/")
        options["scheme"] = parts.scheme
    # Keys, session token, profile and instance role: the AWS SDK's default chain reads them.
    return pafs.S3FileSystem(**options)


def _gcs() -> pafs.FileSystem:
    import pyarrow.fs as pafs

    emulator = os.environ.get("STORAGE_EMULATOR_HOST")
    if emulator:
        parts = urlsplit(emulator if "://" in emulator else f"http://{emulator}")
        return pafs.GcsFileSystem(
            anonymous=True, endpoint_override=parts.netloc, scheme=parts.scheme
        )
    # GOOGLE_APPLICATION_CREDENTIALS, else the machine's default credentials.
    return pafs.GcsFileSystem()


def resolve(url: str) -> Location:
    """The file system and path of a remote ``url``.

    Raises:
        InputError: The URL names no bucket, or its file system cannot be made (HDFS without
            libhdfs); the message names the URL.
    """
    import pyarrow.fs as pafs

    scheme = url.partition("://")[0].lower()
    scheme = "gs" if scheme == "gcs" else scheme
    rest = url.partition("://")[2]
    try:
        if scheme == "hdfs":
            filesystem, path = pafs.FileSystem.from_uri(url)
            parts = urlsplit(url)
            return Location(filesystem, path, url, scheme, f"hdfs://{parts.netloc}")
        path = rest.strip("/")
        if not path or path.startswith("/"):
            raise InputError(f"{url}: name a bucket, as in {scheme}://bucket/key", path=url)
        filesystem = _filesystem(scheme)
    except (OSError, pa.ArrowException) as error:
        hint = "; HDFS needs libhdfs (Hadoop's native client) and a JVM" if scheme == "hdfs" else ""
        raise InputError(
            f"{url}: cannot open the {scheme} file system: {_first_line(error)}{hint}", path=url
        ) from None
    return Location(filesystem, path, url, scheme, f"{scheme}://")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def failure(location: Location, action: str, error: BaseException) -> InputError:
    """The one-line :class:`InputError` for an object-storage call that failed."""
    return InputError(
        f"{location.url}: cannot {action}: {_first_line(error)}; check the bucket, the key and "
        f"the credentials ({_CREDENTIALS[location.scheme]})",
        path=location.url,
    )


def _info(location: Location, path: str | None = None) -> pafs.FileInfo:
    try:
        return location.filesystem.get_file_info(location.path if path is None else path)
    except (OSError, pa.ArrowException) as error:
        raise failure(location, "look it up", error) from None


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The whole content of a local file or a remote object.

    Raises:
        FileNotFoundError: There is no such file or object (as ``Path.read_bytes``).
        OSError: A local file cannot be read.
        InputError: A remote object cannot be read (no access, no bucket, no credentials).
    """
    if not is_remote(path):
        return Path(path).read_bytes()
    import pyarrow.fs as pafs

    location = resolve(os.fspath(path))
    if _info(location).type != pafs.FileType.File:
        raise FileNotFoundError(location.url)
    try:
        with location.filesystem.open_input_stream(location.path) as handle:
            data: bytes = handle.read()
    except (OSError, pa.ArrowException) as error:
        raise failure(location, "read it", error) from None
    return data


def _check_writable(location: Location) -> None:
    import pyarrow.fs as pafs

    # Found before the work whose result is written (a validation of hours), not after it.
    if location.scheme == "hdfs":
        parent = str(PurePosixPath(location.path).parent)
        if _info(location, parent).type != pafs.FileType.Directory:
            raise InputError(
                f"{location.url}: directory {parent} does not exist; create it first",
                path=location.url,
            )
        return
    bucket = location.path.partition("/")[0]
    try:
        found = location.filesystem.get_file_info(bucket).type != pafs.FileType.NotFound
    except (OSError, pa.ArrowException):
        return  # a writer may lack the right to look the bucket up; the write itself will tell
    if not found:
        raise InputNotFoundError(
            f"{location.url}: bucket {bucket!r} does not exist; create it first", path=location.url
        )


@contextmanager
def remote_output(url: str) -> Iterator[Path]:
    """Yield a local temporary file; send it to ``url`` when the block succeeds.

    The object appears whole or not at all (see the module's docstring); on any exception in
    the block nothing is sent and the old object stays.

    Raises:
        InputNotFoundError: The bucket does not exist (before the block runs).
        InputError: The object cannot be written.
    """

    location = resolve(url)
    _check_writable(location)
    directory = Path(tempfile.mkdtemp(prefix="datacheck-out-"))
    tmp = directory / (PurePosixPath(location.path).name or "object")
    tmp.touch()
    try:
        yield tmp
        _send(location, tmp)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _send(location: Location, local: Path) -> None:
    import pyarrow.fs as pafs

    fs = location.filesystem
    if local.stat().st_size <= SINGLE_PUT_BYTES:
        data = local.read_bytes()
        try:
            # The whole content goes in one write, so the stream's closing (which would
            # complete an upload even after a failed write) only ever publishes all of it.
            with fs.open_output_stream(location.path) as out:
                out.write(data)
        except (OSError, pa.ArrowException) as error:
            raise failure(location, "write it", error) from None
        return
    parent, _, name = location.path.rpartition("/")
    staging = f"{parent}/.{name}.{uuid.uuid4().hex}.tmp"
    try:
        # Streamed by hand: pyarrow's copy_files would also leave a folder marker object.
        with fs.open_output_stream(staging) as out, open(local, "rb") as source:
            shutil.copyfileobj(source, out, 8 * 1024 * 1024)
        fs.move(staging, location.path)  # a server-side copy: the target appears at once
    except (OSError, pa.ArrowException) as error:
        raise failure(location, "write it", error) from None
    finally:
        # A stray temporary object is harmless: readers skip names starting with ".".
        with contextlib.suppress(OSError, pa.ArrowException):
            if fs.get_file_info(staging).type != pafs.FileType.NotFound:
                fs.delete_file(staging)


def _known_format(name: str, fmt: str | None) -> bool:
    path = Path(PurePosixPath(name).name)
    return format_of(path, fmt) is not None and (fmt is not None or data_suffix(path) != ".txt")


def _hidden(relative: str) -> bool:
    # _SUCCESS, _metadata, .crc files and the like are written beside data by Spark and Hadoop.
    return any(part.startswith((".", "_")) for part in relative.split("/"))


def _segment_match(pattern: list[str], parts: list[str]) -> bool:
    """Whether path ``parts`` match glob ``pattern`` segments (``**``: any number of them)."""
    import fnmatch

    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_segment_match(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
    return (
        bool(parts)
        and fnmatch.fnmatchcase(parts[0], pattern[0])
        and _segment_match(pattern[1:], parts[1:])
    )


def _listing(location: Location, base: str) -> list[str]:
    import pyarrow.fs as pafs

    try:
        infos = location.filesystem.get_file_info(pafs.FileSelector(base, recursive=True))
    except FileNotFoundError:
        return []
    except (OSError, pa.ArrowException) as error:
        raise failure(location, "list it", error) from None
    return sorted(i.path for i in infos if i.type == pafs.FileType.File)


def expand_remote(url: str, fmt: str | None) -> list[str]:
    """The URLs of the data files a remote object, prefix ("folder") or glob names, sorted.

    The remote twin of :func:`datacheck.io.expand_paths`, with the same rules: a folder's
    hidden files (``_SUCCESS``, ``.crc``) and notes (``.txt``) are left out; in a glob ``*``
    matches within one level and ``**`` any number of levels.

    Raises:
        InputNotFoundError: Nothing exists at the URL, or the glob matches no object.
        InputError: A folder holds no file of a known format, a file's format is unknown, or
            the store cannot be reached.
    """
    import pyarrow.fs as pafs

    location = resolve(url)
    if not _GLOB_CHARS.search(location.path):
        info = _info(location)
        if info.type == pafs.FileType.File:
            if format_of(Path(PurePosixPath(location.path).name), fmt) is None:
                raise InputError(
                    f"{url}: unknown file extension "
                    f"{PurePosixPath(location.path).suffix or '(none)'!r}; use .csv, .tsv, .txt, "
                    ".parquet or .jsonl, or name the format (format='csv')",
                    path=url,
                )
            return [url]
        if info.type == pafs.FileType.Directory:
            base = location.path.rstrip("/")
            files = [
                p
                for p in _listing(location, base)
                if not _hidden(p[len(base) + 1 :]) and _known_format(p, fmt)
            ]
            if not files:
                raise InputError(
                    f"{url}: folder holds no .csv, .tsv, .parquet or .jsonl file (compressed or "
                    "not); point at the data files or name the format (format='csv')",
                    path=url,
                )
            return [location.url_of(p) for p in files]
        raise InputNotFoundError(f"{url}: no such file or folder", path=url)
    segments = location.path.split("/")
    fixed = next(i for i, s in enumerate(segments) if _GLOB_CHARS.search(s))
    base = "/".join(segments[:fixed])
    files = [
        p
        for p in _listing(location, base)
        if _segment_match(segments[fixed:], p[len(base) + 1 :].split("/") if base else p.split("/"))
    ]
    if not files:
        raise InputNotFoundError(f"{url}: the pattern matches no object; check the path", path=url)
    unknown = [p for p in files if format_of(Path(PurePosixPath(p).name), fmt) is None]
    if unknown:
        raise InputError(
            f"{location.url_of(unknown[0])}: unknown file extension; narrow the pattern or name "
            "the format (format='csv')",
            path=location.url_of(unknown[0]),
        )
    return [location.url_of(p) for p in files]


#: where CSV and JSON Lines objects are copied while they are read; removed at exit
_staging: list[Path] = []


def _staging_root() -> Path:
    if not _staging:
        root = Path(tempfile.mkdtemp(prefix="datacheck-in-"))
        atexit.register(shutil.rmtree, root, True)
        _staging.append(root)
    return _staging[0]


class _Staged:
    """A local copy of an object; removed when the plan reading it is no longer referenced."""

    __slots__ = ("__weakref__", "directory", "path")

    def __init__(self, location: Location) -> None:
        import pyarrow.fs as pafs

        self.directory = Path(tempfile.mkdtemp(dir=_staging_root()))
        self.path = self.directory / PurePosixPath(location.path).name
        try:
            pafs.copy_files(
                location.path,
                str(self.path),
                source_filesystem=location.filesystem,
                destination_filesystem=pafs.LocalFileSystem(),
            )
        except (OSError, pa.ArrowException) as error:
            shutil.rmtree(self.directory, ignore_errors=True)
            raise failure(location, "read it", error) from None
        # Removed with this object, or at exit (weakref.finalize, unlike __del__, is safe then).
        weakref.finalize(self, shutil.rmtree, self.directory, True)


def _renamed(error: DatacheckError, local: str, url: str) -> DatacheckError:
    """``error`` with the local copy's path replaced by the object's URL."""
    if isinstance(error, MissingExtraError):
        return error
    return type(error)(
        error.reason.replace(local, url),
        parameter=error.parameter,
        value=error.value,
        path=url,
        column=error.column,
        row=error.row,
    )


@contextmanager
def _as_url(local: str, url: str) -> Iterator[None]:
    """Errors and warnings raised in the block name ``url`` where they named ``local``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except DatacheckError as error:
            raise _renamed(error, local, url) from None
    for warning in caught:
        warnings.warn_explicit(
            str(warning.message).replace(local, url),
            warning.category,
            warning.filename,
            warning.lineno,
        )


def _staged_batches(
    read: Callable[[], Iterator[pa.RecordBatch]], staged: _Staged, url: str
) -> Iterator[pa.RecordBatch]:
    # The generator holds the copy alive while the batches are read. Only errors are renamed
    # here: a generator must not hold the process-wide warning filters while suspended.
    try:
        yield from read()
    except DatacheckError as error:
        raise _renamed(error, str(staged.path), url) from None


def _plan_parquet(location: Location, options: ReaderOptions, batch_size: int) -> FilePlan:

    import pyarrow.parquet as pq

    fs, key, url = location.filesystem, location.path, location.url
    info = _info(location)
    if info.size == 0:
        raise InputError(
            f"{url}: file is empty (0 bytes); a Parquet file needs at least its structure",
            path=url,
        )
    try:
        with fs.open_input_file(key) as handle, pq.ParquetFile(handle) as parquet:
            schema = parquet.schema_arrow
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(
            f"{url}: not a readable Parquet file (truncated or corrupt: "
            f"{_first_line(error)}); re-export it",
            path=url,
        ) from None
    names = tuple(schema.names)
    present = _selected(list(names), options, _pandas_index_columns(schema))
    if present is not None:
        schema = pa.schema([schema.field(c) for c in present])

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            with fs.open_input_file(key) as handle, pq.ParquetFile(handle) as parquet:
                # One reader per row group, as for local files (memory stays flat).
                for group in range(parquet.metadata.num_row_groups):
                    yield from parquet.iter_batches(
                        batch_size=batch_size, columns=present, row_groups=[group]
                    )
        except (pa.ArrowInvalid, OSError) as error:
            raise InputError(
                f"{url}: corrupt or unreadable Parquet data ({_first_line(error)}); re-export "
                "it or check access to it",
                path=url,
            ) from None

    return FilePlan(path=Path(key), schema=schema, open=batches, names=names, url=url)


def plan_remote(url: str, options: ReaderOptions, batch_size: int, budget: list[int]) -> FilePlan:
    """Check one remote file and return how to read it (see :func:`datacheck.io._files.plan_file`).

    Raises:
        InputError: The object cannot be read; the message names its URL.
    """
    location = resolve(url)
    kind = format_of(Path(PurePosixPath(location.path).name), options.format)
    if kind == "parquet":
        return _plan_parquet(location, options, batch_size)
    staged = _Staged(location)
    with _as_url(str(staged.path), url):
        plan = plan_file(staged.path, options, batch_size, budget)
    read = plan.open
    plan.open = lambda: _staged_batches(read, staged, url)
    plan.url = url
    return plan


def missing_boto3(parameter: str, value: str) -> MissingExtraError:
    """The error for an S3 feature that needs boto3 (the ``s3`` extra)."""
    error = MissingExtraError("boto3", "s3")
    error.args = (f"{parameter}={value!r}: needs boto3 for conditional writes; {error}",)
    error.parameter, error.value, error.path = parameter, value, value
    return error
