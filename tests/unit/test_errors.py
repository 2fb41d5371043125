"""Errors speak Python: they name the parameter, carry what they are about, and pickle whole."""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import pyarrow as pa
import pytest

import datacheck
from datacheck.errors import (
    InputNotFoundError,
    MissingExtraError,
    OptionError,
    StoreError,
)
from datacheck.schema import infer_schema
from datacheck.stats import StatsOptions, generate_statistics
from datacheck.validate import detect_feature_skew, validate_statistics

_TABLE = pa.table({"a": [1, 2, 3], "b": ["x", "y", "x"]})


def _error(options: StatsOptions) -> OptionError:
    with pytest.raises(OptionError) as caught:
        generate_statistics(_TABLE, options)
    return caught.value


def test_missing_weight_column_names_the_parameter_not_the_flag() -> None:
    message = str(_error(StatsOptions(weight="w")))
    assert message == "weight='w': no such column; the columns are: a, b"


def test_missing_weight_column_carries_parameter_value_and_column() -> None:
    error = _error(StatsOptions(weight="w"))
    assert (error.parameter, error.value, error.column) == ("weight", "w", "w")


def test_reason_is_the_message_without_the_parameter() -> None:
    assert _error(StatsOptions(weight="w")).reason == "no such column; the columns are: a, b"


def test_text_weight_column_names_weight() -> None:
    error = _error(StatsOptions(weight="b"))
    assert str(error).startswith("weight='b': the column holds string")
    assert error.parameter == "weight"


def test_missing_slice_column_names_slice_by() -> None:
    error = _error(StatsOptions(slice_by=("a", "nope")))
    assert str(error).startswith("slice_by='nope': no such column")
    assert (error.parameter, error.value, error.column) == ("slice_by", "nope", "nope")


def test_too_many_slices_names_slice_by() -> None:
    error = _error(StatsOptions(slice_by=("a",), max_slices=2))
    assert str(error).startswith("slice_by=('a',): more than 2 slices")
    assert (error.parameter, error.value) == ("slice_by", ("a",))


def test_unknown_environment_names_environment() -> None:
    profile = generate_statistics(_TABLE)
    with pytest.raises(OptionError) as caught:
        validate_statistics(profile, infer_schema(profile), environment="SERVING")
    assert str(caught.value).startswith("environment='SERVING': not defined by the schema")
    assert (caught.value.parameter, caught.value.value) == ("environment", "SERVING")


def test_missing_skew_key_names_keys() -> None:
    with pytest.raises(OptionError) as caught:
        detect_feature_skew(_TABLE, _TABLE, ["id"])
    assert str(caught.value).startswith("keys=['id']: key column 'id' is not in")
    assert (caught.value.parameter, caught.value.column) == ("keys", "id")


def test_a_message_alone_is_the_whole_message_and_no_attributes() -> None:
    error = OptionError("something is wrong")
    assert (str(error), error.reason, error.parameter, error.value) == (
        "something is wrong",
        "something is wrong",
        None,
        None,
    )


def test_attributes_leave_the_builtin_bases_working() -> None:
    error = InputNotFoundError("a.csv: no such file", path=Path("a.csv"), row=3)
    assert isinstance(error, FileNotFoundError) and isinstance(error, ValueError)
    assert (str(error), error.path, error.row) == ("a.csv: no such file", "a.csv", 3)


def test_pickling_keeps_the_message_and_attributes() -> None:
    error = OptionError("no such column", parameter="weight", value="w", column="w", row=7)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is OptionError and str(back) == str(error)
    assert (back.reason, back.parameter, back.value, back.column, back.row) == (
        "no such column",
        "weight",
        "w",
        "w",
        7,
    )


def test_pickling_keeps_an_oserror_subclass_whole() -> None:
    back = pickle.loads(pickle.dumps(StoreError("no schema named 'x'", path="/s")))
    assert (type(back), str(back), back.path) == (StoreError, "no schema named 'x'", "/s")


def test_pickling_keeps_a_missing_extra() -> None:
    back = pickle.loads(pickle.dumps(MissingExtraError("apache_beam", "beam")))
    assert (back.module, back.extra) == ("apache_beam", "beam")
    assert str(back) == str(MissingExtraError("apache_beam", "beam"))


def test_an_error_rebuilt_from_its_message_says_the_same() -> None:
    # The Beam runner rebuilds a worker's error from its class and message text.
    error = OptionError("no such column", parameter="weight", value="w")
    assert str(OptionError(str(error))) == str(error)


_PACKAGE = Path(datacheck.__file__).parent
_FLAG = re.compile(r"(?<![\w-])--[A-Za-z]")
# beam_pipeline_options takes Beam's own command-line options (beam_args), so its messages quote
# them (``--runner=...`` among them, ``--direct_num_workers``) as the caller wrote them.
_EXEMPT = {_PACKAGE / "beam" / "_runner.py"}


def _makes_an_error(node: ast.AST) -> bool:
    if isinstance(node, ast.Raise):
        return True
    if not isinstance(node, ast.Call):
        return False
    callee = node.func
    name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
    return isinstance(name, str) and name.endswith("Error")


def _raised_texts(source: str) -> list[tuple[int, str]]:
    """Each string constant in a ``raise`` or an ``...Error(...)`` call (f-strings' literal
    parts too), with its line."""
    return sorted(
        {
            (node.lineno, node.value)
            for raised in ast.walk(ast.parse(source))
            if _makes_an_error(raised)
            for node in ast.walk(raised)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
    )


def _core_modules() -> list[Path]:
    return [
        path
        for path in sorted(_PACKAGE.rglob("*.py"))
        if (_PACKAGE / "cli") not in path.parents and path not in _EXEMPT
    ]


def test_no_core_error_quotes_a_command_line_flag() -> None:
    found = [
        f"{path.relative_to(_PACKAGE.parent)}:{line}: {text!r}"
        for path in _core_modules()
        for line, text in _raised_texts(path.read_text(encoding="utf-8"))
        if _FLAG.search(text)
    ]
    assert not found, "core errors name Python parameters, not CLI flags:\n" + "\n".join(found)


def test_the_flag_scan_finds_a_flag_in_an_f_string() -> None:
    texts = _raised_texts('raise OptionError(f"no column; use {x} or --slice-by COL")\n')
    assert any(_FLAG.search(text) for _, text in texts)


def test_the_flag_scan_finds_a_flag_in_an_error_built_to_be_raised_later() -> None:
    texts = _raised_texts('def f():\n    return OptionError("--weight w: no such column")\n')
    assert any(_FLAG.search(text) for _, text in texts)


def test_the_flag_scan_passes_a_message_without_flags() -> None:
    texts = _raised_texts('raise OptionError(f"{name}: no such column", parameter="weight")\n')
    assert not any(_FLAG.search(text) for _, text in texts)
