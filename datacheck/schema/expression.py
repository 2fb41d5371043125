"""The row-check expression language: tokenizer, recursive-descent parser, AST and printer.

A row check's ``expression`` is parsed here, never evaluated by Python (no ``eval``, no
``ast``): ``datacheck.validate`` compiles the tree into ``pyarrow.compute`` calls. This module
only knows syntax, so the schema loader can reject a bad expression with its position before
any data is read.

The grammar, loosest binding first::

    expression := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum [("==" | "!=" | "<" | "<=" | ">" | ">=") sum | "is" ["not"] "null"]
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | atom
    atom       := number | string | "true" | "false" | "null" | name
                | function "(" expression ("," expression)* ")" | "(" expression ")"

A name is ``[A-Za-z_][A-Za-z0-9_.]*`` (a dotted name is a struct feature's path) or any text in
backticks, a backtick doubled inside (`` `ship date` ``). Strings are single- or double-quoted,
the quote doubled inside (``'O''Brien'``). Keywords (``and or not is null true false``) are
case-insensitive. Functions: ``abs(x)`` and ``sum(a, b, ...)`` (``a + b + ...``). Comparisons
do not chain: ``a < b < c`` is an error; write ``a < b and b < c``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from datacheck.errors import SchemaFormatError

__all__ = [
    "FUNCTIONS",
    "Binary",
    "Call",
    "Column",
    "ExpressionError",
    "IsNull",
    "Literal",
    "Node",
    "Unary",
    "column_names",
    "parse_expression",
    "print_expression",
]

#: function name -> (least, most) number of arguments (None: any number)
FUNCTIONS: dict[str, tuple[int, int | None]] = {"abs": (1, 1), "sum": (1, None)}

_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
_KEYWORDS = frozenset({"and", "or", "not", "is", "null", "true", "false"})


class ExpressionError(SchemaFormatError):
    """An expression that does not parse or does not fit the schema's features."""

    def __init__(self, reason: str = "", *, position: int = 0, **fields: Any) -> None:
        super().__init__(reason, **fields)
        #: where in the expression the problem is (0-based character offset)
        self.position = position

    def __str__(self) -> str:
        return f"character {self.position + 1}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Literal:
    """A number, a string, a boolean or null."""

    value: int | float | str | bool | None


@dataclass(frozen=True, slots=True)
class Column:
    """A column's (feature path's) value in the row."""

    name: str
    #: where the name starts in the parsed text (0-based; -1 when built in code); not part of
    #: equality, so a printed and re-parsed tree equals the original
    position: int = field(default=-1, compare=False)


