"""The RunInference model handler on the DirectRunner: outputs, per-key bases, dead letters."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.beam
beam = pytest.importorskip("apache_beam")

from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline  # noqa: E402
from apache_beam.testing.util import assert_that, equal_to  # noqa: E402
from serving_nets import tiny_cnn  # noqa: E402

from datacheck_serving.beam import (  # noqa: E402
    IncrementalModelHandler,
    IncrementalRequest,
    RunIncrementalInference,
)

SHAPE = (3, 20, 20)


def _expected(model: torch.nn.Module, image: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(image)[None])[0].numpy()


def test_patches_and_frames_per_key_match_full_inference() -> None:
    model = tiny_cnn()
    rng = np.random.default_rng(0)
    bases = {k: rng.standard_normal(SHAPE).astype(np.float32) for k in ("a", "b")}
    elements, expected = [], []
    for key, base in bases.items():
        elements.append((key, IncrementalRequest(base=base)))
        expected.append((key, 0, _expected(model, base)))
        for n, (row, col) in enumerate([(0, 0), (16, 12), (7, 9)]):
            patch = rng.standard_normal((3, 4, 4)).astype(np.float32)
            image = base.copy()
            image[:, row : row + 4, col : col + 4] = patch
            elements.append((key, IncrementalRequest(patch=patch, origin=(row, col))))
            expected.append((key, 1 + n, _expected(model, image)))
        frame = base + rng.normal(0, 0.01, SHAPE).astype(np.float32)  # sensor noise
        frame[:, 5:9, 2:12] += 1.0
        image = base.copy()
        image[:, 5:9, 2:12] = frame[:, 5:9, 2:12]
        elements.append((key, IncrementalRequest(frame=frame)))
        expected.append((key, 4, _expected(model, image)))
    handler = IncrementalModelHandler(model, SHAPE, threshold=0.1, max_batch_size=64)
    with BeamTestPipeline() as pipeline:
        outputs = pipeline | beam.Create(elements) | RunIncrementalInference(handler)
        assert_that(
            outputs["results"] | beam.Map(lambda kv: _matches(kv, elements, expected)),
            equal_to([True] * len(elements)),
            label="outputs match",
        )
        assert_that(outputs["failed"], equal_to([]), label="no failures")


def _matches(kv: tuple, elements: list, expected: list) -> bool:
    key, result = kv
    for (k, request), (_, _, output) in zip(elements, expected, strict=True):
        if k != key:
            continue
        same = all(
            (getattr(request, f) is None and getattr(result.example, f) is None)
            or (
                getattr(request, f) is not None
                and getattr(result.example, f) is not None
                and np.array_equal(
                    np.asarray(getattr(request, f)), np.asarray(getattr(result.example, f))
                )
            )
            for f in ("base", "patch", "frame")
        )
        if same:
            return bool(np.allclose(result.inference, output, atol=1e-5, rtol=0))
    return False


def test_a_key_without_a_base_goes_to_the_dead_letter_output() -> None:
    handler = IncrementalModelHandler(tiny_cnn(), SHAPE, max_batch_size=1, min_batch_size=1)
    patch = np.zeros((3, 2, 2), dtype=np.float32)
    good = np.zeros(SHAPE, dtype=np.float32)
    with BeamTestPipeline() as pipeline:
        outputs = (
            pipeline
            | beam.Create(
                [
                    ("known", IncrementalRequest(base=good)),
                    ("unknown", IncrementalRequest(patch=patch, origin=(0, 0))),
                ]
            )
            | RunIncrementalInference(handler)
        )
        assert_that(
            outputs["results"] | beam.Map(lambda kv: kv[0]), equal_to(["known"]), label="good"
        )
        assert_that(
            outputs["failed"] | beam.Map(lambda failure: "no base image" in str(failure[1][1])),
            equal_to([True]),
            label="failed",
        )


def test_the_plugin_names_the_stage() -> None:
    from datacheck.plugin import discover_plugins

    plugins, _ = discover_plugins()
    serving = next(plugin for plugin in plugins if plugin.name == "serving")
    assert serving.beam_stage("RunIncrementalInference") is RunIncrementalInference
    assert [command.name for command in serving.commands] == ["occlude"]
