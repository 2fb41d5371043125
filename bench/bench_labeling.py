"""The labeling plugin against snorkel==0.10.0: label quality seed by seed, fit and apply speed.

Snorkel runs beside us, in its own virtual environment (it needs torch; datacheck never does):

    python3 -m venv /tmp/snorkel-venv
    /tmp/snorkel-venv/bin/pip install torch==2.13.0     # first: the local CPU build
    /tmp/snorkel-venv/bin/pip install snorkel==0.10.0
    .venv/bin/python bench/bench_labeling.py [--snorkel-python /tmp/snorkel-venv/bin/python]

Both sides get the same matrices (written to a temporary ``.npz``) and the same class prior
(uniform); Snorkel runs in a subprocess with its defaults (100 SGD epochs, lr 0.01) and the
seed of the pair. Quality: synthetic label matrices (``datacheck_labeling.synthetic_votes``:
10 independent LFs, coverages 0.1-0.8, accuracies 0.55-0.95; "family": plus 3 copies of one
source with coverage 0.7 and accuracy 0.6), 20,000 rows to fit on and 20,000 held-out rows to
score, k = 2 and 3, seeds 0-4. Accuracy is on held-out rows some LF voted on (ties broken by a
seeded draw, the same for every model); NLL is the mean -log P(true class) on those rows.
Speed: the fit from a 1M x 20 matrix to a fitted model (agreement statistics included), both
warm (the best of ``--runs`` fits after one warm-up); 20 vectorized LFs applied to 1M rows on
2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacheck_labeling import (
    ABSTAIN,
    LabelModel,
    MajorityVote,
    apply_lfs,
    labeling_function,
    synthetic_votes,
)

#: what runs inside Snorkel's virtual environment: fit, time, predict
SNORKEL_SIDE = textwrap.dedent(
    """
    import json, logging, sys, time
    import numpy as np
    logging.disable(logging.CRITICAL)
    from snorkel.labeling.model import LabelModel
    d = np.load(sys.argv[1])
    k, seed, runs = int(d["cardinality"]), int(d["seed"]), int(d["runs"])
    L = d["L_train"].astype(np.int64)
    times = []
    for _ in range(runs + 1):  # the first fit warms up
        model = LabelModel(cardinality=k, verbose=False)
        start = time.perf_counter()
        model.fit(L, class_balance=list(d["class_balance"]), seed=seed, progress_bar=False)
        times.append(time.perf_counter() - start)
    out = {"fit_s": min(times[1:]), "weights": model.get_weights().tolist()}
    if "L_test" in d:
        out["probs"] = model.predict_proba(d["L_test"].astype(np.int64)).tolist()
    json.dump(out, open(sys.argv[2], "w"))
    """
)


def run_snorkel(python: str, arrays: dict[str, Any]) -> dict[str, Any]:
    """Snorkel's fit (and held-out probabilities) on ``arrays``, in its own environment."""
    with tempfile.TemporaryDirectory(prefix="bench-labeling-") as tmp:
        matrices, out, script = Path(tmp, "m.npz"), Path(tmp, "out.json"), Path(tmp, "s.py")
        np.savez(matrices, **arrays)
        script.write_text(SNORKEL_SIDE)
        subprocess.run([python, str(script), str(matrices), str(out)], check=True)
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def _scores(probs: np.ndarray, votes: np.ndarray, y: np.ndarray, seed: int) -> tuple[float, float]:
    covered = (votes != -1).any(axis=1)
    rng = np.random.default_rng(seed)
    tied = np.abs(probs - probs.max(axis=1, keepdims=True)) < 1e-5
    noise = rng.random(probs.shape) * tied
    preds = np.argmax(noise, axis=1)
    accuracy = float((preds[covered] == y[covered]).mean())
    nll = float(-np.mean(np.log(np.clip(probs[covered, y[covered]], 1e-12, 1.0))))
    return accuracy, nll


