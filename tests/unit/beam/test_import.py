"""datacheck.beam is an extra: without Apache Beam, importing it names the pip install."""

from __future__ import annotations

import importlib
import sys

import pytest

import datacheck.beam
from datacheck.errors import MissingExtraError


def test_import_without_beam_raises_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.split(".")[:2] == ["datacheck", "beam"]]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "apache_beam", None)
    with pytest.raises(ImportError, match=r"pip install 'datacheck\[beam\]'") as info:
        importlib.import_module("datacheck.beam")
    assert isinstance(info.value, MissingExtraError)


def _ruff_order(name: str) -> tuple[int, str]:
    # RUF022's order: CONSTANTS, then Classes, then functions, each alphabetical.
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def test_all_is_sorted_and_exported() -> None:
    assert datacheck.beam.__all__ == sorted(datacheck.beam.__all__, key=_ruff_order)
    for name in datacheck.beam.__all__:
        assert hasattr(datacheck.beam, name)
