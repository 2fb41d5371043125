"""apply_lfs: votes batch-aligned with the data, failures reported, bad votes refused."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from labeling_lfs import (
    TABLE_LFS,
    even_x,
    fails_on_seven,
    has_spam,
    long_text,
    positive_x,
    returns_text,
    votes_five,
)

from datacheck.errors import InputError, OptionError
from datacheck_labeling import ABSTAIN, LabelMatrix, apply_lfs, labeling_function


def _expected(table: pa.Table) -> np.ndarray:
    rows = table.to_pylist()
    return np.array(
        [
            [
                1 if r["x"] > 0 else -1,
                0 if r["x"] % 2 == 0 else -1,
                1 if "spam" in r["text"] else -1,
                0 if len(r["text"]) > 8 else -1,
            ]
            for r in rows
        ]
    )


def test_votes_equal_the_lfs_row_by_row(table: pa.Table) -> None:
    votes = apply_lfs(table, TABLE_LFS, cardinality=2, workers=1)
    assert np.array_equal(votes.to_numpy(), _expected(table))
    assert votes.names == ("positive_x", "even_x", "has_spam", "long_text")


def test_vote_batches_align_with_the_input_batches(table: pa.Table) -> None:
    votes = apply_lfs(table, TABLE_LFS, cardinality=2, batch_size=64, workers=1)
    assert [b.num_rows for b in votes.batches] == [64, 64, 64, 8]
    assert all(b.schema.field(0).type == pa.int8() for b in votes.batches)


def test_many_classes_use_int16_columns(table: pa.Table) -> None:
    votes = apply_lfs(table, [positive_x], cardinality=300, workers=1)
    assert votes.batches[0].schema.field(0).type == pa.int16()


def test_an_lf_that_raises_abstains_and_is_reported(table: pa.Table) -> None:
    votes = apply_lfs(table, [positive_x, fails_on_seven], workers=1)
    assert np.all(votes.to_numpy()[:, 1] == ABSTAIN)
    error = votes.errors["fails_on_seven"]
    assert (error.count, error.first_row) == (1, 107)
    assert error.first_message == "ZeroDivisionError: seven"
    assert "positive_x" not in votes.errors


def test_strict_turns_a_raising_lf_into_an_error_naming_it_and_the_row(table: pa.Table) -> None:
    with pytest.raises(InputError, match=r"lfs='fails_on_seven': raised on row 107") as caught:
        apply_lfs(table, [fails_on_seven], strict=True, workers=1)
    assert caught.value.row == 107


def test_a_vote_outside_the_classes_names_the_lf_row_and_value(table: pa.Table) -> None:
    with pytest.raises(InputError, match=r"lfs='votes_five': voted 5 on row 103") as caught:
        apply_lfs(table, [votes_five], cardinality=2, workers=1)
    assert (caught.value.row, caught.value.parameter) == (103, "lfs")


def test_a_vote_that_is_not_an_int_is_an_error(table: pa.Table) -> None:
    with pytest.raises(InputError, match=r"lfs='returns_text': returned 'yes' on row 0"):
        apply_lfs(table, [returns_text], workers=1)


def test_a_vectorized_lf_returning_the_wrong_length_is_an_error(table: pa.Table) -> None:
    short = labeling_function(name="short", vectorized=True)(lambda batch: np.zeros(3, int))
    with pytest.raises(InputError, match="lfs='short': returned"):
        apply_lfs(table, [short], workers=1)


def test_something_that_is_not_an_lf_is_refused(table: pa.Table) -> None:
    with pytest.raises(OptionError, match="lfs='len': not a labeling function"):
        apply_lfs(table, [positive_x, len], workers=1)  # type: ignore[list-item]


def test_two_lfs_of_one_name_are_refused(table: pa.Table) -> None:
    with pytest.raises(OptionError, match="lfs='positive_x': two labeling functions"):
        apply_lfs(table, [positive_x, positive_x], workers=1)


def test_resources_are_passed_to_every_call() -> None:
    assert long_text({"text": "123456789"}) == 0
    assert long_text({"text": "12345678"}) == ABSTAIN


def test_lambdas_run_in_this_process_even_with_workers(table: pa.Table) -> None:
    big = labeling_function(name="big")(lambda row: 1 if row["x"] > 50 else -1)
    votes = apply_lfs(table, [big], workers=2)
    assert int((votes.to_numpy() == 1).sum()) == 49


@pytest.mark.slow
def test_row_wise_lfs_in_two_processes_give_the_same_votes() -> None:
    from labeling_lfs import make_table

    table = make_table(60_000)
    lfs = [positive_x, even_x, has_spam, long_text, fails_on_seven]
    alone = apply_lfs(table, lfs, cardinality=2, workers=1, batch_size=20_000)
    pooled = apply_lfs(table, lfs, cardinality=2, workers=2, batch_size=20_000)
    assert np.array_equal(alone.to_numpy(), pooled.to_numpy())
    assert pooled.errors == alone.errors


def test_a_label_matrix_from_numpy_round_trips() -> None:
    array = np.array([[0, -1], [1, 1], [-1, -1]])
    matrix = LabelMatrix.from_numpy(array, ["a", "b"], cardinality=2, batch_size=2)
    assert [b.num_rows for b in matrix.batches] == [2, 1]
    assert np.array_equal(matrix.to_numpy(), array)
