"""The variant-scaling custom resources' handler against Application Auto Scaling's API (pattern E4).

botocore's Stubber checks each request against the service model (so a number CloudFormation
turned into a string, or a misspelt field, fails here as it would against AWS) and answers
with the service's own error codes.
"""

from __future__ import annotations

from variant_scaling_helpers import (
    ENDPOINT,
    answers_fixture,  # noqa: F401 (the `answers` fixture)
    autoscaling_fixture,  # noqa: F401 (the `autoscaling` fixture)
    clock_fixture,  # noqa: F401 (the `clock` fixture)
    event,
    expect_deregister,
    expect_endpoint,
    expect_put,
    expect_register,
    first_instance,
    policy_arn,
    sagemaker_fixture,  # noqa: F401 (the `sagemaker` fixture)
    scaled,
    scaling,
    target,
    tracking,
)

from ml_constructs.runtime.variant_scaling import handler

# --- Throttling -------------------------------------------------------------------------------------


def test_e4_throttling_and_concurrent_updates_are_retried_with_backoff(autoscaling, sagemaker, answers, clock):
    sagemaker.add_client_error("describe_endpoint", "ThrottlingException", "Rate exceeded")
    expect_endpoint(sagemaker)
    autoscaling.add_client_error("register_scalable_target", "ThrottlingException", "Rate exceeded")
    autoscaling.add_client_error("register_scalable_target", "ConcurrentUpdateException", "in progress")
    expect_register(autoscaling, "champion", 1, 2)
    autoscaling.add_client_error("put_scaling_policy", "ConcurrentUpdateException", "in progress")
    expect_put(autoscaling, "champion", tracking("champion"))
    handler.handler(scaling("Create", [scaled("champion")]), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]
    assert len(clock.sleeps) == 4
    assert clock.sleeps[1] > clock.sleeps[0] * 0.5  # backoff grows (with jitter)


def test_e4_throttling_gives_up_after_the_last_attempt(autoscaling, sagemaker, answers, clock):
    expect_endpoint(sagemaker)
    for _ in range(handler.MAX_ATTEMPTS):
        autoscaling.add_client_error("register_scalable_target", "ThrottlingException", "Rate exceeded")
    handler.handler(scaling("Create", [scaled("champion")]), None)
    (answer,) = answers
    assert answer["Status"] == "FAILED" and "ThrottlingException" in answer["Reason"]
    assert len(clock.sleeps) == handler.MAX_ATTEMPTS - 1
    assert max(clock.sleeps) <= handler.MAX_BACKOFF


# --- Scaling: after the endpoint -----------------------------------------------------------------


def test_e4_scaling_registers_every_variant_and_answers_policy_arns(autoscaling, sagemaker, answers):
    variants = [scaled("champion", low=2, high=4), scaled("challenger")]
    expect_endpoint(sagemaker, variants=("champion", "challenger"))
    expect_register(autoscaling, "challenger", 1, 2)
    expect_put(autoscaling, "challenger", tracking("challenger"))
    expect_register(autoscaling, "champion", 2, 4)
    expect_put(autoscaling, "champion", tracking("champion"))
    handler.handler(scaling("Create", variants), None)
    (answer,) = answers
    assert answer["Status"] == "SUCCESS"
    assert answer["Data"] == {
        "champion-invocations": policy_arn("champion", "champion-invocations"),
        "challenger-invocations": policy_arn("challenger", "challenger-invocations"),
    }


def test_e4_scaling_refuses_variants_the_endpoint_does_not_run(autoscaling, sagemaker, answers):
    expect_endpoint(sagemaker, variants=("champion",))
    handler.handler(scaling("Create", [scaled("champion"), scaled("challenger")]), None)
    (answer,) = answers
    assert answer["Status"] == "FAILED" and "['challenger']" in answer["Reason"], answer["Reason"]


