"""A profile records how its files were read (``DatasetProfile.reader``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from datacheck.io import ReaderOptions
from datacheck.stats import DatasetProfile, StatsOptions, generate_statistics, merge_profiles


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "d.csv"
    path.write_text("id,a\n1,x\n2,NA\n", encoding="utf-8")
    return path


def test_a_profile_of_files_records_the_default_reader(tmp_path: Path) -> None:
    assert generate_statistics(str(_csv(tmp_path))).reader == ReaderOptions()


def test_a_profile_records_the_options_it_was_read_with(tmp_path: Path) -> None:
    reader = ReaderOptions(exclude=("id",), null_values=("",))
    profile = generate_statistics(str(_csv(tmp_path)), StatsOptions(reader=reader))
    assert profile.reader == reader
    assert list(profile.features) == ["a"]
    assert profile.features["a"].num_missing == 0  # "NA" is a value with these markers


def test_a_profile_of_a_dataframe_records_no_reader() -> None:
    assert generate_statistics(pd.DataFrame({"a": [1, 2]})).reader is None


def test_the_reader_survives_the_json_round_trip(tmp_path: Path) -> None:
    reader = ReaderOptions(delimiter=",", keep_values={"a": ("NA",)})
    profile = generate_statistics(str(_csv(tmp_path)), StatsOptions(reader=reader))
    again = DatasetProfile.from_dict(profile.to_dict())
    assert again.reader == reader
    assert again.to_dict() == profile.to_dict()


def test_merged_profiles_keep_a_reader_they_share(tmp_path: Path) -> None:
    profile = generate_statistics(str(_csv(tmp_path)))
    assert merge_profiles(profile, profile).reader == ReaderOptions()
    other = replace(profile, reader=ReaderOptions(delimiter=";"))
    assert merge_profiles(profile, other).reader is None
