"""Invalid inference setups stop synthesis with a message naming the field (N7, E1-E10)."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from config.inference import GUARDRAILS_DOC, SERVERLESS_DOC, SHADOW_DOC, InferenceConfig

VALID = {
    "enabled": True,
    "models": [
        {"name": "champion", "artifact": "champion"},
        {"name": "challenger", "artifact": "challenger"},
        {
            "name": "open-model",
            "artifact": "champion",
            "network_isolation": False,
            "network_isolation_exception": "serverless endpoints run outside customer VPCs (AWS exclusions)",
        },
    ],
    "realtime": {
        "variants": [
            {"name": "champion", "model": "champion", "weight": 90},
            {"name": "challenger", "model": "challenger", "weight": 10},
        ],
    },
    "serverless": {"enabled": True, "model": "open-model"},
    "asynchronous": {"enabled": True, "model": "challenger"},
    "pipeline": {"enabled": True, "model": "champion"},
}


def config(**changes) -> dict:
    data = copy.deepcopy(VALID)
    for path, value in changes.items():
        node = data
        *parents, leaf = path.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(leaf) if leaf.isdigit() else leaf] = value
    return data


def shadowed(**changes) -> dict:
    """VALID as a shadow test (E2): one production variant and one shadow variant beside it."""
    data = config(**changes)
    data["realtime"]["variants"] = data["realtime"]["variants"][:1]
    data["realtime"].setdefault("shadow_variants", [{"name": "shadow", "model": "challenger"}])
    return data


def problems(data: dict) -> str:
    with pytest.raises(ValidationError) as caught:
        InferenceConfig.model_validate(data)
    return str(caught.value)


def test_valid_setup_passes():
    InferenceConfig.model_validate(VALID)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"realtime.variants.0.weight": 0, "realtime.variants.1.weight": 0},
            "weights are all zero, so no variant would receive traffic",
            id="weights-all-zero",
        ),
        pytest.param({"realtime.variants.1.weight": -5}, "weights must not be negative", id="negative-weight"),
        pytest.param(
            {"realtime.variants.1.name": "champion"}, "variant name 'champion' is used twice", id="duplicate-variant"
        ),
        pytest.param({"models.1.name": "champion"}, "model name 'champion' is used twice", id="duplicate-model"),
        pytest.param(
            {"realtime.variants.0.min_capacity": 3, "realtime.variants.0.max_capacity": 2},
            "inference.realtime.variants[0]: min_capacity 3 is greater than max_capacity 2",
            id="min-above-max",
        ),
        pytest.param(
            {"realtime.variants.0.initial_instance_count": 5},
            "initial_instance_count 5 is outside min_capacity..max_capacity (1..2)",
            id="initial-outside-range",
        ),
        pytest.param(
            {"realtime.variants.0.instance_type": "ml.x9.large"},
            "inference.realtime.variants[0].instance_type 'ml.x9.large': "
            "instance family ml.x9 is not one SageMaker hosts",
            id="unknown-instance-family",
        ),
        pytest.param(
            {"realtime.variants.0.instance_type": "ml.m5.huge"},
            "'ml.m5.huge' is not a SageMaker hosting instance type (did you mean ml.m5.large?); "
            "ml.m5 offers ml.m5.12xlarge",
            id="unknown-instance-size",
        ),
        pytest.param(
            {"realtime.variants.0.model": "ghost"}, "model 'ghost' is not one of inference.models", id="unknown-model"
        ),
        pytest.param(
            {"realtime.deployment": {"mode": "rolling"}},
            "rolling cannot update an endpoint with 2 variants: \"If you're doing a rolling deployment, there are "
            'additional feature-based exclusions: Serverless inference endpoints, Multi-variant inference endpoints"',
            id="rolling-with-two-variants",
        ),
        pytest.param(
            {"realtime.variants.0.instance_type": "ml.inf1.xlarge", "realtime.shadow_variants": []},
            "canary deployment guardrails cannot be used with Inf1 instances",
            id="canary-on-inf1",
        ),
        pytest.param(
            {"serverless.model": "champion"},
            "Serverless Inference does not support VPC configuration, network isolation",
            id="serverless-with-isolation",
        ),
        pytest.param(
            {"realtime.variants.0.model": "open-model"},
            "model 'open-model' runs without network isolation; the real-time endpoint serves only isolated models",
            id="realtime-without-isolation",
        ),
        pytest.param(
            {"models.0.image_family": "sklearn"},
            "network_isolation is true but Scikit-learn containers do not support network isolation",
            id="isolation-with-sklearn",
        ),
        pytest.param(
            {"models.0.image_family": "pytorch"},
            "PyTorch containers do not support network isolation",
            id="isolation-with-pytorch",
        ),
        pytest.param(
            {"models.2.network_isolation_exception": None},
            "network_isolation: false needs network_isolation_exception",
            id="exception-without-reason",
        ),
        pytest.param(
            {"asynchronous.model": "open-model"},
            "inference.asynchronous.model 'open-model' must run with network isolation",
            id="async-open",
        ),
        pytest.param(
            {"pipeline.enabled": True, "pipeline.model": None},
            "inference.pipeline.model must name one of inference.models",
            id="pipeline-without-model",
        ),
        pytest.param({"realtime": None}, "inference.realtime: required when inference is enabled", id="no-realtime"),
    ],
)
def test_invalid_inference_setups_are_refused(changes, expected):
    assert expected in problems(config(**changes))


def test_e2_a_shadow_beside_one_production_variant_passes():
    InferenceConfig.model_validate(shadowed())


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            shadowed(**{"realtime.shadow_variants": [{"name": "champion", "model": "challenger"}]}),
            "variant name 'champion' is used twice",
            id="shadow-name-clash",
        ),
        pytest.param(
            shadowed(
                **{
                    "realtime.shadow_variants": [
                        {"name": "shadow", "model": "challenger", "instance_type": "ml.inf1.xlarge"}
                    ]
                }
            ),
            "inference.realtime.shadow_variants[0]: shadow tests cannot run on Inf1 instances",
            id="shadow-on-inf1",
        ),
        pytest.param(
            config(**{"realtime.shadow_variants": [{"name": "shadow", "model": "challenger"}]}),
            "inference.realtime.shadow_variants: a shadow variant needs exactly one production variant beside it, "
            "but inference.realtime.variants has 2",
            id="shadow-beside-two-variants",
        ),
        pytest.param(
            shadowed(
                **{
                    "realtime.shadow_variants": [
                        {"name": "shadow-one", "model": "challenger"},
                        {"name": "shadow-two", "model": "challenger"},
                    ]
                }
            ),
            "inference.realtime.shadow_variants: 2 shadow variants given, AWS takes one",
            id="two-shadows",
        ),
    ],
)
def test_e2_shadow_setups_aws_refuses(data, expected):
    assert expected in problems(data)


def test_documented_limitations_cite_their_source():
    assert GUARDRAILS_DOC in problems(config(**{"realtime.deployment": {"mode": "rolling"}}))
    assert SHADOW_DOC in problems(
        shadowed(
            **{
                "realtime.shadow_variants": [
                    {"name": "shadow", "model": "challenger", "instance_type": "ml.inf1.xlarge"}
                ]
            }
        )
    )
    assert SERVERLESS_DOC in problems(config(**{"serverless.model": "champion"}))


def test_rolling_is_allowed_on_a_single_variant():
    single = config(**{"realtime.deployment": {"mode": "rolling"}})
    single["realtime"]["variants"] = single["realtime"]["variants"][:1]
    InferenceConfig.model_validate(single)


def test_e5_high_availability_needs_two_instances_everywhere():
    message = problems(config(high_availability=True))
    assert (
        "inference.realtime.variants[0]: high_availability needs min_capacity and initial_instance_count of at least 2"
        in message
    )
    assert "inference.pipeline.instance_count must be at least 2 with high_availability (E5)" in message


def test_every_problem_is_reported_together():
    message = problems(config(**{"realtime.variants.0.weight": -1, "realtime.variants.1.instance_type": "ml.x9.large"}))
    assert "weights must not be negative" in message and "instance family ml.x9" in message


def test_profiles_deploy_every_inference_option():
    from config import load_config

    for name in ("demo", "production"):
        inference = load_config(name).inference
        # E1: two production variants, so AWS takes no shadow beside them; E2: the shadow test is its own endpoint.
        assert inference.enabled and len(inference.realtime.variants) == 2 and not inference.realtime.shadow_variants
        assert inference.shadow_test.enabled and len(inference.shadow_test.variants) == 1
        assert len(inference.shadow_test.shadow_variants) == 1
        assert not inference.realtime.monitoring.enabled, "E6: Model Monitor is an opt-in, off in both profiles"
        assert inference.serverless.enabled and inference.asynchronous.enabled and inference.pipeline.enabled
        assert inference.api.enabled
    assert load_config("production").inference.high_availability
    # The sandbox keeps what costs nothing idle (docs/sandbox.md): serverless, async (scales to zero), the API.
    sandbox = load_config("sandbox").inference
    assert sandbox.serverless.enabled and sandbox.asynchronous.enabled and sandbox.api.enabled
    assert sandbox.active_realtime is None and sandbox.active_shadow_test is None and not sandbox.pipeline.enabled


# --- E2: the shadow-test endpoint (inference.shadow_test) -------------------------------------------

SHADOW_TEST = {
    "variants": [{"name": "champion", "model": "champion", "weight": 1}],
    "shadow_variants": [{"name": "shadow", "model": "challenger", "sampling_weight": 0.5}],
}


def with_shadow_test(**changes) -> dict:
    data = config()
    data["shadow_test"] = copy.deepcopy(SHADOW_TEST)
    for path, value in changes.items():
        node = data["shadow_test"]
        *parents, leaf = path.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(leaf) if leaf.isdigit() else leaf] = value
    return data


def test_e2_shadow_test_with_one_production_and_one_shadow_variant_passes():
    parsed = InferenceConfig.model_validate(with_shadow_test())
    assert (len(parsed.shadow_test.variants), len(parsed.shadow_test.shadow_variants)) == (1, 1)
    assert parsed.realtime.monitoring.enabled is False, "E6: Model Monitor is an opt-in"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"variants": VALID["realtime"]["variants"]},
            "inference.shadow_test.shadow_variants: a shadow variant needs exactly one production variant beside "
            "it, but inference.shadow_test.variants has 2",
            id="E2-two-production-variants",
        ),
        pytest.param({"shadow_variants": []}, "shadow_test.shadow_variants", id="E2-no-shadow"),
        pytest.param(
            {"shadow_variants": [SHADOW_TEST["shadow_variants"][0], {"name": "two", "model": "challenger"}]},
            "inference.shadow_test.shadow_variants: 2 shadow variants given, AWS takes one",
            id="E2-two-shadows",
        ),
        pytest.param(
            {"shadow_variants.0.instance_type": "ml.inf1.xlarge", "deployment": {"mode": "all-at-once"}},
            "inference.shadow_test.shadow_variants[0]: shadow tests cannot run on Inf1 instances",
            id="E2-shadow-on-inf1",
        ),
        pytest.param(
            {"deployment": {"mode": "rolling"}},
            "inference.shadow_test.deployment.mode rolling cannot update an endpoint with 2 variants",
            id="E3-rolling-beside-a-shadow",
        ),
        pytest.param(
            {"shadow_variants.0.model": "missing"},
            "inference.shadow_test.shadow_variants[0].model 'missing' is not one of inference.models",
            id="unknown-model",
        ),
        pytest.param(
            {"shadow_variants.0.name": "champion"},
            "inference.shadow_test: variant name 'champion' is used twice",
            id="name-clash",
        ),
    ],
)
def test_e2_e3_shadow_test_setups_aws_refuses(changes, expected):
    assert expected in problems(with_shadow_test(**changes))


def test_e2_a_disabled_shadow_test_is_not_checked():
    InferenceConfig.model_validate(with_shadow_test(enabled=False, variants=VALID["realtime"]["variants"]))


@pytest.mark.parametrize("mode", ["canary", "linear", "all-at-once"])
def test_e3_blue_green_modes_are_valid_for_a_shadow_test(mode):
    InferenceConfig.model_validate(with_shadow_test(deployment={"mode": mode}))
