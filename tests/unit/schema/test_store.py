"""The versioned schema store: versions, metadata, errors, concurrent and killed writers."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path

import pytest

from datacheck.errors import SchemaFormatError, StoreError
from datacheck.schema import (
    ChangeKind,
    Feature,
    FeatureType,
    IntDomain,
    Presence,
    Schema,
    SchemaStore,
    StringDomain,
    parse_schema_ref,
)


def schema(values: tuple[str, ...] = ("a", "b")) -> Schema:
    return Schema(
        features=(
            Feature(
                name="c",
                type=FeatureType.STRING,
                presence=Presence(min_fraction=1.0),
                domain=StringDomain(values=values),
            ),
        )
    )


def test_first_save_is_version_one(tmp_path: Path) -> None:
    record = SchemaStore(tmp_path).save("s", schema(), message="first")
    assert (record.version, record.parent, record.message) == (1, None, "first")


def test_saves_number_versions_and_link_parents(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path)
    store.save("s", schema())
    record = store.save("s", schema(("a", "b", "c")))
    assert (record.version, record.parent) == (2, 1)
    assert store.latest("s").version == 2


def test_get_returns_each_version(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path)
    store.save("s", schema())
    store.save("s", schema(("x",)))
    assert store.get("s", 1).feature("c") == schema().feature("c")
    assert store.get("s", 2).feature("c") == schema(("x",)).feature("c")


def test_stored_file_is_a_plain_schema_document(tmp_path: Path) -> None:
    SchemaStore(tmp_path).save("s", schema())
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["v1.json", "v1.meta.json"]


def test_content_hash_ignores_the_version_number(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path)
    a = store.save("s", schema())
    b = store.save("s", schema())
    c = store.save("s", schema(("z",)))
    assert a.content_hash == b.content_hash != c.content_hash


def test_history_is_oldest_first(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path)
    for i in range(3):
        store.save("s", schema(), message=f"m{i}")
    assert [r.message for r in store.history("s")] == ["m0", "m1", "m2"]


def test_names_lists_stored_schemas(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path)
    store.save("b", schema())
    store.save("a", schema())
    assert store.names() == ["a", "b"]


def test_diff_of_two_versions(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path)
    store.save("s", schema())
    store.save("s", schema(("a",)))
    [change] = store.diff("s", 1, 2)
    assert change.kind is ChangeKind.DOMAIN_VALUES_REMOVED


def test_check_compatible_against_latest(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path)
    store.save("s", schema())
    assert store.check_compatible("s", schema(("a", "b", "c")), "BACKWARD")
    assert not store.check_compatible("s", schema(("a",)), "BACKWARD")


def test_resolve_name_and_version(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path)
    store.save("s", schema())
    store.save("s", schema(("q",)))
    assert store.resolve("s@1").version == 1
    assert store.resolve("s").version == 2


def test_parse_schema_ref() -> None:
    assert parse_schema_ref("taxi@12") == ("taxi", 12)
    assert parse_schema_ref("taxi") == ("taxi", None)


def test_bad_version_in_ref_is_refused() -> None:
    with pytest.raises(StoreError, match="positive integer"):
        parse_schema_ref("taxi@latest")


def test_unknown_name_lists_known_ones(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path)
    store.save("known", schema())
    with pytest.raises(StoreError, match=r"no schema named 'nope' \(known: known\)"):
        store.latest("nope")


def test_unknown_version_lists_versions(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path)
    store.save("s", schema())
    with pytest.raises(StoreError, match=r"has no version 7 \(versions: 1\)"):
        store.get("s", 7)


def test_invalid_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a valid schema name"):
        SchemaStore(tmp_path).save("../escape", schema())


def test_unknown_parent_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no version 3 to derive from"):
        SchemaStore(tmp_path).save("s", schema(), parent=3)


def test_invalid_schema_leaves_no_version(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path)
    bad = Schema(
        features=(Feature(name="x", type=FeatureType.INT, domain=IntDomain(min=2, max=1)),)
    )
    with pytest.raises(SchemaFormatError):
        store.save("s", bad)
    assert store.names() == []
    assert not (tmp_path / "s").exists()


def test_hand_edited_version_file_names_the_file(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path)
    store.save("s", schema())
    (tmp_path / "s" / "v1.json").write_text("{")
    with pytest.raises(SchemaFormatError, match=r"v1\.json: malformed JSON"):
        store.latest("s")


def test_leftovers_of_a_dead_writer_are_ignored(tmp_path: Path) -> None:
    store = SchemaStore(tmp_path)
    store.save("s", schema())
    folder = tmp_path / "s"
    (folder / "v2.claim").touch()
    (folder / ".v2.json.abc.tmp").write_text('{"format_version": 1, "ver')
    (folder / "v2.meta.json").write_text("{}")
    assert store.versions("s") == [1]
    assert store.save("s", schema()).version == 3
    assert [r.version for r in store.history("s")] == [1, 3]


def _save_many(root: str, writer: int, count: int, barrier: Barrier) -> None:
    store = SchemaStore(root)
    barrier.wait()
    for i in range(count):
        store.save("shared", schema((f"w{writer}", f"i{i}")), message=f"w{writer}-{i}")


def test_eight_concurrent_writers_lose_and_corrupt_nothing(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(8)
    procs = [ctx.Process(target=_save_many, args=(str(tmp_path), w, 5, barrier)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * 8
    store = SchemaStore(tmp_path)
    assert store.versions("shared") == list(range(1, 41))
    messages = {r.message for r in store.history("shared")}
    assert messages == {f"w{w}-{i}" for w in range(8) for i in range(5)}
    for v in range(1, 41):
        stored = store.get("shared", v)
        writer, i = store.metadata("shared", v).message.split("-")
        assert stored.version == v
        assert stored.features[0].domain == StringDomain(values=(writer, f"i{i}"))


def _save_forever(root: str, ready: Event) -> None:
    store = SchemaStore(root)
    values = StringDomain(values=tuple(map(str, range(200))))
    big = Schema(
        features=tuple(
            Feature(name=f"f{i}", type=FeatureType.STRING, domain=values) for i in range(50)
        )
    )
    store.save("victim", big, message="x")
    ready.set()  # after one whole save: the kills below land in later saves, even under load
    while True:
        store.save("victim", big, message="x")


@pytest.mark.slow
def test_writer_killed_mid_save_leaves_store_readable(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")  # forked: no interpreter start-up per kill
    for delay in (0.02, 0.05, 0.11, 0.23):
        ready = ctx.Event()
        proc = ctx.Process(target=_save_forever, args=(str(tmp_path), ready))
        proc.start()
        assert ready.wait(30)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        assert proc.exitcode == -signal.SIGKILL
    store = SchemaStore(tmp_path)
    # Leftovers may or may not exist depending on where each kill landed; readers skip them.
    versions = store.versions("victim")
    assert versions
    for v in versions:
        assert len(store.get("victim", v).features) == 50
        assert store.metadata("victim", v).version == v
    after = store.save("victim", schema())
    assert after.version > versions[-1]
    assert store.latest("victim") == store.get("victim", after.version)


def test_resolve_reads_a_schema_file_or_a_stored_version(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow_metadata")
    from datacheck.schema import save_schema, save_tfdv_schema

    store = SchemaStore(tmp_path / "store")
    store.save("s", schema(("a",)))
    store.save("s", schema(("a", "b")))
    save_schema(schema(("x",)), tmp_path / "file.json")
    save_tfdv_schema(schema(("y",)), tmp_path / "file.pbtxt")
    domains = {
        ref: store.resolve(ref).features[0].domain
        for ref in ("s", "s@1", str(tmp_path / "file.json"), str(tmp_path / "file.pbtxt"))
    }
    assert [d.values for d in domains.values()] == [("a", "b"), ("a",), ("x",), ("y",)]


def test_a_missing_schema_file_is_not_taken_for_a_name(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        SchemaStore(tmp_path).resolve("nope.json")


def test_the_default_store_comes_from_the_argument_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATACHECK_STORE", str(tmp_path / "env"))
    assert SchemaStore.default(tmp_path / "arg").root == tmp_path / "arg"
    assert SchemaStore.default().root == tmp_path / "env"
    monkeypatch.delenv("DATACHECK_STORE")
    assert SchemaStore.default().root == Path(".datacheck") / "schemas"
