"""Occlusion maps: positions, exact maps, tau and drill-down, SSIM, the heat map PNG."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from serving_nets import resnet_small, sensitive, tiny_cnn

from datacheck.errors import OptionError
from datacheck_serving import IncrementalModel, occlusion_map, positions, save_heatmap, ssim

SHAPE = (3, 20, 20)


def test_positions_cover_the_far_border() -> None:
    assert positions(20, 4, 4) == (0, 4, 8, 12, 16)
    assert positions(20, 6, 4) == (0, 4, 8, 12, 14)
    assert positions(5, 5, 3) == (0,)


def test_exact_map_scores_each_occluded_image() -> None:
    model = tiny_cnn()
    image = torch.randn(SHAPE, generator=torch.Generator().manual_seed(0))
    result = occlusion_map(model, image, patch=6, stride=4, fill=0.0)
    assert result.scores.shape == (5, 5) and result.computed.all()
    row, col = 3, 4
    occluded = image.clone()
    occluded[
        :, result.rows[row] : result.rows[row] + 6, result.cols[col] : result.cols[col] + 6
    ] = 0
    with torch.no_grad():
        expected = torch.softmax(model(occluded[None]).double(), 1)[0, result.target]
    assert result.scores[row, col] == pytest.approx(float(expected), abs=1e-6)
    assert np.ptp(result.scores) > 1e-3  # the map has structure
    assert result.macs.ratio > 1


def test_tau_and_drill_down_trade_quality_for_arithmetic() -> None:
    engine = IncrementalModel(sensitive(resnet_small(), dtype=torch.float32), (3, 64, 64))
    image = torch.randn((3, 64, 64), generator=torch.Generator().manual_seed(1))
    exact = occlusion_map(engine, image, 8, 4, probability=False)
    same = occlusion_map(engine, image, 8, 4, probability=False, tau=1.0)
    assert np.allclose(same.scores, exact.scores)
    close = occlusion_map(engine, image, 8, 4, probability=False, tau=0.8)
    assert close.macs.done < exact.macs.done
    assert ssim(exact.heat, close.heat) > 0.8
    rough = occlusion_map(engine, image, 8, 4, probability=False, tau=0.5, coarse_stride=8)
    assert rough.macs.done < exact.macs.done / 2
    assert rough.macs.full == exact.macs.full
    assert 0 < rough.computed.mean() < 1
    assert ssim(exact.heat, rough.heat) < ssim(exact.heat, close.heat)


def test_drill_down_computes_the_chosen_positions_exactly() -> None:
    model = tiny_cnn()
    image = torch.randn(SHAPE, generator=torch.Generator().manual_seed(2))
    exact = occlusion_map(model, image, 4, 2)
    drilled = occlusion_map(model, image, 4, 2, coarse_stride=4, drill_fraction=0.3)
    assert np.allclose(drilled.scores[drilled.computed], exact.scores[drilled.computed], atol=1e-6)
    everything = occlusion_map(model, image, 4, 2, coarse_stride=4, drill_fraction=1.0)
    assert everything.computed.all()
    assert np.allclose(everything.scores, exact.scores, atol=1e-6)


def test_ssim_is_one_for_equal_maps_and_lower_for_noise() -> None:
    rng = np.random.default_rng(0)
    heat = rng.standard_normal((12, 12)).cumsum(axis=0)
    assert ssim(heat, heat) == pytest.approx(1.0)
    assert ssim(heat, heat + 3 * rng.standard_normal((12, 12))) < 0.7


def test_heat_map_png(tmp_path: pytest.TempPathFactory) -> None:
    from PIL import Image

    image = torch.rand(SHAPE)
    result = occlusion_map(tiny_cnn(), image, 4, 4)
    path = tmp_path / "heat.png"  # type: ignore[operator]
    save_heatmap(result, image.numpy(), path)
    with Image.open(path) as written:
        assert written.size == (20, 20) and written.mode == "RGB"
        pixels = np.asarray(written, dtype=float)
    hottest = np.unravel_index(result.heat.argmax(), result.heat.shape)
    row, col = result.rows[hottest[0]] + 2, result.cols[hottest[1]] + 2
    assert pixels[row, col, 0] > pixels[row, col, 1]  # red where occluding hurts most


def test_drill_down_by_change_picks_the_cells_where_the_coarse_map_moves() -> None:
    from datacheck_serving._occlusion import _cell_change

    coarse = np.zeros((3, 3))
    coarse[:, 2] = 5.0  # an edge between the second and third coarse columns
    change = _cell_change(coarse, (0, 8, 16), (0, 8, 16), (0, 4, 8, 12, 16), (0, 4, 8, 12, 16))
    assert change.shape == (5, 5)
    assert (change[:, 3:] == 5.0).all()  # fine columns 12 and 16 lie in the edge's cells
    assert (change[:, :2] == 0.0).all()  # columns 0 and 4: a flat cell
    model = tiny_cnn()
    image = torch.randn(SHAPE, generator=torch.Generator().manual_seed(4))
    exact = occlusion_map(model, image, 4, 2)
    drilled = occlusion_map(model, image, 4, 2, coarse_stride=6, drill_fraction=0.3)
    by_drop = occlusion_map(
        model, image, 4, 2, coarse_stride=6, drill_fraction=0.3, drill_by="drop"
    )
    assert not np.array_equal(drilled.computed, by_drop.computed)
    assert np.allclose(drilled.scores[drilled.computed], exact.scores[drilled.computed], atol=1e-6)
    with pytest.raises(OptionError, match="drill_by"):
        occlusion_map(model, image, 4, 2, coarse_stride=6, drill_by="largest")
