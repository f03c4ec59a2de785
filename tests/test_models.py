"""The shipped model artifacts (pattern E13) and the inference pipeline's steps (E10)."""

from __future__ import annotations

import importlib.util
import io
import json
import tarfile

import numpy as np
import pytest
import xgboost as xgb

from scripts import build_models

ARTIFACTS = build_models.ARTIFACTS


def members(name: str) -> dict[str, bytes]:
    with tarfile.open(ARTIFACTS / f"{name}.tar.gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers()}


def load(name: str) -> xgb.Booster:
    booster = xgb.Booster()
    booster.load_model(bytearray(members(name)["xgboost-model"]))
    return booster


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    positives, negatives = scores[labels == 1], scores[labels == 0]
    return float((positives[:, None] > negatives[None, :]).mean())


def test_e13_artifacts_rebuild_byte_for_byte():
    """The committed archives and baseline are exactly what the script builds."""
    for path, content in build_models.outputs().items():
        assert path.read_bytes() == content, path.name


def test_e13_archives_are_reproducible_by_construction():
    packed = build_models.tar_gz({"b": b"2", "a": b"1"})
    assert packed == build_models.tar_gz({"a": b"1", "b": b"2"})
    with tarfile.open(fileobj=io.BytesIO(packed)) as archive:
        assert [(m.name, m.mtime, m.uid, m.uname) for m in archive.getmembers()] == [("a", 0, 0, ""), ("b", 0, 0, "")]


@pytest.mark.parametrize("name", ["champion", "challenger"])
def test_e13_model_archive_is_what_the_xgboost_container_loads(name):
    assert list(members(name)) == ["xgboost-model"]  # the built-in container's file name
    booster = load(name)
    assert booster.feature_names is None  # it predicts on headerless CSV
    assert xgb.__version__ == build_models.XGBOOST_VERSION


@pytest.mark.parametrize(("name", "minimum_auc"), [("champion", 0.75), ("challenger", 0.72)])
def test_e13_models_predict_on_the_holdout(name, minimum_auc):
    _, _, features, labels = build_models.split()
    scores = load(name).predict(xgb.DMatrix(features))
    assert scores.shape == (len(labels),)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert auc(scores, labels) >= minimum_auc


def test_e13_champion_and_challenger_are_different_models():
    _, _, features, _ = build_models.split()
    champion, challenger = (load(n).predict(xgb.DMatrix(features[:50])) for n in ("champion", "challenger"))
    assert not np.allclose(champion, challenger)


def step(name: str):
    """A pipeline step's module, loaded from inside its archive as the container would."""
    source = members(name)[f"code/{name}.py"]
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, f"code/{name}.py", "exec"), module.__dict__)  # noqa: S102 - our own shipped code
    return module


def test_e10_pipeline_steps_chain_json_to_a_json_answer():
    """preprocess -> xgboost (the predictor's archive) -> postprocess, as SageMaker chains them."""
    pre, post = step("preprocess"), step("postprocess")
    features, _, _, _ = build_models.split()
    instances = [dict(zip(pre.FEATURES, map(float, row), strict=True)) for row in features[:3]]
    body, content_type = pre.output_fn(
        pre.predict_fn(
            pre.input_fn(json.dumps({"instances": instances}), "application/json"), pre.model_fn("/opt/ml/model")
        ),
        "text/csv",
    )
    assert content_type == "text/csv" and body.count("\n") == 3
    rows = np.array([[float(v) for v in line.split(",")] for line in body.splitlines()])
    scores = load("champion").predict(xgb.DMatrix(rows))
    scored = "\n".join(repr(float(s)) for s in scores)
    answer, answer_type = post.output_fn(
        post.predict_fn(post.input_fn(scored, "text/csv"), post.model_fn("/opt/ml/model")), "application/json"
    )
    predictions = json.loads(answer)["predictions"]
    assert answer_type == "application/json"
    assert [p["purchase_probability"] for p in predictions] == pytest.approx([float(s) for s in scores], abs=1e-6)
    assert [p["will_purchase"] for p in predictions] == [bool(s >= 0.5) for s in scores]


def test_e10_preprocess_refuses_incomplete_instances():
    pre = step("preprocess")
    with pytest.raises(ValueError, match="missing features: cart_items"):
        pre.predict_fn([{"session_seconds": 1, "pages_viewed": 2}], pre.FEATURES[:3])
    with pytest.raises(ValueError, match="application/json"):
        pre.input_fn("{}", "text/csv")


def test_e6_baseline_constrains_every_request_feature():
    constraints = json.loads((build_models.BASELINE / "constraints.json").read_text())
    assert [f["name"] for f in constraints["features"]] == [f"_c{i}" for i in range(len(build_models.FEATURES))]
    assert all(f["completeness"] == 1.0 for f in constraints["features"])
    assert constraints["monitoring_config"]["evaluate_constraints"] == "Enabled"


def test_api_and_the_pipeline_model_agree_on_the_features():
    """The pre-processing step runs inside the container, apart from the project: its copy must match."""
    from ml_constructs.runtime.inference_api import handler

    assert step("preprocess").FEATURES == handler.FEATURES
