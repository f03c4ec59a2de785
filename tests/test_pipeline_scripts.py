"""The pipeline's processing scripts, run here as they run in their containers (M1, M4).

Feature preparation uses only the standard library and evaluation uses XGBoost and NumPy,
as in the scikit-learn and XGBoost images; the shipped sample and the shipped champion model
go through both, so the quality gate's input is known to work.
"""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest

from config import load_config

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "pipelines" / "scripts"
SAMPLE = ROOT / "models" / "data" / "sessions.csv"


def script(name: str):
    spec = importlib.util.spec_from_file_location(f"pipeline_{name}", SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


prepare, evaluate = script("prepare"), script("evaluate")


def rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def prepared(tmp_path) -> Path:
    (tmp_path / "input").mkdir()
    shutil.copy(SAMPLE, tmp_path / "input" / "sessions.csv")
    assert prepare.main(["--input", str(tmp_path / "input"), "--output", str(tmp_path), "--train-shards", "3"]) == 0
    return tmp_path


def test_m1_prepare_splits_without_overlap_label_first(prepared):
    sets = {
        name: list(itertools.chain(*(rows(p) for p in sorted((prepared / name).glob("*.csv")))))
        for name in ("train", "validation", "test")
    }
    assert {name: len(r) for name, r in sets.items()} == {"train": 3500, "validation": 750, "test": 750}
    as_tuples = {name: {tuple(r) for r in found} for name, found in sets.items()}
    assert not (as_tuples["train"] & as_tuples["test"]) and not (as_tuples["validation"] & as_tuples["test"])
    for found in sets.values():
        assert all(len(r) == 7 and r[0] in ("0", "1") for r in found)
    with SAMPLE.open(newline="") as handle:
        first = next(csv.DictReader(handle))
    # The label moves to the front; the features keep the API's order.
    assert any(
        r[1:] == [repr(float(first[f])) for f in prepare.FEATURES] and r[0] == first["purchased"]
        for r in sets["train"] + sets["validation"] + sets["test"]
    )


def test_m4_prepare_writes_a_training_file_per_instance(prepared):
    shards = sorted(p.name for p in (prepared / "train").glob("*.csv"))
    assert shards == ["train-00000.csv", "train-00001.csv", "train-00002.csv"]
    sizes = [len(rows(prepared / "train" / s)) for s in shards]
    assert max(sizes) - min(sizes) <= 1


def test_m1_prepare_is_repeatable(prepared, tmp_path_factory):
    again = tmp_path_factory.mktemp("again")
    prepare.main(["--input", str(prepared / "input"), "--output", str(again), "--train-shards", "3"])
    for name in ("validation/validation.csv", "test/test.csv", "train/train-00001.csv"):
        assert (again / name).read_bytes() == (prepared / name).read_bytes()


def test_m1_prepare_drops_bad_rows_and_refuses_missing_columns(tmp_path):
    (tmp_path / "good").mkdir()
    lines = SAMPLE.read_text().splitlines()
    broken = [lines[0], *lines[1:41], "12.0,x,1,2,3,0,1", "1,2,3,4,5,6,7"]  # non-numeric; label not 0/1
    (tmp_path / "good" / "a.csv").write_text("\n".join(broken) + "\n")
    prepare.main(["--input", str(tmp_path / "good"), "--output", str(tmp_path / "out")])
    kept = sum(len(rows(p)) for p in (tmp_path / "out").rglob("*.csv"))
    assert kept == 40
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "b.csv").write_text("session_seconds,purchased\n1,0\n")
    with pytest.raises(SystemExit, match="missing columns pages_viewed"):
        prepare.main(["--input", str(tmp_path / "bad"), "--output", str(tmp_path / "out2")])


def test_m1_auc_matches_the_pairwise_definition():
    rng = np.random.default_rng(3)
    labels = (rng.random(300) < 0.4).astype(float)
    scores = np.round(rng.random(300), 1)  # many ties
    positives, negatives = scores[labels == 1], scores[labels == 0]
    pairwise = np.mean([(p > n) + 0.5 * (p == n) for p in positives for n in negatives])
    assert evaluate.auc(labels, scores) == pytest.approx(pairwise, abs=1e-12)
    assert evaluate.auc(np.array([0.0, 1.0]), np.array([0.1, 0.9])) == 1.0


def test_m1_shipped_champion_passes_the_sandbox_gate(prepared):
    (prepared / "model").mkdir()
    shutil.copy(ROOT / "models" / "artifacts" / "champion.tar.gz", prepared / "model" / "model.tar.gz")
    evaluate.main(
        ["--model", str(prepared / "model"), "--test", str(prepared / "test"), "--output", str(prepared / "evaluation")]
    )
    report = json.loads((prepared / "evaluation" / "evaluation.json").read_text())
    auc = report["metrics"]["auc"]["value"]
    assert auc >= load_config("sandbox").pipelines.evaluation.auc_threshold
    assert report["binary_classification_metrics"]["auc"]["value"] == auc and report["test_rows"] == 750


def test_m1_evaluate_reads_the_archive_the_training_job_writes(tmp_path):
    with tarfile.open(ROOT / "models" / "artifacts" / "challenger.tar.gz") as archive:
        assert archive.getnames() == ["xgboost-model"]
    (tmp_path / "model").mkdir()
    shutil.copy(ROOT / "models" / "artifacts" / "challenger.tar.gz", tmp_path / "model" / "model.tar.gz")
    booster = evaluate.load_booster(tmp_path / "model")
    assert booster.num_boosted_rounds() > 0


def test_m6_pipeline_models_take_the_features_in_the_api_s_order():
    """Approved models replace a variant behind the API (M6): a model trained on another
    column order would answer every request, wrongly. The script runs apart from the
    project, in its container, so its copy of the order must match the API's."""
    from ml_constructs.runtime.inference_api import handler

    assert prepare.FEATURES == handler.FEATURES
    assert prepare.LABEL == "purchased"
