"""Print the profile's CDK bootstrap qualifier (deploy.bootstrap_qualifier), for `make bootstrap`.

    python -m scripts.qualifier --profile sandbox
    python -m scripts.qualifier --config path/to/profile.yaml

The stacks synthesize with the same qualifier (stacks/__init__.py), so the bootstrap `make bootstrap`
creates is the one `make deploy` looks for.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", help="profile name (config/<profile>.yaml)")
    parser.add_argument("--config", help="path to a profile YAML file instead of --profile")
    args = parser.parse_args(argv)

    from config import ConfigError, load_config

    try:
        config = load_config(args.profile, args.config)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return 2
    print(config.deploy.bootstrap_qualifier)
    return 0


if __name__ == "__main__":
    sys.exit(main())
