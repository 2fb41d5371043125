"""A third-party plugin, installed as a real distribution with its own entry point, adds a command.

The plugin packages are written here, into a temporary folder put on ``PYTHONPATH`` with their
``.dist-info`` metadata, so discovery goes through ``importlib.metadata`` as it does for a
``pip install``-ed package; datacheck is not touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

DEMO = Path(__file__).parents[1] / "data" / "demo" / "cars.csv"

HELLO = {
    "dc_hello/__init__.py": """
        from datacheck.plugin import Command, Plugin

        PLUGIN = Plugin(
            name="hello",
            api_version=1,
            commands=(Command(name="hello", help="greet someone (a test plugin)",
                              register="dc_hello.cli:register"),),
            beam_stages={"Greet": "dc_hello.cli:Greet"},
        )
    """,
    # The command's module imports a "heavy" dependency, which leaves a mark when imported.
    "dc_hello/cli.py": """
        import dc_heavy  # noqa: F401

        class Greet:
            pass

        def run(args):
            print(f"hello {args.who}")
            return 0

        def register(subparsers):
            parser = subparsers.add_parser("hello", help="greet someone (a test plugin)")
            parser.add_argument("who")
            parser.set_defaults(run=run)
    """,
    "dc_heavy.py": """
        import os
        open(os.environ["HEAVY_MARK"], "w").close()
    """,
    "dc_hello-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: dc-hello\nVersion: 0.1\n",
    "dc_hello-0.1.dist-info/entry_points.txt": "[datacheck.plugins]\nhello = dc_hello:PLUGIN\n",
}

BROKEN = {
    "dc_broken/__init__.py": "raise ImportError('No module named torch')\n",
    "dc_broken-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: dc-broken\nVersion: 0.1\n",
    "dc_broken-0.1.dist-info/entry_points.txt": "[datacheck.plugins]\nbroken = dc_broken:PLUGIN\n",
}


def _install(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def _datacheck(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "HEAVY_MARK": str(root / "heavy-imported")}
    return subprocess.run(
        [sys.executable, "-m", "datacheck", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    _install(tmp_path, HELLO)
    return tmp_path


def test_a_plugin_command_runs(site: Path) -> None:
    done = _datacheck(site, "hello", "world")
    assert (done.returncode, done.stdout, done.stderr) == (0, "hello world\n", "")
    assert (site / "heavy-imported").exists()


def test_help_lists_the_command_without_importing_its_module(site: Path) -> None:
    done = _datacheck(site, "--help")
    assert done.returncode == 0
    assert "hello" in done.stdout and "greet someone (a test plugin)" in done.stdout
    assert not (site / "heavy-imported").exists()


def test_another_command_does_not_import_the_plugin_command(site: Path) -> None:
    done = _datacheck(site, "plugins")
    assert done.returncode == 0, done.stderr
    assert "hello" in done.stdout and "Greet" in done.stdout
    assert not (site / "heavy-imported").exists()


def test_a_broken_plugin_is_named_and_the_rest_works(site: Path) -> None:
    _install(site, BROKEN)
    done = _datacheck(site, "stats", str(DEMO))
    assert done.returncode == 0, done.stderr
    assert "plugin 'broken' (dc_broken:PLUGIN) is not available" in done.stderr
    assert "No module named torch" in done.stderr
    assert "Traceback" not in done.stderr
    assert _datacheck(site, "hello", "again").stdout == "hello again\n"
    listed = _datacheck(site, "plugins")
    assert listed.returncode == 1
    assert "broken (dc_broken:PLUGIN): cannot import dc_broken:PLUGIN" in listed.stdout
