"""Print the profile's CDK bootstrap qualifier (deploy.bootstrap_qualifier), for `make bootstrap`.

    python -m scripts.qualifier --profile sandbox
    python -m scripts.qualifier --config path/to/profile.yaml

The stacks synthesize with the same qualifier (stacks/__init__.py), so the bootstrap `make bootstrap`
creates is the one `make deploy` looks for.
"""

from __future__ import annotations

import argparse
import sys

from scripts.profile_args import add_profile_arguments, load_selected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_profile_arguments(parser)
    config = load_selected(parser.parse_args(argv))
    if config is None:
        return 2
    print(config.deploy.bootstrap_qualifier)
    return 0


if __name__ == "__main__":
    sys.exit(main())
