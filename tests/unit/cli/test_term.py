"""Terminal helpers: colour and progress only on a terminal, aligned tables in 80 columns."""

from __future__ import annotations

import io

import pytest

from datacheck.cli._term import ProgressBar, colour, format_table, is_terminal


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "CI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")


def test_pipe_is_not_a_terminal() -> None:
    assert not is_terminal(io.StringIO())


def test_closed_stream_is_not_a_terminal() -> None:
    stream = io.StringIO()
    stream.close()
    assert not is_terminal(stream)


def test_colour_on_a_terminal() -> None:
    assert colour("ok", "green", _Tty()) == "\033[32mok\033[0m"


def test_no_colour_in_a_pipe() -> None:
    assert colour("ok", "green", io.StringIO()) == "ok"


@pytest.mark.parametrize(("name", "value"), [("NO_COLOR", "1"), ("TERM", "dumb"), ("CI", "1")])
def test_environment_turns_colour_off(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert colour("ok", "red", _Tty()) == "ok"


def test_progress_bar_draws_nothing_in_a_pipe() -> None:
    stream = io.StringIO()
    with ProgressBar(total=10, stream=stream) as bar:
        bar.update(5)
    assert stream.getvalue() == ""
    assert bar.done == 5


def test_progress_bar_draws_on_a_terminal_and_clears() -> None:
    stream = _Tty()
    with ProgressBar(total=100, label="rows", stream=stream) as bar:
        bar.update(50)
    text = stream.getvalue()
    assert "50%" in text
    assert text.endswith("\r\033[K")


def test_progress_bar_off_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    stream = _Tty()
    with ProgressBar(total=100, stream=stream) as bar:
        bar.update(50)
    assert stream.getvalue() == ""


def test_table_aligns_numbers_right_and_text_left() -> None:
    table = format_table(["name", "count"], [["a", 5], ["bbb", 12345]])
    assert table.splitlines() == [
        "name   count",
        "----  ------",
        "a          5",
        "bbb   12,345",
    ]


def test_table_fits_in_the_width() -> None:
    table = format_table(["feature", "note"], [["x" * 60, "y" * 60]], width=80)
    assert max(len(line) for line in table.splitlines()) <= 80
    assert "…" in table
