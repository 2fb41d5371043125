"""The distribution name: "datacheck" on PyPI is an unrelated project (datacheck 0.3.0).

So datacheck is published as DISTRIBUTION (the import name stays ``datacheck``), and every
install hint, in the README and in messages, names it or installs from a clone.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from datacheck.errors import DISTRIBUTION

ROOT = Path(__file__).parents[2]
#: ``pip install 'NAME[EXTRAS]'`` or ``pip install -e '.[EXTRAS]'``, as written in docs and
#: messages (not an f-string's ``{DISTRIBUTION}``)
_INSTALL = re.compile(r"pip install (?:-e )?'([\w.-]+)\[([a-z,]+)\]'")


def _project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)["project"]
    assert isinstance(project, dict)
    return project


def _texts() -> list[Path]:
    return [
        ROOT / "README.md",
        ROOT / "pyproject.toml",
        *sorted((ROOT / "datacheck").rglob("*.py")),
        *sorted((ROOT / "tests").rglob("*.py")),
    ]


def test_the_project_is_published_under_the_distribution_name() -> None:
    assert _project()["name"] == DISTRIBUTION != "datacheck"


def test_every_install_hint_names_the_distribution_or_a_clone_and_a_real_extra() -> None:
    extras = set(_project()["optional-dependencies"])  # type: ignore[arg-type]
    wrong = [
        f"{path.relative_to(ROOT)}: {m[0]}"
        for path in _texts()
        for m in _INSTALL.finditer(path.read_text(encoding="utf-8"))
        if m[1] not in (DISTRIBUTION, ".") or not set(m[2].split(",")) <= extras
    ]
    assert wrong == []
