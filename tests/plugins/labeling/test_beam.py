"""The Beam stages give the in-memory matrix, summary and model: many bundles, two processes."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.beam
beam = pytest.importorskip("apache_beam")

from apache_beam.metrics.metric import Metrics, MetricsFilter  # noqa: E402  # Beam is optional
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline  # noqa: E402
from labeling_lfs import CANCER_LFS  # noqa: E402

from datacheck.beam import RunGenerator, beam_pipeline_options  # noqa: E402
from datacheck_labeling import (  # noqa: E402
    LabelModel,
    LFAnalysisGenerator,
    apply_lfs,
    label_dataset,
    label_dataset_on_beam,
    lf_summary,
    load_label_model,
)
from datacheck_labeling.beam import (  # noqa: E402
    ApplyLabelingFunctions,
    ApplyLabelModel,
    FitLabelModel,
)

MANY_BUNDLES = ["--direct_num_workers=6", "--direct_running_mode=multi_threading"]
TWO_PROCESSES = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]
NAMES = [lf.name for lf in CANCER_LFS]
sklearn_datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(scope="module")
def frame() -> pa.Table:
    data = sklearn_datasets.load_breast_cancer(as_frame=True).frame
    data["row"] = np.arange(len(data))
    data["gold"] = np.where(np.arange(len(data)) % 7 == 0, data.pop("target"), -1)
    return pa.Table.from_pandas(data, preserve_index=False)


class _CountBundles(beam.DoFn):  # type: ignore[misc]
    def start_bundle(self) -> None:
        Metrics.counter("test", "bundles").inc()

    def process(self, batch: pa.RecordBatch):  # type: ignore[no-untyped-def]
        yield batch


def _write(batch: pa.RecordBatch, directory: Path) -> None:
    pq.write_table(pa.Table.from_batches([batch]), directory / f"o{uuid.uuid4().hex}.parquet")


def test_many_bundles_give_the_in_memory_results(frame: pa.Table, tmp_path: Path) -> None:
    gold = frame.column("gold").to_numpy()
    votes = apply_lfs(frame, CANCER_LFS, cardinality=2, workers=1)
    model = LabelModel(2).fit(votes, gold)
    summary = lf_summary(votes, gold)
    pipeline = BeamTestPipeline(options=beam_pipeline_options("DirectRunner", MANY_BUNDLES))
    batches = (
        pipeline
        | beam.Create(frame.to_batches(max_chunksize=40), reshuffle=True)
        | beam.ParDo(_CountBundles())
    )
    voted = batches | ApplyLabelingFunctions(CANCER_LFS, cardinality=2)
    fitted = voted.votes | FitLabelModel(NAMES, 2, gold="gold")
    labeled = voted.votes | ApplyLabelModel(fitted, NAMES)
    analysed = voted.votes | RunGenerator(LFAnalysisGenerator(NAMES, "gold"))
    _ = labeled | beam.Map(_write, tmp_path)
    _ = fitted | beam.Map(lambda m: m.save(tmp_path / "model.json"))
    _ = analysed | beam.Map(lambda s: (tmp_path / "summary.json").write_text(s.to_json()))
    result = pipeline.run()
    result.wait_until_finish()
    bundles = result.metrics().query(MetricsFilter().with_name("bundles"))["counters"]
    assert sum(c.committed for c in bundles) > 4
    on_beam = load_label_model(tmp_path / "model.json")
    assert np.array_equal(on_beam.mu, model.mu)  # type: ignore[arg-type]
    assert (tmp_path / "summary.json").read_text() == summary.to_json()
    table = pa.concat_tables(pq.read_table(p) for p in tmp_path.glob("o*.parquet"))
    table = table.sort_by("row")
    assert np.array_equal(
        np.column_stack([table.column(n).to_numpy() for n in NAMES]), votes.to_numpy()
    )
    expected = model.predict(votes)
    assert table.column("label").fill_null(-1).to_numpy().tolist() == expected.tolist()


@pytest.mark.slow
@pytest.mark.usefixtures("lfs_importable")
def test_two_processes_give_the_in_memory_run(frame: pa.Table, tmp_path: Path) -> None:
    path = tmp_path / "cancer.parquet"
    pq.write_table(frame, path, row_group_size=50)
    memory = label_dataset(path, CANCER_LFS, cardinality=2, gold="gold", workers=1, bootstrap=0)
    options = beam_pipeline_options("DirectRunner", TWO_PROCESSES)
    on_beam = label_dataset_on_beam(
        str(path), CANCER_LFS, options, cardinality=2, gold="gold", output=tmp_path / "o.parquet"
    )
    assert on_beam.summary == memory.summary
    assert np.array_equal(on_beam.labeler.mu, memory.labeler.mu)  # type: ignore[union-attr]
    assert (on_beam.labeled_rows, on_beam.num_rows) == (memory.labeled_rows, 569)
    written = pq.read_table(tmp_path / "o.parquet").sort_by("row")
    assert written.column("mean_radius").to_pylist()[:3] == ["0", "0", "0"]
