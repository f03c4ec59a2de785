"""First container of the inference pipeline (pattern E10): JSON records -> CSV feature rows.

Runs in SageMaker's XGBoost framework container in script mode (SAGEMAKER_PROGRAM), loaded
from code/ inside its model.tar.gz, so it works under network isolation. Standard library only.
"""

import csv
import io
import json

FEATURES = (
    "session_seconds",
    "pages_viewed",
    "cart_items",
    "price_eur",
    "days_since_last_visit",
    "is_returning",
)


def model_fn(model_dir):
    return FEATURES  # nothing to load: the feature order is the model


def input_fn(body, content_type):
    if content_type != "application/json":
        raise ValueError(f"preprocess accepts application/json, not {content_type}")
    document = json.loads(body)
    instances = document.get("instances") if isinstance(document, dict) else None
    if not isinstance(instances, list) or not instances:
        raise ValueError('expected {"instances": [{feature: value, ...}, ...]}')
    return instances


def predict_fn(instances, features):
    rows = []
    for instance in instances:
        missing = [name for name in features if name not in instance]
        if missing:
            raise ValueError(f"missing features: {', '.join(missing)}")
        rows.append([float(instance[name]) for name in features])
    return rows


def output_fn(rows, accept):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue(), "text/csv"