@dataclass(frozen=True, slots=True)
class Unary:
    """``-x`` or ``not x``."""

    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    """Arithmetic (``+ - * /``), a comparison (``== != < <= > >=``), ``and`` or ``or``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class IsNull:
    """``x is null`` (or ``x is not null`` when ``negated``)."""

    operand: Node
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Call:
    """A function call: ``abs(x)``, ``sum(a, b, c)``."""

    name: str
    args: tuple[Node, ...]


#: a node of the expression tree
Node = Literal | Column | Unary | Binary | IsNull | Call


# --- tokens ----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<quoted>`(?:[^`]|``)*`)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<op>==|!=|<>|<=|>=|<|>|\+|-|\*|/|\(|\)|,)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, name, keyword, string, op, end
    text: str
    position: int
    value: object = None


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    at = 0
    while at < len(text):
        m = _TOKEN.match(text, at)
        if m is None:
            c = text[at]
            if c in "`'\"":
                raise ExpressionError(f"unclosed {c}", position=at)
            if c == "=":
                raise ExpressionError("'=' alone is no operator; compare with '=='", position=at)
            raise ExpressionError(f"unexpected character {c!r}", position=at)
        kind = m.lastgroup
        assert kind is not None
        piece = m.group()
        if kind == "number":
            number: int | float = float(piece) if any(c in piece for c in ".eE") else int(piece)
            if isinstance(number, float) and not math.isfinite(number):
                raise ExpressionError(f"number {piece} is too large", position=at)
            out.append(_Token("number", piece, at, number))
        elif kind == "name":
            if piece.lower() in _KEYWORDS:
                out.append(_Token("keyword", piece.lower(), at))
            else:
                out.append(_Token("name", piece, at, piece))
        elif kind == "quoted":
            name = piece[1:-1].replace("``", "`")
            if not name:
                raise ExpressionError("empty column name ``", position=at)
            out.append(_Token("name", piece, at, name))
        elif kind == "string":
            q = piece[0]
            out.append(_Token("string", piece, at, piece[1:-1].replace(q + q, q)))
        elif kind == "op":
            out.append(_Token("op", "!=" if piece == "<>" else piece, at))
        at = m.end()
    out.append(_Token("end", "", len(text)))
    return out


# --- parser ----------------------------------------------------------------------------------


class _Parser:
    __slots__ = ("at", "tokens")

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.at = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def take(self, kind: str, text: str | None = None) -> _Token | None:
        t = self.token
        if t.kind == kind and (text is None or t.text == text):
            self.at += 1
            return t
        return None

    def expect(self, kind: str, text: str, what: str) -> _Token:
        t = self.take(kind, text)
        if t is None:
            raise ExpressionError(
                f"expected {what}, found {_describe(self.token)}", position=self.token.position
            )
        return t

    def expression(self) -> Node:
        left = self.conjunction()
        while self.take("keyword", "or"):
            left = Binary("or", left, self.conjunction())
        return left

    def conjunction(self) -> Node:
        left = self.negation()
        while self.take("keyword", "and"):
            left = Binary("and", left, self.negation())
        return left

    def negation(self) -> Node:
        if self.take("keyword", "not"):
            return Unary("not", self.negation())
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        t = self.token
        if t.kind == "op" and t.text in _COMPARISONS:
            self.at += 1
            node: Node = Binary(t.text, left, self.sum())
        elif self.take("keyword", "is"):
            negated = self.take("keyword", "not") is not None
            self.expect("keyword", "null", "'null' after 'is'")
            node = IsNull(left, negated)
        else:
            return left
        after = self.token
        if (after.kind == "op" and after.text in _COMPARISONS) or (
            after.kind == "keyword" and after.text == "is"
        ):
            raise ExpressionError(
                "comparisons do not chain; join them with 'and'", position=after.position
            )
        return node

    def sum(self) -> Node:
        left = self.product()
        while (t := self.take("op", "+") or self.take("op", "-")) is not None:
            left = Binary(t.text, left, self.product())
        return left

    def product(self) -> Node:
        left = self.unary()
        while (t := self.take("op", "*") or self.take("op", "/")) is not None:
            left = Binary(t.text, left, self.unary())
        return left

    def unary(self) -> Node:
        if self.take("op", "-"):
            return Unary("-", self.unary())
        return self.atom()

    def atom(self) -> Node:
        t = self.token
        if t.kind in ("number", "string"):
            self.at += 1
            assert isinstance(t.value, int | float | str)
            return Literal(t.value)
        if t.kind == "keyword" and t.text in ("true", "false", "null"):
            self.at += 1
            return Literal(None if t.text == "null" else t.text == "true")
        if self.take("op", "("):
            inner = self.expression()
            self.expect("op", ")", "')'")
            return inner
        if t.kind == "name":
            self.at += 1
            assert isinstance(t.value, str)
            if t.text in FUNCTIONS and self.take("op", "("):
                return self.call(t)
            return Column(t.value, t.position)
        raise ExpressionError(f"expected a value, found {_describe(t)}", position=t.position)

    def call(self, name: _Token) -> Node:
        args = [self.expression()]
        while self.take("op", ","):
            args.append(self.expression())
        self.expect("op", ")", "',' or ')'")
        least, most = FUNCTIONS[name.text]
        if len(args) < least or (most is not None and len(args) > most):
            wanted = f"{least}" if least == most else f"at least {least}"
            raise ExpressionError(
                f"{name.text}() takes {wanted} argument{'s' if least != 1 else ''}, "
                f"not {len(args)}",
                position=name.position,
            )
        return Call(name.text, tuple(args))


def _describe(t: _Token) -> str:
    if t.kind == "end":
        return "the end"
    return repr(t.text)


def parse_expression(text: str) -> Node:
    """The tree of ``text``.

    Raises:
        ExpressionError: ``text`` is not an expression; its ``position`` says where.
    """
    if not text.strip():
        raise ExpressionError("empty expression", position=0)
    parser = _Parser(_tokens(text))
    node = parser.expression()
    if parser.token.kind != "end":
        t = parser.token
        raise ExpressionError(
            f"expected an operator or the end, found {_describe(t)}", position=t.position
        )
    return node


# --- printer ---------------------------------------------------------------------------------

#: binding strength of each operator: higher binds tighter
_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "not": 3,
    **dict.fromkeys(_COMPARISONS, 4),
    "is": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "neg": 7,
}
_ATOM = 8
_SIMPLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")


def _precedence(node: Node) -> int:
    if isinstance(node, Binary):
        return _PRECEDENCE[node.op]
    if isinstance(node, Unary):
        return _PRECEDENCE["not" if node.op == "not" else "neg"]
    if isinstance(node, IsNull):
        return _PRECEDENCE["is"]
    return _ATOM


def _wrapped(node: Node, tighter_than: int) -> str:
    text = print_expression(node)
    return f"({text})" if _precedence(node) <= tighter_than else text


def _literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def _name(name: str) -> str:
    if _SIMPLE_NAME.match(name) and name.lower() not in _KEYWORDS and name not in FUNCTIONS:
        return name
    return "`" + name.replace("`", "``") + "`"


def print_expression(node: Node) -> str:
    """The text of ``node``, with the fewest parentheses: parsing it gives ``node`` again."""
    if isinstance(node, Literal):
        return _literal(node.value)
    if isinstance(node, Column):
        return _name(node.name)
    if isinstance(node, Call):
        return f"{node.name}({', '.join(print_expression(a) for a in node.args)})"
    if isinstance(node, IsNull):
        rest = "is not null" if node.negated else "is null"
        return f"{_wrapped(node.operand, _PRECEDENCE['is'])} {rest}"
    if isinstance(node, Unary):
        if node.op == "not":
            return f"not {_wrapped(node.operand, _PRECEDENCE['not'] - 1)}"
        # "- -x" stays apart, so that it never reads as one token.
        return f"-{_wrapped(node.operand, _PRECEDENCE['neg'] - 1)}"
    p = _PRECEDENCE[node.op]
    if node.op in _COMPARISONS:
        # Comparisons do not chain, so neither side may be a bare comparison.
        return f"{_wrapped(node.left, p)} {node.op} {_wrapped(node.right, p)}"
    # Left-associative: the right side needs parentheses at equal binding strength.
    return f"{_wrapped(node.left, p - 1)} {node.op} {_wrapped(node.right, p)}"


def column_names(node: Node) -> tuple[str, ...]:
    """The columns ``node`` reads, in order of first appearance."""
    seen: dict[str, None] = {}
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Column):
            seen.setdefault(n.name)
        elif isinstance(n, Unary | IsNull):
            stack.append(n.operand)
        elif isinstance(n, Binary):
            stack += [n.right, n.left]
        elif isinstance(n, Call):
            stack += reversed(n.args)
    return tuple(seen)
