"""The datacheck command's frame: exit codes, one-line errors, --version, python -m datacheck."""

from __future__ import annotations

import argparse
import subprocess
import sys
import types
from collections.abc import Callable, Iterator

import pytest

import datacheck
import datacheck.cli
from datacheck.cli import main
from datacheck.errors import InputError


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datacheck", *args], capture_output=True, text=True, check=False
    )


@pytest.fixture
def fake_command(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[], int]], None]]:
    """Install a command ``fake`` whose run calls the given function."""

    def install(action: Callable[[], int]) -> None:
        module = types.ModuleType("datacheck.cli._cmd_fake")

        def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
            parser = subparsers.add_parser("fake", help="a test command")
            parser.set_defaults(run=lambda _args: action())

        module.register = register  # type: ignore[attr-defined]  # a module built at run time
        monkeypatch.setitem(sys.modules, "datacheck.cli._cmd_fake", module)
        monkeypatch.setattr(datacheck.cli, "COMMANDS", (*datacheck.cli.COMMANDS, "fake"))

    yield install


def test_version_prints_and_exits_zero() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"datacheck {datacheck.__version__}"


def test_help_exits_zero() -> None:
    result = _run("--help")
    assert result.returncode == 0
    assert "usage: datacheck" in result.stdout


def test_unknown_command_is_one_stderr_line_and_exit_2() -> None:
    result = _run("no-such-command")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("datacheck: error:")
    assert "Traceback" not in result.stderr


def test_no_command_is_a_usage_error() -> None:
    result = _run()
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_python_m_datacheck_cli_also_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "datacheck.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0


def test_command_return_code_is_main_return_code(fake_command: Callable[..., None]) -> None:
    fake_command(lambda: 1)
    assert main(["fake"]) == 1


def test_datacheck_error_is_one_line_exit_2(
    fake_command: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    def fail() -> int:
        raise InputError("data.csv: line 3 has 3 fields\nbut the header has 2")

    fake_command(fail)
    assert main(["fake"]) == 2
    err = capsys.readouterr().err
    assert err == "datacheck: error: data.csv: line 3 has 3 fields but the header has 2\n"


def test_keyboard_interrupt_exits_130_quietly(
    fake_command: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupt() -> int:
        raise KeyboardInterrupt

    fake_command(interrupt)
    assert main(["fake"]) == 130
    assert capsys.readouterr().err == ""


def test_os_error_writing_output_is_one_line_exit_2(
    fake_command: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    def deny() -> int:
        raise PermissionError(13, "Permission denied", "/root/profile.json")

    fake_command(deny)
    assert main(["fake"]) == 2
    assert capsys.readouterr().err == "datacheck: error: /root/profile.json: Permission denied\n"


def test_closed_stdout_exits_quietly() -> None:
    # A command writing more than a pipe holds, read by a consumer that stops at once (| head).
    code = (
        "import sys, datacheck.cli as c\n"
        "from datacheck.cli import main\n"
        "import types, argparse\n"
        "m = types.ModuleType('datacheck.cli._cmd_spam')\n"
        "def run(_a):\n"
        "    for _ in range(100000): print('x' * 100)\n"
        "    return 0\n"
        "m.register = lambda s: s.add_parser('spam').set_defaults(run=run)\n"
        "sys.modules['datacheck.cli._cmd_spam'] = m\n"
        "c.COMMANDS = ('spam',)\n"
        "sys.exit(main(['spam']))\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.read(10)
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
    assert "Traceback" not in err
    assert err == ""
    assert proc.returncode == 141
