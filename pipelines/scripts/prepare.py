"""PrepareFeatures: raw sessions -> train / validation / test sets for the built-in XGBoost.

Runs in the scikit-learn processing container (python3 and the standard library only, so
the tests run it as it is). Reads every CSV under the input directory, with a header that
names the features and the label; refuses input without them; drops rows with a missing or
non-numeric value and says how many. Splits with a seeded shuffle, so a rerun on the same
data gives the same sets, and writes headerless CSV with the label first, the layout the
XGBoost algorithm reads; the training set in as many files as there are training
instances, so that ShardedByS3Key gives each instance its share.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
from pathlib import Path

FEATURES = (
    "session_seconds",
    "pages_viewed",
    "cart_items",
    "price_eur",
    "days_since_last_visit",
    "is_returning",
)
LABEL = "purchased"


def read_rows(input_dir: Path) -> tuple[list[list[float]], int]:
    files = sorted(p for p in input_dir.rglob("*.csv") if p.is_file())
    if not files:
        raise SystemExit(f"no CSV files under {input_dir}")
    rows, dropped = [], 0
    for path in files:
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in (LABEL, *FEATURES) if c not in (reader.fieldnames or ())]
            if missing:
                raise SystemExit(f"{path.name}: missing columns {', '.join(missing)}")
            for record in reader:
                try:
                    values = [float(record[c]) for c in (LABEL, *FEATURES)]
                except (TypeError, ValueError):
                    dropped += 1
                    continue
                if not all(math.isfinite(v) for v in values) or values[0] not in (0.0, 1.0):
                    dropped += 1
                    continue
                rows.append(values)
    return rows, dropped


def split(rows: list, validation: float, test: float, seed: int) -> dict[str, list]:
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    n_test = round(len(shuffled) * test)
    n_validation = round(len(shuffled) * validation)
    return {
        "test": shuffled[:n_test],
        "validation": shuffled[n_test : n_test + n_validation],
        "train": shuffled[n_test + n_validation :],
    }


def write(rows: list[list[float]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for row in rows:
            writer.writerow([int(row[0]), *(repr(v) for v in row[1:])])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=Path("/opt/ml/processing/input"))
    parser.add_argument("--output", type=Path, default=Path("/opt/ml/processing"))
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--test-fraction", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--train-shards", type=int, default=1, help="training files, one per instance for ShardedByS3Key"
    )
    args = parser.parse_args(argv)
    rows, dropped = read_rows(args.input)
    sets = split(rows, args.validation_fraction, args.test_fraction, args.seed)
    if min(len(s) for s in sets.values()) == 0:
        raise SystemExit(f"too little data to split: {len(rows)} usable rows")
    shards = max(args.train_shards, 1)
    for index in range(shards):
        write(sets["train"][index::shards], args.output / "train" / f"train-{index:05d}.csv")
    for name in ("validation", "test"):
        write(sets[name], args.output / name / f"{name}.csv")
    print(json.dumps({"rows": len(rows), "dropped": dropped, **{k: len(v) for k, v in sets.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
