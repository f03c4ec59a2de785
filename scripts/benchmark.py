"""What building the training pipeline's definition costs a synth (`make bench`).

Speed is measured here, never asserted in the tests. For one profile it reports:
- the pipeline definition built with the SageMaker SDK: the first build in this process
  (it imports the SDK's workflow, training and serving modules) and the median of the
  builds after it;
- the CDK app run as the CLI runs it (`python app.py` with cdk.json's context), once with
  the profile as it is and once with `pipelines.enabled: false`, so the difference is what
  the Pipelines stack adds to a synth, definition, gates and all.

    python -m scripts.benchmark [--profile sandbox] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def definition_builds(profile: str, repeat: int) -> tuple[float, float]:
    from config import load_config
    from pipelines import training
    from stacks.pipelines import pipeline_spec

    spec = pipeline_spec(load_config(profile))
    seconds = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        training.build(spec)
        seconds.append(time.perf_counter() - start)
    return seconds[0], statistics.median(seconds[1:])


def app_run(config_file: Path, outdir: Path) -> float:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    environment = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({**context, "config": str(config_file)}),
        "CDK_OUTDIR": str(outdir),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    start = time.perf_counter()
    subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="sandbox")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement after the first")
    args = parser.parse_args(argv)

    first, warm = definition_builds(args.profile, args.repeat)
    print(f"pipeline definition ({args.profile}): first build {first:.2f} s, then {warm:.2f} s (median)")

    profile_file = ROOT / "config" / f"{args.profile}.yaml"
    data = yaml.safe_load(profile_file.read_text())
    with tempfile.TemporaryDirectory() as scratch:
        without = Path(scratch) / f"{args.profile}-without-pipelines.yaml"
        without.write_text(yaml.safe_dump({**data, "pipelines": {"enabled": False}}))
        runs = {"with": [], "without": []}
        for index in range(args.repeat):
            for label, config_file in (("with", profile_file), ("without", without)):
                runs[label].append(app_run(config_file, Path(scratch) / f"{label}-{index}"))
    with_pipelines, without_pipelines = (statistics.median(runs[k]) for k in ("with", "without"))
    print(
        f"CDK app ({args.profile}, median of {args.repeat}): {with_pipelines:.1f} s with the Pipelines stack, "
        f"{without_pipelines:.1f} s without: the stack adds {with_pipelines - without_pipelines:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
