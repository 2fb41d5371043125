"""``datacheck skew``'s text: the features that differ, the others counted in one line."""

from __future__ import annotations

from datacheck.cli import main


def test_skew_text_lists_only_the_features_that_differ(tmp_path, capsys) -> None:
    columns = ["id", *(f"f{i}" for i in range(58))]
    rows = [[str(r), *(str(r * i) for i in range(58))] for r in range(20)]
    train, serving = tmp_path / "train.csv", tmp_path / "serving.csv"
    train.write_text("\n".join(",".join(r) for r in [columns, *rows]) + "\n")
    rows[3][5] = "-1"  # one value of f4 differs for id 3
    serving.write_text("\n".join(",".join(r) for r in [columns, *rows]) + "\n")
    capsys.readouterr()
    assert main(["skew", str(train), str(serving), "--key", "id"]) == 1
    out = capsys.readouterr().out
    table = [
        line.split()[0]
        for line in out.splitlines()
        if line.startswith("f") and not line.startswith("feature")
    ]
    assert table == ["f4"]
    assert "57 features equal on every joined key" in out
    assert len(out.splitlines()) < 12
    assert main(["skew", str(train), str(serving), "--key", "id", "--verbose"]) == 1
    verbose = capsys.readouterr().out
    assert (
        len(
            [
                line
                for line in verbose.splitlines()
                if line.startswith("f") and not line.startswith("feature")
            ]
        )
        == 58
    )
