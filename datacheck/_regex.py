"""Patterns and unique keys: what a valid pattern is, its dialects, and how a key is named.

A feature's ``pattern`` is an RE2 expression (what Arrow's ``match_substring_regex`` runs),
matched against the whole value: validation wraps it as ``\\A(?:regex)\\z``. RE2 has no
lookaround and no backreferences (it guarantees linear time), so such a pattern is a schema
error, found by compiling it with Arrow itself rather than by guessing at RE2's grammar.

Three dialects meet here and disagree on some constructs (the README's Patterns section has the
table): RE2 (validation), Python's ``re`` (hypothesis' ``from_regex`` for generated data) and
ECMA-262 (JSON Schema's ``pattern``). :func:`ecma_problem` and :func:`python_problem` name the
first construct of a pattern whose meaning differs between RE2 and the other dialect, so that
an export or a generator leaves out what it would get wrong instead of silently changing it.

One owner for these rules: the schema checks, row validation, the JSON Schema export and the
hypothesis strategies all use this module.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["anchored", "ecma_problem", "key_name", "python_problem", "re2_problem"]


def anchored(regex: str) -> str:
    """``regex`` matched against the whole value, in RE2: ``\\A`` and ``\\z`` are the start and
    the very end of the text (RE2's ``$`` is too, but Python's also matches before a final
    newline, so the unambiguous form is used)."""
    return rf"\A(?:{regex})\z"


def re2_problem(regex: str) -> str | None:
    """Why RE2 rejects ``regex`` (as Arrow words it), or None when it compiles.

    Compiled twice: as written (so that ``a)|(b`` is not accepted because the wrapping parens
    balance it) and anchored, as validation runs it.
    """
    probe = pa.array([""], pa.string())  # Arrow compiles the expression on a non-empty input
    for form in (regex, anchored(regex)):
        try:
            pc.match_substring_regex(probe, form)
        except pa.ArrowInvalid as error:
            return str(error).removeprefix("Invalid regular expression: ")
    return None


# Constructs whose meaning differs between RE2 and the other dialect, each with why. Checked by
# a scan that skips escaped characters, so ``\\(?i)`` (a literal backslash, then ``(?i)``) is
# still caught and ``\\\\A`` (a literal backslash, then A) is not.
_NOT_ECMA: tuple[tuple[str, str], ...] = (
    (r"\A", "\\A (start of text) is not ECMA-262; ^ is"),
    (r"\z", "\\z (end of text) is not ECMA-262; $ is"),
    (r"\Q", "\\Q...\\E quoting is not ECMA-262"),
    (r"\C", "\\C (any byte) is not ECMA-262"),
    (r"\p", "\\p{...} classes need ECMA-262's u flag, which JSON Schema does not promise"),
    (r"\P", "\\P{...} classes need ECMA-262's u flag, which JSON Schema does not promise"),
    (r"\s", "\\s is ASCII whitespace in RE2 but Unicode whitespace (and \\v) in ECMA-262"),
    (r"\S", "\\S is ASCII whitespace in RE2 but Unicode whitespace (and \\v) in ECMA-262"),
    ("(?P", "(?P<name>...) groups are (?<name>...) in ECMA-262"),
    ("(?i", "inline flags (?i) are not ECMA-262"),
    ("(?s", "inline flags (?s) are not ECMA-262"),
    ("(?m", "inline flags (?m) are not ECMA-262"),
    ("(?U", "inline flags (?U) are not ECMA-262"),
    ("(?-", "inline flags (?-...) are not ECMA-262"),
    ("[[:", "POSIX classes [[:alpha:]] are not ECMA-262"),
)
_NOT_PYTHON: tuple[tuple[str, str], ...] = (
    (r"\z", "\\z is not Python's re (3.11 has \\Z)"),
    (r"\Q", "\\Q...\\E quoting is not Python's re"),
    (r"\C", "\\C (any byte) is not Python's re"),
    (r"\p", "\\p{...} classes are not Python's re"),
    (r"\P", "\\P{...} classes are not Python's re"),
    ("(?U", "(?U) is ungreedy in RE2 but Unicode in Python's re"),
    ("[[:", "POSIX classes [[:alpha:]] are not Python's re"),
)


def _first(regex: str, constructs: tuple[tuple[str, str], ...]) -> str | None:
    i = 0
    while i < len(regex):
        for text, why in constructs:
            if regex.startswith(text, i):
                return why
        # An escape is two characters: its second never starts a construct.
        i += 2 if regex[i] == "\\" else 1
    return None


def ecma_problem(regex: str) -> str | None:
    """The first construct of the RE2 ``regex`` that ECMA-262 (JSON Schema's ``pattern``)
    reads differently or not at all, or None when the two agree.

    What is left (literals, classes, ``\\d``, ``\\w``, ``\\b``, repetitions, alternation,
    groups) means the same in both, except that ``.`` also stops at ``\\r``, U+2028 and U+2029
    in ECMA-262 (only at ``\\n`` in RE2): a documented difference, not refused.
    """
    return _first(regex, _NOT_ECMA)


def python_problem(regex: str) -> str | None:
    """The first construct of the RE2 ``regex`` that Python's ``re`` reads differently or not
    at all, or None when, compiled with ``re.ASCII``, the two agree (RE2's ``\\d``, ``\\w``,
    ``\\s`` and ``\\b`` are ASCII; Python's are Unicode unless told)."""
    why = _first(regex, _NOT_PYTHON)
    if why is not None:
        return why
    try:
        re.compile(regex, re.ASCII)
    except re.error as error:
        return f"Python's re rejects it: {error}"
    return None


def key_name(key: tuple[str, ...]) -> str:
    """How a unique key is named in reasons and anomalies: its features, comma-separated."""
    return ",".join(key)
