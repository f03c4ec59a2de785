"""Evaluate: the trained model on the held-out test set -> evaluation.json.

Runs in the XGBoost container (xgboost and numpy are there). Unpacks model.tar.gz, scores
test.csv (label first, no header), and writes the AUC and the accuracy at 0.5 twice: under
`metrics` for the pipeline's quality gate (JsonGet metrics.auc.value) and under
`binary_classification_metrics`, the model-quality layout the model registry displays.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
from pathlib import Path

import numpy as np


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve: the chance a positive outranks a negative (ties count half)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    start = 0
    while start < len(scores):
        end = start
        while end + 1 < len(scores) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    positives = labels == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if n_pos == 0 or n_neg == 0:
        raise SystemExit("the test set needs both classes to compute an AUC")
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def load_booster(model_dir: Path):
    import xgboost as xgb

    archive = model_dir / "model.tar.gz"
    with tarfile.open(archive) as packed:
        member = packed.getmember("xgboost-model")
        data = packed.extractfile(member).read()
    booster = xgb.Booster()
    booster.load_model(bytearray(data))
    return booster


def main(argv: list[str]) -> int:
    import xgboost as xgb

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("/opt/ml/processing/model"))
    parser.add_argument("--test", type=Path, default=Path("/opt/ml/processing/test"))
    parser.add_argument("--output", type=Path, default=Path("/opt/ml/processing/evaluation"))
    args = parser.parse_args(argv)
    data = np.vstack([np.loadtxt(p, delimiter=",", ndmin=2) for p in sorted(args.test.glob("*.csv"))])
    labels, features = data[:, 0], data[:, 1:]
    scores = load_booster(args.model).predict(xgb.DMatrix(features))
    area = auc(labels, scores)
    accuracy = float(((scores >= 0.5) == (labels == 1)).mean())
    metrics = {"auc": {"value": area}, "accuracy": {"value": accuracy}}
    report = {
        "metrics": metrics,
        "binary_classification_metrics": {
            name: {"value": m["value"], "standard_deviation": "NaN"} for name, m in metrics.items()
        },
        "test_rows": int(len(labels)),
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "evaluation.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(json.dumps(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
