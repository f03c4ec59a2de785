"""Reusable L3 constructs, one pattern each (IDs from ../shared/patterns.md in each docstring).

The package is `ml_constructs`, not `constructs`: a top-level package named `constructs`
would shadow the `constructs` library that aws_cdk itself imports, and no app would start.
Constructs never import stacks or the config model; stacks translate config into props.
"""
