"""Hyper-parameter grids for ``train-many``: the two shapes, ``KEY=VALUES`` axes, YAML, and
the refusals (an unknown hyper-parameter, a bad value) before any data is read; the live and
plain progress displays."""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from grid_models import not_a_model, penguin_net
from hypothesis import given
from hypothesis import strategies as st

from datacheck.errors import InputError, OptionError
from datacheck_training._cli_many import ManyDisplay
from datacheck_training._grid import candidates, expand, read_grid


def test_a_mapping_of_lists_is_every_combination(tmp_path: Path) -> None:
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"lr": [0.1, 0.01], "width": [8, 16, 32], "optimizer": "sgd"}))
    configs = read_grid(grid)
    assert len(configs) == 6
    assert {(c["lr"], c["width"]) for c in configs} == {
        (lr, w) for lr in (0.1, 0.01) for w in (8, 16, 32)
    }
    assert all(c["optimizer"] == "sgd" for c in configs)


def test_a_list_is_one_model_each_and_params_multiply_it(tmp_path: Path) -> None:
    pytest.importorskip("yaml")  # YAML grids need PyYAML (JSON ones do not)
    grid = tmp_path / "grid.yaml"
    grid.write_text("- {lr: 0.1}\n- {lr: 0.01, width: 8}\n")
    configs = read_grid(grid, ["depth=1,2", "optimizer=sgd"])
    assert configs == [
        {"lr": 0.1, "depth": 1, "optimizer": "sgd"},
        {"lr": 0.1, "depth": 2, "optimizer": "sgd"},
        {"lr": 0.01, "width": 8, "depth": 1, "optimizer": "sgd"},
        {"lr": 0.01, "width": 8, "depth": 2, "optimizer": "sgd"},
    ]


@given(st.dictionaries(st.sampled_from("abcd"), st.lists(st.integers(), min_size=1, max_size=3)))
def test_the_product_has_the_product_of_the_lengths(grid: dict[str, list[int]]) -> None:
    configs = expand(grid)
    expected = 1
    for values in grid.values():
        expected *= len(values)
    assert len(configs) == expected
    assert all(c[k] in grid[k] for c in configs for k in grid)


def test_bad_grids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="empty grid"):
        read_grid(None, [])
    with pytest.raises(OptionError, match="KEY=V1"):
        read_grid(None, ["lr"])
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(InputError, match="mapping"):
        read_grid(bad)
    bad.write_text("{")
    with pytest.raises(InputError, match="not JSON"):
        read_grid(bad)
    with pytest.raises(InputError, match="cannot read"):
        read_grid(tmp_path / "missing.json")


def test_candidates_pass_factory_arguments_and_build_optimizers() -> None:
    built = candidates(
        [{"width": 8, "lr": 0.5, "optimizer": "sgd", "momentum": 0.9}, {"depth": 2}],
        penguin_net,
    )
    (first, kwargs0), (second, kwargs1) = built
    assert kwargs0 == {"width": 8} and kwargs1 == {"depth": 2}
    assert isinstance(first.model, torch.nn.Sequential)
    assert isinstance(second.model, torch.nn.Sequential)
    assert first.model[0].out_features == 8 and len(second.model) == 7
    assert isinstance(first.optimizer, functools.partial)
    assert callable(second.optimizer)
    opt = first.optimizer(first.model.parameters())
    assert isinstance(opt, torch.optim.SGD) and opt.defaults["momentum"] == 0.9
    assert opt.defaults["lr"] == 0.5
    assert second.optimizer(second.model.parameters()).defaults["lr"] == 1e-3


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"widht": 8}, r"grid='widht': unknown hyper-parameter; known: .*width"),
        ({"optimizer": "rmsprop"}, "optimizer='rmsprop'"),
        ({"lr": -1}, "learning_rate=-1"),
        ({"momentum": 0.9}, "momentum is SGD's"),
        ({"weight_decay": "x"}, "weight_decay='x'"),
    ],
)
def test_bad_hyper_parameters_are_named(config: dict[str, object], match: str) -> None:
    with pytest.raises(OptionError, match=match):
        candidates([config], penguin_net)


def test_a_factory_that_builds_no_module_is_refused() -> None:
    with pytest.raises(OptionError, match="not a torch module"):
        candidates([{"width": 8}], not_a_model)


def _status(name: str, done: int, *, stopped: bool = False, loss: float = 0.5) -> SimpleNamespace:
    return SimpleNamespace(
        name=name,
        units_done=done,
        units_total=10,
        loss=loss,
        epochs=1,
        validation=float("nan"),
        stopped=stopped,
        finished=stopped or done == 10,
    )


def test_the_live_display_redraws_one_line_per_model_in_place() -> None:
    out = io.StringIO()
    display = ManyDisplay(out, live=True)
    display([_status("model-0", 3), _status("model-1", 10)])
    display.last_draw = 0.0
    display([_status("model-0", 4), _status("model-1", 10, stopped=True)])
    text = out.getvalue()
    assert "model-0 [###.........] 3/10 units  loss 0.5000  val -" in text
    assert "4/10 units" in text and "stopped early" in text
    assert "\033[3F" in text  # the second drawing went back over the first block of 3 lines


def test_off_a_terminal_lines_come_periodically_and_at_each_epoch() -> None:
    out = io.StringIO()
    display = ManyDisplay(out, live=False, every=3600.0)
    display([_status("model-0", 1)])  # the first call prints (none printed yet)
    display([_status("model-0", 2)])  # within the period: nothing
    display([_status("model-0", 3, stopped=True)])
    display.epoch("model-0", 0, 0.75, 0.5)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[0s] 1/10 units")
    assert "1/10 units" in lines[1] and not any("2/10" in line for line in lines)
    assert "model-0: stopped early after epoch 1" in lines
    assert lines[-1] == "model-0 epoch 1: loss 0.7500, validation 0.5000"
    assert "\033[" not in out.getvalue()
