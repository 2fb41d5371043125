"""Terminal helpers shared by the commands: terminal detection, colour, a progress bar, tables.

Everything here degrades to plain text: colour and the progress bar appear only on a terminal,
never in a pipe or a file, and never when ``NO_COLOR`` is set, ``TERM=dumb``, or ``CI`` is set.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Sequence
from types import TracebackType
from typing import IO, Literal

__all__ = ["ProgressBar", "Style", "colour", "format_table", "is_terminal", "plain_output"]

#: the styles colour() knows; annotate a variable with it when the style is chosen at run time
Style = Literal["bold", "dim", "red", "green", "yellow", "cyan"]

_STYLES: dict[str, str] = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "cyan": "36",
}


def is_terminal(stream: IO[str]) -> bool:
    """Whether ``stream`` is an interactive terminal (False for pipes, files, closed streams)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def plain_output() -> bool:
    """Whether the environment asks for plain output (``NO_COLOR``, ``TERM=dumb``, ``CI``)."""
    return (
        bool(os.environ.get("NO_COLOR"))
        or os.environ.get("TERM") == "dumb"
        or bool(os.environ.get("CI"))
    )


def colour(text: str, style: Style, stream: IO[str]) -> str:
    """``text`` wrapped in the ANSI codes of ``style`` when ``stream`` is a colour terminal.

    Args:
        text: What to print.
        style: One of bold, dim, red, green, yellow, cyan.
        stream: Where the text will be written (colour only if it is a terminal).
    """
    if plain_output() or not is_terminal(stream):
        return text
    return f"\033[{_STYLES[style]}m{text}\033[0m"


def _human(amount: float, unit: str) -> str:
    if unit == "bytes":
        for suffix in ("B", "KiB", "MiB", "GiB"):
            if amount < 1024 or suffix == "GiB":
                return f"{amount:,.0f} {suffix}" if suffix == "B" else f"{amount:,.1f} {suffix}"
            amount /= 1024
    return f"{amount:,.0f} {unit}"


class ProgressBar:
    """A one-line progress display on stderr, drawn only on a terminal.

    Use it as a context manager and call :meth:`update` with the rows (or bytes) just
    processed; the line is redrawn at most ten times a second and cleared on exit.

    Args:
        total: The expected amount, or None when unknown (then only the count is shown).
        unit: ``"rows"`` or ``"bytes"``.
        label: Text before the bar.
        stream: Where to draw (default ``sys.stderr``).
    """

    def __init__(
        self,
        *,
        total: int | None = None,
        unit: Literal["rows", "bytes"] = "rows",
        label: str = "",
        stream: IO[str] | None = None,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._total = total
        self._unit = unit
        self._label = label
        self._done = 0
        self._last_draw = 0.0
        self.enabled = is_terminal(self._stream) and not plain_output()

    @property
    def done(self) -> int:
        """The amount processed so far."""
        return self._done

    def update(self, amount: int) -> None:
        """Add ``amount`` processed rows or bytes, redrawing if enough time has passed."""
        self._done += amount
        now = time.monotonic()
        if self.enabled and now - self._last_draw >= 0.1:
            self._last_draw = now
            self._draw()

    def _line(self, width: int) -> str:
        label = f"{self._label} " if self._label else ""
        count = _human(self._done, self._unit)
        if not self._total:
            return f"{label}{count}"[:width]
        fraction = min(self._done / self._total, 1.0)
        tail = f" {fraction:4.0%} {count}"
        bar_width = max(width - len(label) - len(tail) - 2, 10)
        filled = int(bar_width * fraction)
        return f"{label}[{'#' * filled}{'.' * (bar_width - filled)}]{tail}"[:width]

    def _draw(self) -> None:
        width = shutil.get_terminal_size((80, 24)).columns - 1
        self._stream.write("\r" + self._line(width))
        self._stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.enabled and self._last_draw:
            self._stream.write("\r\033[K")
            self._stream.flush()


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, width: int = 80
) -> str:
    """Rows as an aligned plain-text table that fits in ``width`` columns.

    Numbers are right-aligned (ints with thousands separators, floats to 4 significant
    digits), everything else left-aligned; the widest columns are cut with "…" until the table
    fits (the first column in the middle, so that names keep their ends).

    Args:
        headers: Column titles.
        rows: One sequence of cells per row, as long as ``headers``.
        width: The most characters a line may hold.

    Returns:
        The table, lines joined by newlines, without a trailing newline.
    """
    text = [[_cell(v) for v in row] for row in rows]
    numeric = [
        bool(rows)
        and all(
            (isinstance(row[i], int | float) and not isinstance(row[i], bool)) or row[i] is None
            for row in rows
        )
        for i in range(len(headers))
    ]
    widths = [max([len(h)] + [len(r[i]) for r in text]) for i, h in enumerate(headers)]
    gap = 2
    while sum(widths) + gap * (len(widths) - 1) > width and max(widths) > 4:
        widest = widths.index(max(widths))
        widths[widest] -= 1

    def fit(value: str, size: int, right: bool, first: bool = False) -> str:
        if len(value) > size and first:
            # The first column names the row; long names often differ only at the end
            # (``..._train``, ``..._test``), so keep both ends.
            head = size // 2
            value = value[:head] + "…" + value[len(value) - (size - 1 - head) :]
        elif len(value) > size:
            value = value[: size - 1] + "…"
        return value.rjust(size) if right else value.ljust(size)

    lines = [
        (" " * gap).join(fit(h, widths[i], numeric[i]) for i, h in enumerate(headers)).rstrip(),
        (" " * gap).join("-" * w for w in widths),
    ]
    lines.extend(
        (" " * gap).join(fit(v, widths[i], numeric[i], i == 0) for i, v in enumerate(row)).rstrip()
        for row in text
    )
    return "\n".join(lines)
