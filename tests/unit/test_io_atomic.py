"""Atomic writers: round trips, JSON layout, and failures that leave the old file intact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datacheck.io import atomic_output, write_bytes_atomic, write_json_atomic


def test_json_round_trip(tmp_path: Path) -> None:
    document = {"b": 1, "a": [1.5, None, "é"], "c": {"d": True}}
    write_json_atomic(tmp_path / "d.json", document)
    assert json.loads((tmp_path / "d.json").read_text(encoding="utf-8")) == document


def test_json_keeps_insertion_order_indent_and_trailing_newline(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "d.json", {"z": 1, "a": 2})
    assert (tmp_path / "d.json").read_text() == '{\n  "z": 1,\n  "a": 2\n}\n'


def test_json_is_utf8_not_escaped(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "d.json", {"k": "é"})
    assert "é".encode() in (tmp_path / "d.json").read_bytes()


def test_json_refuses_nan_and_names_its_pointer(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"JSON pointer /a/1"):
        write_json_atomic(tmp_path / "d.json", {"a": [1.0, float("nan")]})
    assert not (tmp_path / "d.json").exists()


def test_json_refusal_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "d.json"
    target.write_text("old")
    with pytest.raises(ValueError):
        write_json_atomic(target, {"x": float("inf")})
    assert target.read_text() == "old"


def test_bytes_round_trip_replaces_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "b.bin"
    target.write_bytes(b"old")
    write_bytes_atomic(target, b"\x00new")
    assert target.read_bytes() == b"\x00new"


def test_failed_atomic_output_keeps_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_atomic_output_temp_file_is_in_the_target_directory(tmp_path: Path) -> None:
    with atomic_output(tmp_path / "out.txt") as tmp:
        assert tmp.parent == tmp_path
        tmp.write_text("new")
    assert (tmp_path / "out.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        write_bytes_atomic(tmp_path / "no" / "x.bin", b"")
