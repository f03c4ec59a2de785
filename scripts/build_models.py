"""Build the project's model artifacts reproducibly (pattern E13).

    .venv/bin/python -m scripts.build_models          # rebuild models/ in place
    .venv/bin/python -m scripts.build_models --check  # exit 1 if the committed files differ

Trains two small purchase-propensity models (champion and challenger) with XGBoost on a
synthetic, seeded dataset, single-threaded, and packs each as the model.tar.gz that
SageMaker's built-in XGBoost container (image version 3.0-5, XGBoost 3.0.5) loads: one file,
`xgboost-model`, in XGBoost's UBJSON format. The inference pipeline's pre- and
post-processing code (models/code) is packed the way framework containers expect it
(code/ inside the archive). Archives are written with fixed timestamps, owners and order,
so the same inputs give the same bytes. Also writes the Model Monitor constraints baseline
(models/baseline/constraints.json) from the training data's schema, and the training
pipeline's sample input (models/data/sessions.csv), drawn from the same process.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml_constructs.runtime.inference_api.handler import FEATURES  # the API's request schema

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
ARTIFACTS = MODELS / "artifacts"
CODE = MODELS / "code"
BASELINE = MODELS / "baseline"
DATA = MODELS / "data"
XGBOOST_VERSION = "3.0.5"  # the library inside the sagemaker-xgboost:3.0-5 image


@dataclass(frozen=True)
class ModelSpec:
    name: str
    params: dict
    rounds: int


CHAMPION = ModelSpec("champion", {"max_depth": 3, "eta": 0.3}, 40)
CHALLENGER = ModelSpec("challenger", {"max_depth": 5, "eta": 0.1, "subsample": 0.8}, 120)
SPECS = (CHAMPION, CHALLENGER)
BASE_PARAMS = {"objective": "binary:logistic", "eval_metric": "auc", "nthread": 1, "seed": 7, "tree_method": "hist"}


def dataset(rows: int = 3000, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Sessions of a web shop and whether they ended in a purchase (synthetic, seeded)."""
    rng = np.random.default_rng(seed)
    session = rng.gamma(2.0, 120.0, rows)
    pages = rng.poisson(6, rows) + 1
    cart = rng.poisson(1.2, rows)
    price = rng.lognormal(3.2, 0.6, rows)
    recency = rng.exponential(20.0, rows)
    returning = (rng.random(rows) < 0.45).astype(float)
    logit = -3.0 + 0.004 * session + 0.12 * pages + 0.9 * cart - 0.01 * price - 0.03 * recency + 0.8 * returning
    label = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(float)
    features = np.column_stack([session, pages, cart, price, recency, returning]).round(3)
    return features, label


def split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    features, label = dataset()
    return features[:2400], label[:2400], features[2400:], label[2400:]


def train(spec: ModelSpec) -> bytes:
    import xgboost as xgb

    if xgb.__version__ != XGBOOST_VERSION:
        raise SystemExit(f"build with xgboost {XGBOOST_VERSION} (the container's), not {xgb.__version__}")
    train_x, train_y, _, _ = split()
    # No feature names: the container builds its DMatrix from headerless CSV, and XGBoost
    # refuses to predict when a booster's names and the data's differ.
    matrix = xgb.DMatrix(train_x, label=train_y)
    booster = xgb.train({**BASE_PARAMS, **spec.params}, matrix, num_boost_round=spec.rounds)
    return bytes(booster.save_raw(raw_format="ubj"))


def tar_gz(files: dict[str, bytes]) -> bytes:
    """A gzip'd tar whose bytes depend only on `files`: fixed order, times, owners and modes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(files[name]))
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0, compresslevel=9, filename="") as zipped:
        zipped.write(raw.getvalue())
    return packed.getvalue()


def constraints() -> dict:
    """Model Monitor data-quality constraints for the request features (CSV, no header)."""
    return {
        "version": 0.0,
        "features": [
            {
                "name": f"_c{index}",
                "inferred_type": "Fractional",
                "completeness": 1.0,
                "num_constraints": {"is_non_negative": True},
            }
            for index, _ in enumerate(FEATURES)
        ],
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": 1.0,
            "domain_content_threshold": 1.0,
            "distribution_constraints": {"perform_comparison": "Disabled"},
        },
    }


def sample_sessions(rows: int = 5000, seed: int = 23) -> bytes:
    """The training pipeline's default input: fresh sessions from the same process, with a header."""
    features, label = dataset(rows, seed)
    lines = [",".join((*FEATURES, "purchased"))]
    lines += [",".join((*(repr(float(v)) for v in row), str(int(y)))) for row, y in zip(features, label, strict=True)]
    return ("\n".join(lines) + "\n").encode()


def outputs() -> dict[Path, bytes]:
    files = {ARTIFACTS / f"{spec.name}.tar.gz": tar_gz({"xgboost-model": train(spec)}) for spec in SPECS}
    for step in ("preprocess", "postprocess"):
        files[ARTIFACTS / f"{step}.tar.gz"] = tar_gz({f"code/{step}.py": (CODE / f"{step}.py").read_bytes()})
    files[DATA / "sessions.csv"] = sample_sessions()
    files[BASELINE / "constraints.json"] = (json.dumps(constraints(), indent=2, sort_keys=True) + "\n").encode()
    return files


def main(argv: list[str]) -> int:
    stale = []
    for path, content in outputs().items():
        if argv == ["--check"]:
            if not path.is_file() or path.read_bytes() != content:
                stale.append(path.relative_to(ROOT))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            print(f"wrote {path.relative_to(ROOT)} ({len(content)} bytes)")
    for path in stale:
        print(f"stale: {path}; run python -m scripts.build_models", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
