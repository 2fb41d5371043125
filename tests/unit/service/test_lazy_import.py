"""``import datacheck`` and ``datacheck --help`` never import the service's web stack."""

from __future__ import annotations

import json
import subprocess
import sys

WEB = ("starlette", "uvicorn", "prometheus_client", "datacheck.service")


def _imported(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_import_datacheck_imports_no_web_stack() -> None:
    assert not {m.split(".")[0] for m in _imported("import datacheck")} & set(WEB)


def test_building_the_command_imports_no_web_stack() -> None:
    code = "from datacheck.cli import build_parser\nbuild_parser(['--help'])"
    modules = _imported(code)
    assert [m for m in modules if m.startswith(WEB)] == []