def quality(python: str | None, seeds: int) -> list[dict[str, Any]]:
    rows = []
    for k in (2, 3):
        for kind, families in (("independent", ()), ("family of 3", ((3, 0.7, 0.6),))):
            for seed in range(seeds):
                data = synthetic_votes(40_000, cardinality=k, families=families, seed=seed)
                train, test = data.votes[:20_000], data.votes[20_000:]
                y_test = data.y[20_000:]
                prior = np.full(k, 1.0 / k)
                start = time.perf_counter()
                ours = LabelModel(k).fit(train, class_balance=prior)
                fit_s = time.perf_counter() - start
                row: dict[str, Any] = {"k": k, "lfs": kind, "seed": seed, "fit_s": fit_s}
                row["ours"] = _scores(ours.predict_proba(test), test, y_test, seed)
                row["mv"] = _scores(MajorityVote(k).predict_proba(test), test, y_test, seed)
                row["groups"] = len(ours.groups)
                if python is not None:
                    theirs = run_snorkel(
                        python,
                        {
                            "L_train": train,
                            "L_test": test,
                            "class_balance": prior,
                            "cardinality": k,
                            "seed": seed,
                            "runs": 1,
                        },
                    )
                    row["snorkel"] = _scores(np.asarray(theirs["probs"]), test, y_test, seed)
                    row["snorkel_fit_s"] = theirs["fit_s"]
                rows.append(row)
                _print_quality(row)
    return rows


def _print_quality(row: dict[str, Any]) -> None:
    ours, mv = row["ours"], row["mv"]
    line = (
        f"k={row['k']} {row['lfs']:<12} seed={row['seed']}  ours {ours[0]:.4f} (NLL {ours[1]:.3f})"
        f"  majority {mv[0]:.4f}"
    )
    if "snorkel" in row:
        theirs = row["snorkel"]
        line += (
            f"  snorkel {theirs[0]:.4f} (NLL {theirs[1]:.3f})  ours-snorkel "
            f"{ours[0] - theirs[0]:+.4f}"
        )
    print(line + f"  groups found {row['groups']}", flush=True)


def _summary(rows: list[dict[str, Any]]) -> None:
    print("\nmeans over seeds (accuracy on covered held-out rows; NLL)")
    for k in (2, 3):
        for kind in ("independent", "family of 3"):
            part = [r for r in rows if r["k"] == k and r["lfs"] == kind]
            ours = np.mean([r["ours"][0] for r in part])
            nll = np.mean([r["ours"][1] for r in part])
            mv = np.mean([r["mv"][0] for r in part])
            line = f"k={k} {kind:<12} ours {ours:.4f} (NLL {nll:.3f})  majority {mv:.4f}"
            if all("snorkel" in r for r in part):
                theirs = np.mean([r["snorkel"][0] for r in part])
                tnll = np.mean([r["snorkel"][1] for r in part])
                worst = min(r["ours"][0] - r["snorkel"][0] for r in part)
                line += f"  snorkel {theirs:.4f} (NLL {tnll:.3f})  worst paired diff {worst:+.4f}"
            print(line)


def fit_speed(python: str | None, runs: int) -> None:
    data = synthetic_votes(1_000_000, num_lfs=20, seed=11)
    prior = np.array([0.5, 0.5])
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        LabelModel(2).fit(data.votes, class_balance=prior)
        times.append(time.perf_counter() - start)
    ours = min(times[1:])
    print(f"\nfit, 1M x 20 votes, k=2 (warm, best of {runs}): ours {ours:.3f} s", end="")
    if python is None:
        print()
        return
    theirs = run_snorkel(
        python,
        {"L_train": data.votes, "class_balance": prior, "cardinality": 2, "seed": 0, "runs": runs},
    )["fit_s"]
    print(f", snorkel {theirs:.3f} s: {theirs / ours:.1f}x faster")


def _threshold_lf(column: str, high: float, low: float) -> Any:
    def vote(batch: pa.RecordBatch) -> Any:
        values = batch.column(column)
        return pc.if_else(pc.greater(values, high), 1, pc.if_else(pc.less(values, low), 0, ABSTAIN))

    return labeling_function(name=f"{column}_{high}_{low}", vectorized=True)(vote)


def apply_speed(runs: int) -> None:
    rng = np.random.default_rng(0)
    table = pa.table({f"x{i}": rng.normal(size=1_000_000) for i in range(5)})
    lfs = [_threshold_lf(f"x{j % 5}", 0.5 + 0.1 * j, -0.5 - 0.1 * j) for j in range(20)]
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        votes = apply_lfs(table, lfs, cardinality=2)
        times.append(time.perf_counter() - start)
    assert votes.num_rows == 1_000_000
    print(
        f"apply, 20 vectorized LFs over 1M rows, {os.cpu_count()} cores "
        f"(warm, best of {runs}): {min(times[1:]):.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snorkel-python", default="/tmp/snorkel-venv/bin/python")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    python: str | None = args.snorkel_python
    if not Path(python or "").exists():
        print(f"no Snorkel environment at {python}: ours only (see the docstring to make one)")
        python = None
    rows = quality(python, args.seeds)
    _summary(rows)
    fit_speed(python, args.runs)
    apply_speed(args.runs)


if __name__ == "__main__":
    sys.exit(main())
