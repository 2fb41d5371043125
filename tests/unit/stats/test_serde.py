"""The profile document: JSON round trip, the JSON Schema, load/save errors."""

from __future__ import annotations

import json
import math

import jsonschema
import pyarrow as pa
import pytest

from datacheck.errors import InputNotFoundError, ProfileFormatError
from datacheck.stats import (
    DatasetProfile,
    StatsOptions,
    generate_statistics,
    load_profile,
    save_profile,
)

_TABLE = pa.table(
    {
        "f": [1.0, math.nan, math.inf, None],
        "s": ["a", "b", "a", None],
        "b": [True, False, None, True],
        "l": pa.array([[1], [], None, [2, 3]]),
        "w": [1.0, 2.0, 3.0, 4.0],
    }
)


def _profile() -> DatasetProfile:
    return generate_statistics(_TABLE, StatsOptions(weight="w", slice_by=("b",)))


def test_round_trip_through_the_dict() -> None:
    profile = _profile()
    assert DatasetProfile.from_dict(profile.to_dict()) == profile


def test_save_and_load(tmp_path) -> None:
    profile = _profile()
    save_profile(profile, tmp_path / "p.json")
    assert load_profile(tmp_path / "p.json") == profile


def test_written_profile_validates_against_the_json_schema(tmp_path) -> None:
    save_profile(_profile(), tmp_path / "p.json")
    with open("schemas/statistics.v1.json", encoding="utf-8") as fh:
        schema = json.load(fh)
    jsonschema.Draft202012Validator(schema).validate(json.loads((tmp_path / "p.json").read_text()))


def test_non_finite_floats_are_strings_not_json_numbers(tmp_path) -> None:
    save_profile(_profile(), tmp_path / "p.json")
    text = (tmp_path / "p.json").read_text()
    assert '"Infinity"' in text
    json.loads(text, parse_constant=lambda name: pytest.fail(f"bare {name} in the JSON"))


def test_invalid_document_names_the_file_and_the_pointer(tmp_path) -> None:
    document = _profile().to_dict()
    document["features"][0]["num_present"] = -1
    (tmp_path / "bad.json").write_text(json.dumps(document))
    with pytest.raises(ProfileFormatError, match=r"bad.json: /features/0/num_present"):
        load_profile(tmp_path / "bad.json")


def test_unknown_key_is_pointed_at(tmp_path) -> None:
    document = _profile().to_dict()
    document["extra"] = 1
    with pytest.raises(ProfileFormatError, match=r"p: /extra"):
        DatasetProfile.from_dict(document, source="p")


def test_newer_format_version_asks_for_an_upgrade() -> None:
    document = _profile().to_dict() | {"format_version": 9}
    with pytest.raises(ProfileFormatError, match="upgrade datacheck"):
        DatasetProfile.from_dict(document)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(InputNotFoundError, match="no such profile file"):
        load_profile(tmp_path / "nope.json")


def test_malformed_json_gives_line_and_column(tmp_path) -> None:
    (tmp_path / "p.json").write_text("{\n  oops")
    with pytest.raises(ProfileFormatError, match="line 2 column 3"):
        load_profile(tmp_path / "p.json")


def test_nan_literal_is_refused(tmp_path) -> None:
    document = json.dumps(_profile().to_dict()).replace('"Infinity"', "Infinity")
    (tmp_path / "p.json").write_text(document)
    with pytest.raises(ProfileFormatError, match="Infinity is not a JSON number"):
        load_profile(tmp_path / "p.json")
