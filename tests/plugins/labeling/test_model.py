"""LabelModel and MajorityVote: accuracy recovery, dependent LFs, anchors, trust, JSON files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from labeling_strategies import cuts, split

from datacheck.errors import InputError, OptionError
from datacheck.testing import assert_generator_consistent
from datacheck_labeling import (
    AgreementGenerator,
    LabelModel,
    MajorityVote,
    agreement_statistics,
    load_label_model,
    synthetic_votes,
)

INDEPENDENT = synthetic_votes(20_000, num_lfs=10, seed=1)
FAMILY = synthetic_votes(20_000, num_lfs=10, families=[(3, 0.7, 0.6)], seed=2)


def _accuracy(preds: np.ndarray, votes: np.ndarray, y: np.ndarray) -> float:
    covered = (votes != -1).any(axis=1)
    return float((preds[covered] == y[covered]).mean())


def _empirical(votes: np.ndarray, y: np.ndarray) -> np.ndarray:
    voted = votes != -1
    return ((votes == y[:, None]) & voted).sum(axis=0) / voted.sum(axis=0)


def test_fitted_accuracies_are_within_two_points_of_the_empirical_ones() -> None:
    data = INDEPENDENT
    model = LabelModel(2).fit(data.votes)
    error = np.abs(model.accuracies() - _empirical(data.votes, data.y))
    assert error.mean() <= 0.02
    assert model.groups == ()


@pytest.mark.parametrize("k", [2, 3])
def test_independent_lfs_beat_majority_vote(k: int) -> None:
    data = synthetic_votes(20_000, cardinality=k, seed=3)
    model = LabelModel(k).fit(data.votes)
    mv = MajorityVote(k).predict(data.votes, tie_break_policy="random")
    lm = model.predict(data.votes, tie_break_policy="random")
    assert _accuracy(lm, data.votes, data.y) > _accuracy(mv, data.votes, data.y) + 0.01


def test_a_copied_family_is_found_and_modelled_as_one_source() -> None:
    data = FAMILY
    model = LabelModel(2).fit(data.votes)
    assert model.groups == (("lf_10", "lf_11", "lf_12"),)
    assert model.weights()[10:] == pytest.approx([1 / 3] * 3)
    independent = LabelModel(2).fit(data.votes, detect_dependencies=False)
    mv = MajorityVote(2).predict(data.votes, tie_break_policy="random")
    ours = _accuracy(model.predict(data.votes, tie_break_policy="random"), data.votes, data.y)
    naive = _accuracy(
        independent.predict(data.votes, tie_break_policy="random"), data.votes, data.y
    )
    assert ours > _accuracy(mv, data.votes, data.y) + 0.05
    assert ours > naive + 0.1


def test_known_dependencies_can_be_given() -> None:
    model = LabelModel(2).fit(
        INDEPENDENT.votes, dependencies=[("lf_0", "lf_1")], detect_dependencies=False
    )
    assert model.groups == (("lf_0", "lf_1"),)


def test_gold_labels_anchor_the_fit() -> None:
    data = FAMILY
    rng = np.random.default_rng(0)
    gold = np.where(rng.random(len(data.y)) < 0.05, data.y, -1)
    free = LabelModel(2).fit(data.votes, detect_dependencies=False)
    anchored = LabelModel(2).fit(data.votes, gold, detect_dependencies=False)
    truth = _empirical(data.votes, data.y)
    assert np.abs(anchored.accuracies() - truth).mean() < np.abs(free.accuracies() - truth).mean()


def test_gold_labels_resolve_a_flipped_solution() -> None:
    # LFs that are mostly wrong: unsupervised, the model takes them as mostly right.
    data = synthetic_votes(5_000, accuracy=(0.1, 0.3), coverage=(0.5, 0.9), seed=4)
    gold = np.where(np.arange(5_000) % 20 == 0, data.y, -1)
    model = LabelModel(2).fit(data.votes, gold)
    assert model.accuracies().mean() < 0.4
    assert _accuracy(model.predict(data.votes), data.votes, data.y) > 0.8


def test_a_trusted_source_keeps_its_accuracy() -> None:
    model = LabelModel(2).fit(INDEPENDENT.votes, trust={"lf_3": 0.6})
    assert model.accuracies()[3] == pytest.approx(0.6, abs=1e-3)


def test_the_bootstrap_gives_standard_errors_that_cover_the_truth() -> None:
    data = INDEPENDENT
    model = LabelModel(2).fit(data.votes, bootstrap=10)
    assert model.accuracy_se is not None
    assert np.all((model.accuracy_se > 0) & (model.accuracy_se < 0.05))
    z = np.abs(model.accuracies() - _empirical(data.votes, data.y)) / model.accuracy_se
    assert (z < 3).mean() >= 0.8


def test_the_class_balance_comes_from_gold_rows_or_is_uniform() -> None:
    data = synthetic_votes(20_000, class_balance=[0.3, 0.7], seed=5)
    gold = np.where(np.arange(20_000) % 10 == 0, data.y, -1)
    anchored = LabelModel(2).fit(data.votes, gold)
    assert anchored.class_balance == pytest.approx([0.3, 0.7], abs=0.02)
    # Pairwise agreements cannot tell it: without gold rows it is uniform, as in Snorkel.
    assert LabelModel(2).fit(data.votes).class_balance == pytest.approx([0.5, 0.5])


def test_uncovered_rows_get_no_label() -> None:
    votes = np.array([[0, 0, 0, 0], [-1, -1, -1, -1], [1, 1, 1, 1]] * 50)
    model = LabelModel(2).fit(votes, class_balance=[0.5, 0.5])
    assert model.predict(votes)[:3].tolist() == [0, -1, 1]


def test_a_saved_model_loads_and_predicts_the_same(tmp_path: Path) -> None:
    model = LabelModel(2).fit(FAMILY.votes, bootstrap=3)
    model.save(tmp_path / "m.json")
    document = json.loads((tmp_path / "m.json").read_text())
    assert document["format"] == "datacheck-labeling.label-model"
    loaded = load_label_model(tmp_path / "m.json")
    assert np.array_equal(loaded.predict_proba(FAMILY.votes), model.predict_proba(FAMILY.votes))
    assert loaded.groups == model.groups
    assert np.array_equal(loaded.accuracy_se, model.accuracy_se)  # type: ignore[arg-type]


def test_a_file_that_is_not_a_model_is_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"format": "other"}')
    with pytest.raises(InputError, match=r"x\.json: not a valid label model"):
        load_label_model(tmp_path / "x.json")


def test_a_vote_beyond_the_classes_names_the_lf_row_and_value() -> None:
    votes = np.zeros((10, 3), dtype=int)
    votes[4, 2] = 7
    with pytest.raises(InputError, match=r"lfs='lf_2': voted 7 on row 4"):
        LabelModel(2).fit(votes)


def test_bad_options_name_their_parameter() -> None:
    with pytest.raises(OptionError, match=r"class_balance=\["):
        LabelModel(2).fit(INDEPENDENT.votes, class_balance=[0.2, 0.2])
    with pytest.raises(OptionError, match="trust='nope'"):
        LabelModel(2).fit(INDEPENDENT.votes, trust={"nope": 0.9})
    with pytest.raises(OptionError, match="cardinality=1"):
        LabelModel(1)
    with pytest.raises(OptionError, match="lfs="):
        LabelModel(2).fit(INDEPENDENT.votes[:, :2])


def test_majority_vote_has_snorkels_ties() -> None:
    votes = np.array([[0, 0, -1], [-1, 0, 1], [1, -1, 0], [-1, -1, -1]])
    mv = MajorityVote(2)
    assert mv.predict_proba(votes)[:3].tolist() == [[1.0, 0.0], [0.5, 0.5], [0.5, 0.5]]
    assert mv.predict(votes).tolist() == [0, -1, -1, -1]
    broken = mv.predict(votes, tie_break_policy="random")
    assert broken[0] == 0 and set(broken[1:3]) <= {0, 1} and broken[3] == -1


SMALL_FAMILY = synthetic_votes(5_000, num_lfs=7, families=[(3, 0.7, 0.6)], seed=6)


@settings(max_examples=5)
@given(st.randoms(use_true_random=False))
def test_permuting_lfs_permutes_the_fit(rnd: object) -> None:
    data = SMALL_FAMILY
    order = list(range(data.votes.shape[1]))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    names = [f"lf_{j}" for j in range(len(order))]
    base = LabelModel(2).fit(data.votes, names=names)
    permuted = LabelModel(2).fit(data.votes[:, order], names=[names[j] for j in order])
    assert permuted.accuracies() == pytest.approx(base.accuracies()[order], abs=5e-3)
    assert {frozenset(g) for g in permuted.groups} == {frozenset(g) for g in base.groups}


@settings(max_examples=5)
@given(st.data())
def test_batch_splits_do_not_change_the_statistics_or_the_fit(data: st.DataObject) -> None:
    votes = INDEPENDENT.votes[:3_000]
    names = [f"lf_{j}" for j in range(votes.shape[1])]
    generator = AgreementGenerator(names, 2)
    acc = generator.create_accumulator()
    for part in split(votes, data.draw(cuts(len(votes)))):
        acc = generator.add_input(
            acc, pa.record_batch({n: part[:, j] for j, n in enumerate(names)})
        )
    stats = generator.extract_output(acc)
    assert stats == agreement_statistics(votes, 2)
    fitted = LabelModel(2).fit_statistics(stats)
    assert np.array_equal(fitted.mu, LabelModel(2).fit(votes).mu)  # type: ignore[arg-type]


def test_the_agreement_generator_is_consistent() -> None:
    votes = INDEPENDENT.votes[:500]
    names = [f"lf_{j}" for j in range(votes.shape[1])]
    gold = np.where(np.arange(500) % 3 == 0, INDEPENDENT.y[:500], -1)
    batches = [
        pa.record_batch({**{n: part[:, j] for j, n in enumerate(names)}, "y": g})
        for part, g in zip(np.split(votes, [100, 250]), np.split(gold, [100, 250]), strict=True)
    ]
    out = assert_generator_consistent(AgreementGenerator(names, 2, gold="y"), batches)
    assert out.gold_rows == int((gold >= 0).sum())
