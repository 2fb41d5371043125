"""datacheck.beam's public names: ``__all__`` sorted, each one exported.

Importing it without Apache Beam is tested in ``tests/unit/test_import.py``, which runs there.
"""

from __future__ import annotations

import datacheck.beam


def _ruff_order(name: str) -> tuple[int, str]:
    # RUF022's order: CONSTANTS, then Classes, then functions, each alphabetical.
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def test_all_is_sorted_and_exported() -> None:
    assert datacheck.beam.__all__ == sorted(datacheck.beam.__all__, key=_ruff_order)
    for name in datacheck.beam.__all__:
        assert hasattr(datacheck.beam, name)
