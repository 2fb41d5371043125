"""What ``import datacheck`` costs: no pandas, no report, no extras, little over its dependencies.

Each check runs a fresh interpreter, since this one has imported everything already.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from datacheck.errors import MissingExtraError

#: the modules ``import datacheck`` must leave alone: pandas alone costs ~0.3 s; the report is
#: the layer above validate and stats; the rest are extras or test tools
NOT_IMPORTED = ("pandas", "datacheck.report", "apache_beam", "hypothesis", "polars", "torch")

#: the libraries ``import datacheck`` cannot do without, imported alone
DEPENDENCIES = "import pyarrow, numpy, datasketches, jsonschema"

#: what loading datacheck's whole API may cost beyond them: measured 0.13-0.20 s on this
#: busy 2-core machine (some 60 frozen dataclasses, pyarrow.compute), against 0.3 s more for
#: pandas alone; ``import datacheck`` itself loads names on first use
API_EXTRA_SECONDS = 0.3


def _run(code: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout


def _imported_by(code: str) -> set[str]:
    listing = _run(f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))")
    return set(json.loads(listing.splitlines()[-1]))


def _among(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m in names or m.startswith(tuple(n + "." for n in names)))


#: the core's whole public API, loaded (``import datacheck`` alone loads names on first use)
CORE_API = "import datacheck\nfor name in datacheck.__all__: getattr(datacheck, name)"


def test_import_datacheck_imports_no_pandas_report_or_extra() -> None:
    assert _among(_imported_by("import datacheck"), NOT_IMPORTED) == []
    assert _among(_imported_by(CORE_API), NOT_IMPORTED) == []


def test_import_datacheck_loads_names_on_first_use() -> None:
    loaded = _imported_by("import datacheck")
    assert "datacheck.validate" not in loaded and "pyarrow" not in loaded
    assert {"datacheck.validate", "datacheck.schema"} <= _imported_by(CORE_API)


def test_help_imports_neither_pandas_nor_torch() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "datacheck", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    # -X importtime writes one line per module imported: "import time: self | total | name".
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "datacheck.cli" in imported
    assert _among(imported, ("pandas", "torch")) == []


def _import_seconds(statement: str, env: dict[str, str]) -> float:
    code = f"import time\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)"
    return float(_run(code, env))


@pytest.mark.slow
def test_import_datacheck_costs_little_more_than_its_dependencies(tmp_path: Path) -> None:
    # Bytecode is written (to tmp_path, not the tree) so that both imports are warm: with
    # PYTHONDONTWRITEBYTECODE set, compiling datacheck alone takes ~0.08 s on every start.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path)
    _run(CORE_API, env)
    # A difference, not an absolute time: both are measured here, in turns, on the same busy
    # machine, and each keeps its best of five.
    dependencies, datacheck, api = math.inf, math.inf, math.inf
    for _ in range(5):
        dependencies = min(dependencies, _import_seconds(DEPENDENCIES, env))
        datacheck = min(datacheck, _import_seconds("import datacheck", env))
        api = min(api, _import_seconds(CORE_API, env))
    print(
        f"import datacheck: {datacheck:.3f} s; its whole API: {api:.3f} s; pyarrow, numpy, "
        f"datasketches and jsonschema: {dependencies:.3f} s"
    )
    assert datacheck < dependencies
    assert api - dependencies < API_EXTRA_SECONDS


def test_import_beam_without_beam_raises_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.split(".")[:2] == ["datacheck", "beam"]]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "apache_beam", None)
    with pytest.raises(ImportError, match=r"pip install 'datacheck-ml\[beam\]'") as info:
        importlib.import_module("datacheck.beam")
    assert isinstance(info.value, MissingExtraError)
