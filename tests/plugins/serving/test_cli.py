"""``datacheck occlude``: a heat map PNG written; bad requests in one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from serving_nets import tiny_cnn

from datacheck.cli import main


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    pixels = (np.random.default_rng(0).random((20, 20, 3)) * 255).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(pixels).save(path)
    return path


def test_writes_the_heat_map(
    photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "heat.png"
    code = main(
        [
            "occlude",
            str(photo),
            "--model",
            "serving_nets:tiny_cnn",
            "--patch",
            "4",
            "--stride",
            "4",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "25 patch positions" in printed and "heat map written to" in printed
    with Image.open(out) as written:
        assert written.size == (20, 20)


def test_json_output_with_weights_and_resize(
    photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from safetensors.torch import save_file

    weights = tmp_path / "w.safetensors"
    model = tiny_cnn()
    save_file(model.state_dict(), str(weights))
    code = main(
        [
            "occlude",
            str(photo),
            "--model",
            "serving_nets:tiny_cnn",
            "--weights",
            str(weights),
            "--size",
            "16",
            "16",
            "--patch",
            "8",
            "--stride",
            "8",
            "--score",
            "logit",
            "--format",
            "json",
            "-o",
            str(tmp_path / "h.png"),
        ]
    )
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["rows"] == [0, 8] and len(document["scores"]) == 2
    image = torch.from_numpy(
        np.asarray(
            Image.open(photo).convert("RGB").resize((16, 16), Image.Resampling.BILINEAR),
            dtype=np.float32,
        )
        / 255
    ).permute(2, 0, 1)
    with torch.no_grad():
        base = model(image[None])[0]
    assert document["base_score"] == pytest.approx(float(base[document["target"]]), abs=1e-5)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--patch", "40"], "--patch 40: the patch must fit in the 20x20 image"),
        (["--model", "serving_nets:Rolling"], "cannot be computed incrementally"),
        (["--model", "serving_nets:nothing"], "serving_nets has no attribute 'nothing'"),
    ],
)
def test_bad_requests_exit_2_in_one_line(
    photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    argv = [
        "occlude",
        str(photo),
        "--model",
        "serving_nets:tiny_cnn",
        "-o",
        str(tmp_path / "x.png"),
    ]
    assert main([*argv, *extra]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not (tmp_path / "x.png").exists()


def test_unreadable_image_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "not.png"
    bad.write_text("text")
    assert main(["occlude", str(bad), "--model", "serving_nets:tiny_cnn", "-o", "x.png"]) == 2
    error = capsys.readouterr().err
    assert "not an image" in error and error.count("\n") == 1
