"""``datacheck label``: labels written, models saved and reused, bad requests in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datacheck.cli import main
from datacheck_labeling import load_label_model

sklearn_datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(scope="module")
def cancer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = sklearn_datasets.load_breast_cancer(as_frame=True).frame
    frame["gold"] = np.where(np.arange(len(frame)) % 10 == 0, frame.pop("target"), -1)
    path = tmp_path_factory.mktemp("cancer") / "cancer.parquet"
    frame.to_parquet(path)
    return path


def _label(*args: str) -> int:
    return main(["label", *map(str, args)])


def test_labels_and_votes_are_written(
    cancer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "labeled.parquet"
    code = _label(
        cancer,
        "--lfs",
        "labeling_lfs:CANCER_LFS",
        "--cardinality",
        "2",
        "--gold",
        "gold",
        "--summary",
        "-o",
        out,
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "mean_radius" in printed and "emp.acc" in printed and "learned.acc" in printed
    assert "dependent LFs (modelled as one source): mean_radius, worst_perimeter" in printed
    table = pq.read_table(out)
    assert table.num_rows == 569
    assert table.schema.field("label_proba").type == pa.list_(pa.float32())
    assert table.schema.field("mean_radius").type == pa.string()
    assert table.column("label").null_count == 569 - int(printed.split(" of ")[0].split()[-1])


def test_a_saved_model_is_applied_without_refitting(
    cancer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "model.json"
    args = ["--lfs", "labeling_lfs:CANCER_LFS", "--cardinality", "2"]
    assert _label(cancer, *args, "--model-out", model, "-o", tmp_path / "a.parquet") == 0
    assert _label(cancer, *args, "--model-in", model, "-o", tmp_path / "b.parquet") == 0
    a, b = (pq.read_table(tmp_path / f"{n}.parquet") for n in "ab")
    assert a.column("label").equals(b.column("label"))
    assert load_label_model(model).names[0] == "mean_radius"
    capsys.readouterr()


def test_json_prints_the_summary_document(cancer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        _label(
            cancer,
            "--lfs",
            "labeling_lfs:CANCER_LFS",
            "--cardinality",
            "2",
            "--model",
            "majority",
            "--format",
            "json",
        )
        == 0
    )
    document = json.loads(capsys.readouterr().out)
    assert document["num_rows"] == 569 and document["lfs"][0]["name"] == "mean_radius"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lfs", "no_such_module:LFS"], "no_such_module:LFS: cannot import no_such_module"),
        (["--lfs", "labeling_lfs:NOPE"], "labeling_lfs has no attribute 'NOPE'"),
        (["--lfs", "labeling_lfs:NOT_CALLABLE"], "item 1 (42) is not callable"),
        (["--lfs", "labeling_lfs:CANCER_LFS", "--gold", "mean radius"], "--gold 'mean radius'"),
        (["--lfs", "labeling_lfs:CANCER_LFS", "--gold", "nope"], "--gold nope"),
    ],
)
def test_bad_requests_are_one_line_and_exit_2(
    cancer: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _label(cancer, "--cardinality", "2", *args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_gold_labels_outside_the_classes_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"x": [1, 2, 3], "text": ["a", "b", "c"], "y": [0, 5, None]}), path)
    assert _label(path, "--lfs", "labeling_lfs:TABLE_LFS", "--cardinality", "2", "--gold", "y") == 2
    assert "--gold y: row 1 holds 5, not a class 0..1" in capsys.readouterr().err


def test_help_does_not_import_the_plugins_implementation() -> None:
    code = (
        "import sys; from datacheck.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print([m for m in sys.modules if m.startswith('datacheck_labeling')])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert "label" in done.stdout
    assert (
        done.stdout.strip().splitlines()[-1]
        == "['datacheck_labeling', 'datacheck_labeling.plugin']"
    )