def test_e4_scaling_update_drops_removed_variants_and_policies(autoscaling, sagemaker, answers):
    step = first_instance("champion")
    before = [scaled("champion", policies=[tracking("champion"), step]), scaled("retired")]
    after = [scaled("champion", "ml.c5.large", 2, 6)]
    expect_endpoint(sagemaker)
    expect_deregister(autoscaling, "retired")
    expect_register(autoscaling, "champion", 2, 6)
    autoscaling.add_response(
        "delete_scaling_policy", {}, {"PolicyName": "champion-first-instance", **target("champion")}
    )
    expect_put(autoscaling, "champion", tracking("champion"))
    handler.handler(scaling("Update", after, before), None)
    assert answers[0]["Status"] == "SUCCESS"


def test_e4_scaling_puts_step_policies_with_the_apis_types(autoscaling, sagemaker, answers):
    step = {**first_instance("async"), "PolicyName": "async-first-instance"}
    step["StepScalingPolicyConfiguration"]["StepAdjustments"] = [
        {"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}
    ]
    expect_endpoint(sagemaker, variants=("async",))
    expect_register(autoscaling, "async", 0, 2)
    expect_put(autoscaling, "async", step)
    handler.handler(scaling("Create", [scaled("async", low=0, high=2, policies=[step])]), None)
    assert answers[0]["Data"] == {"async-first-instance": policy_arn("async", "async-first-instance")}


def test_e4_scaling_delete_deregisters_before_the_endpoint_goes(autoscaling, sagemaker, answers):
    expect_deregister(autoscaling, "challenger", "ObjectNotFoundException")
    expect_deregister(autoscaling, "champion")
    handler.handler(scaling("Delete", [scaled("champion"), scaled("challenger")]), None)
    assert answers[0]["Status"] == "SUCCESS"
    assert answers[0]["PhysicalResourceId"] == f"{ENDPOINT}/VariantScaling"


def test_e4_scaling_failure_reaches_cloudformation(autoscaling, sagemaker, answers):
    expect_endpoint(sagemaker)
    autoscaling.add_client_error(
        "register_scalable_target", "ValidationException", "The endpoint is not in service", expected_params=None
    )
    handler.handler(scaling("Create", [scaled("champion")]), None)
    (answer,) = answers
    assert answer["Status"] == "FAILED" and "not in service" in answer["Reason"]


# --- The synthesized templates' properties are valid API input -------------------------------------


def test_e4_template_properties_are_what_the_api_accepts(sandbox_all_on, autoscaling, sagemaker, answers):
    """Run each synthesized Scaling resource's properties, as CloudFormation sends them, through
    the handler: the Stubber rejects any value of the wrong type or any unknown field."""
    # Every scaled endpoint (the sandbox itself deploys only async); tests/test_authz_handlers.py reads the calls.
    resources = sandbox_all_on.resources("Inference", handler.SCALING)
    assert resources
    for resource in resources.values():
        properties = dict(resource["Properties"])
        properties.pop("ServiceToken")
        endpoint = properties["EndpointName"]
        expect_endpoint(sagemaker, variants=[v["VariantName"] for v in properties["Variants"]], endpoint=endpoint)
        for variant in sorted(properties["Variants"], key=lambda v: v["VariantName"]):
            name = variant["VariantName"]
            where = {
                "ServiceNamespace": "sagemaker",
                "ResourceId": f"endpoint/{endpoint}/variant/{name}",
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            }
            autoscaling.add_response(
                "register_scalable_target",
                {},
                {**where, "MinCapacity": variant["MinCapacity"], "MaxCapacity": variant["MaxCapacity"]},
            )
            for policy in sorted(variant["Policies"], key=lambda p: p["PolicyName"]):
                autoscaling.add_response("put_scaling_policy", {"PolicyARN": "arn:aws:x"}, {**where, **policy})
        request = event(handler.SCALING, "Create", properties)
        handler.handler(request, None)
        assert answers[-1]["Status"] == "SUCCESS", answers[-1]["Reason"]
