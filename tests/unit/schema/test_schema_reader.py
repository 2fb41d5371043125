"""A schema records how its data was read (``Schema.reader``), so later data is read alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datacheck.errors import SchemaFormatError
from datacheck.io import ReaderOptions
from datacheck.schema import Schema, infer_schema
from datacheck.stats import StatsOptions, generate_statistics

SCHEMAS = Path(__file__).parents[3] / "schemas"


def test_infer_schema_copies_the_profiles_reader(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("country,n\nNA,1\nFR,2\n", encoding="utf-8")
    reader = ReaderOptions(keep_values={"country": ("NA",)})
    schema = infer_schema(generate_statistics(str(path), StatsOptions(reader=reader)))
    assert schema.reader == reader


def test_the_reader_round_trips_through_the_schema_document() -> None:
    schema = Schema(reader=ReaderOptions(delimiter="\t", exclude=("Unnamed: 0",)))
    assert Schema.from_dict(json.loads(json.dumps(schema.to_dict()))) == schema


def test_a_schema_without_a_reader_writes_none() -> None:
    assert "reader" not in Schema().to_dict()


def test_a_reader_the_options_refuse_is_a_schema_format_error() -> None:
    document = Schema().to_dict() | {"reader": {"delimiter": '"'}}
    with pytest.raises(SchemaFormatError, match="/reader/delimiter: a delimiter is one character"):
        Schema.from_dict(document)


def test_an_unknown_reader_key_is_a_schema_format_error() -> None:
    document = Schema().to_dict() | {"reader": {"delimeter": ";"}}
    with pytest.raises(SchemaFormatError, match="/reader/delimeter"):
        Schema.from_dict(document)


def test_both_json_schemas_describe_the_reader_alike() -> None:
    def reader(name: str) -> dict[str, object]:
        definition = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))["$defs"]["reader"]
        definition.pop("description")  # each names the other
        return definition

    assert reader("schema.v1.json") == reader("statistics.v1.json")
