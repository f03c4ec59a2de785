"""Last container of the inference pipeline (pattern E10): XGBoost scores -> a JSON answer.

Runs in SageMaker's XGBoost framework container in script mode, loaded from code/ inside
its model.tar.gz. Standard library only.
"""

import json

THRESHOLD = 0.5


def model_fn(model_dir):
    return THRESHOLD


def input_fn(body, content_type):
    if content_type not in ("text/csv", "text/csv; charset=utf-8"):
        raise ValueError(f"postprocess accepts text/csv scores, not {content_type}")
    text = body.decode() if isinstance(body, bytes) else body
    return [float(value) for line in text.splitlines() for value in line.split(",") if value.strip()]


def predict_fn(scores, threshold):
    return [{"purchase_probability": round(score, 6), "will_purchase": score >= threshold} for score in scores]


def output_fn(predictions, accept):
    return json.dumps({"predictions": predictions}), "application/json"
