"""Import rules that keep the packages apart, checked on the source so they cannot come back.

- No module outside a package imports that package's underscore modules: ``datacheck.beam``
  may not import ``datacheck.io._files``; ``datacheck.io._atomic`` may import
  ``datacheck.io._files``. Plugins import only datacheck's public names.
- The core imports no plugin and never torch.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SOURCES = sorted([*(ROOT / "datacheck").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")])


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[0] == "plugins":
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Every module an import statement names, absolute, with its line."""
    here = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # ``from datacheck.io import _files``
                if alias.name.startswith("_"):
                    yield node.lineno, f"{base}.{alias.name}"


def _private_owner(name: str) -> str | None:
    """The package that owns the first underscore module in ``name``, if any."""
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def _violations() -> Iterator[str]:
    for path in SOURCES:
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in _imported(tree, module, path.name == "__init__.py"):
            owner = _private_owner(name)
            if not name.startswith(("datacheck", "datacheck_")) or owner is None:
                continue
            if module != owner and not module.startswith(owner + "."):
                yield f"{path.relative_to(ROOT)}:{line}: imports {name} (private to {owner})"


def test_no_module_imports_another_packages_underscore_modules() -> None:
    assert list(_violations()) == []


def test_the_rule_catches_a_private_import() -> None:
    tree = ast.parse("from datacheck.io._files import expand_paths\n")
    names = [n for _, n in _imported(tree, "datacheck.beam._io", False)]
    assert _private_owner(names[0]) == "datacheck.io"
    assert not "datacheck.beam._io".startswith("datacheck.io.")


@pytest.mark.parametrize(
    "path", sorted((ROOT / "datacheck").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_the_core_imports_no_plugin_and_no_torch(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [n for _, n in _imported(tree, _module_name(path), path.name == "__init__.py")]
    assert [n for n in names if n.split(".")[0] == "torch" or n.startswith("datacheck_")] == []
