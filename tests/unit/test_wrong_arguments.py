"""The public entry points refuse an argument of the wrong kind with a TypeError naming it.

``validate_statistics(profile, None)`` raised AttributeError deep inside; now every entry point
that takes a schema or a profile says which parameter got what, and where a right one comes
from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from datacheck import ArgumentTypeError
from datacheck.errors import DISTRIBUTION, MissingExtraError
from datacheck.schema import infer_schema, update_schema
from datacheck.stats import generate_statistics
from datacheck.validate import check_dataset, validate_batches, validate_statistics

TABLE = pa.table({"a": [1, 2, 3]})
PROFILE = generate_statistics(TABLE)
SCHEMA = infer_schema(PROFILE)

CASES: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: validate_statistics(PROFILE, None),
        "schema=<NoneType>: validate_statistics takes a Schema",
    ),
    (
        lambda: validate_statistics(SCHEMA, SCHEMA),
        "profile=<Schema>: validate_statistics takes a DatasetProfile",
    ),
    (
        lambda: validate_statistics(PROFILE, SCHEMA, baseline="p.json"),
        "baseline=<str>: validate_statistics takes a DatasetProfile",
    ),
    (
        lambda: validate_statistics(PROFILE, SCHEMA, serving=TABLE),
        "serving=<Table>: validate_statistics takes a DatasetProfile",
    ),
    (
        lambda: check_dataset(TABLE, PROFILE),
        "schema=<DatasetProfile>: check_dataset takes a Schema",
    ),
    (
        lambda: validate_batches(TABLE.to_batches(), None),
        "schema=<NoneType>: validate_batches takes a Schema",
    ),
    (
        lambda: validate_batches("data.csv", SCHEMA),
        "batches=<str>: validate_batches takes an iterable of record batches",
    ),
    (
        lambda: validate_batches(TABLE, SCHEMA),
        "batches=<Table>: validate_batches takes an iterable of record batches",
    ),
    (lambda: infer_schema(SCHEMA), "profile=<Schema>: infer_schema takes a DatasetProfile"),
    (
        lambda: update_schema(PROFILE, PROFILE),
        "schema=<DatasetProfile>: update_schema takes a Schema",
    ),
]


@pytest.mark.parametrize(("call", "opening"), CASES)
def test_wrong_kind_is_a_type_error_naming_the_parameter(
    call: Callable[[], Any], opening: str
) -> None:
    with pytest.raises(TypeError) as caught:
        call()
    assert isinstance(caught.value, ArgumentTypeError)
    assert str(caught.value).startswith(opening)


def test_validate_batches_refuses_at_the_call_not_at_the_first_batch() -> None:
    with pytest.raises(ArgumentTypeError):
        validate_batches(TABLE.to_batches(), None)  # never iterated


def test_the_parameter_is_an_attribute() -> None:
    with pytest.raises(ArgumentTypeError) as caught:
        validate_statistics(PROFILE, None)
    assert caught.value.parameter == "schema"


def test_missing_extra_names_the_distribution_and_a_clone_install() -> None:
    message = str(MissingExtraError("apache_beam", "beam"))
    assert f"pip install '{DISTRIBUTION}[beam]'" in message
    assert "pip install -e '.[beam]'" in message
    assert "'datacheck[" not in message
