"""The variant-scaling custom resources' handler against Application Auto Scaling's API (pattern E4).

botocore's Stubber checks each request against the service model (so a number CloudFormation
turned into a string, or a misspelt field, fails here as it would against AWS) and answers
with the service's own error codes.
"""

from __future__ import annotations

import pytest
from variant_scaling_helpers import (
    ENDPOINT,
    STACK,
    answers_fixture,  # noqa: F401 (the `answers` fixture)
    autoscaling_fixture,  # noqa: F401 (the `autoscaling` fixture)
    clock_fixture,  # noqa: F401 (the `clock` fixture)
    event,
    expect_config,
    expect_deregister,
    expect_endpoint,
    expect_no_endpoint,
    expect_put,
    expect_register,
    expect_registered,
    first_instance,
    handoff,
    handoff_of,
    sagemaker_fixture,  # noqa: F401 (the `sagemaker` fixture)
    scaled,
    scaling,
    target,
    tracking,
)

from ml_constructs.runtime.variant_scaling import handler

# --- Handoff: before the endpoint ---------------------------------------------------------------


@pytest.mark.parametrize("request_type", ["Create", "Delete"])
def test_e4_handoff_touches_nothing_on_create_and_delete(autoscaling, sagemaker, answers, request_type):
    handler.handler(handoff(request_type, None, {"champion": "ml.m5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS"
    assert answers[0]["PhysicalResourceId"] == f"{ENDPOINT}/VariantScalingHandoff"


def test_e4_handoff_deregisters_variants_changing_instance_type_or_going(autoscaling, sagemaker, answers):
    """Update: what the endpoint runs now (not the previous template) decides what goes."""
    expect_endpoint(sagemaker, variants=("challenger", "champion", "retired"))
    expect_config(sagemaker, {"champion": "ml.m5.large", "challenger": "ml.m5.large", "retired": "ml.c5.large"})
    expect_deregister(autoscaling, "champion")
    expect_deregister(autoscaling, "retired")
    expect_registered(autoscaling, ["challenger"], ["challenger"])
    handler.handler(
        handoff(
            "Update",
            {"champion": "ml.m5.large", "challenger": "ml.m5.large", "retired": "ml.c5.large"},
            {"champion": "ml.c5.xlarge", "challenger": "ml.m5.large"},
        ),
        None,
    )
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]


def test_e4_handoff_leaves_registered_unchanged_variants_to_the_scaling_resource(autoscaling, sagemaker, answers):
    """New bounds are not registered before the endpoint update: a scaling activity they start
    would make the update fail. The Scaling resource registers them after it."""
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_registered(autoscaling, ["champion"], ["champion"])
    handler.handler(handoff("Update", {"champion": "ml.m5.large"}, {"champion": "ml.m5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]


def test_e4_handoff_accepts_a_variant_that_was_not_registered(autoscaling, sagemaker, answers):
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_deregister(autoscaling, "champion", "ObjectNotFoundException")
    handler.handler(handoff("Update", {"champion": "ml.m5.large"}, {"champion": "ml.c5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]


def test_e4_handoff_reads_instance_types_of_a_template_without_variants(autoscaling, sagemaker, answers):
    """A template written before the hand-off declared its variants (InstanceTypes only), e.g. as
    the old properties of a rollback: it still lets go of what changes, and registers nothing."""
    properties = {"EndpointName": ENDPOINT, "InstanceTypes": {"champion": "ml.c5.large"}}
    old = {"EndpointName": ENDPOINT, "InstanceTypes": {"champion": "ml.m5.large"}}
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_deregister(autoscaling, "champion")
    handler.handler(event(handler.HANDOFF, "Update", properties, old), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]


def test_e4_handoff_of_an_endpoint_that_does_not_exist_does_nothing(autoscaling, sagemaker, answers):
    expect_no_endpoint(sagemaker)
    handler.handler(handoff("Update", {"champion": "ml.m5.large"}, {"champion": "ml.c5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]


def test_e4_handoff_reports_other_errors_to_cloudformation(autoscaling, sagemaker, answers):
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_deregister(autoscaling, "champion", "ValidationException")
    handler.handler(handoff("Update", {"champion": "ml.m5.large"}, {"champion": "ml.c5.large"}), None)
    (answer,) = answers
    assert answer["Status"] == "FAILED" and "ValidationException" in answer["Reason"]
    assert answer["PhysicalResourceId"] == f"{ENDPOINT}/VariantScalingHandoff"
    assert (answer["StackId"], answer["LogicalResourceId"]) == (STACK, "RealtimeAutoscalingScaling")


# --- A failed update, rolled back ------------------------------------------------------------------


def test_e4_rollback_after_a_failed_endpoint_update_registers_the_variant_again(autoscaling, sagemaker, answers):
    """The forward update moves champion from ml.m5.large to ml.c5.xlarge: the hand-off deregisters
    it, the endpoint update fails, SageMaker keeps the old configuration, and the Scaling resource
    (never updated) gets no event. CloudFormation's rollback sends the hand-off an Update with the
    old properties: it finds champion running as declared and unregistered, and registers it with
    its bounds and policies again."""
    old = [scaled("champion", "ml.m5.large", 2, 4)]
    new = [scaled("champion", "ml.c5.xlarge", 2, 6)]
    # Forward: the hand-off lets go of champion.
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_deregister(autoscaling, "champion")
    handler.handler(handoff_of("Update", new, old), None)
    # (The endpoint update fails; SageMaker stays on CONFIG, InService.)
    # Rollback: the hand-off's Update with the old properties.
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_registered(autoscaling, ["champion"], [])
    expect_register(autoscaling, "champion", 2, 4)
    expect_put(autoscaling, "champion", tracking("champion"))
    handler.handler(handoff_of("Update", old, new), None)
    assert [a["Status"] for a in answers] == ["SUCCESS", "SUCCESS"], answers


def test_e4_rollback_after_the_endpoint_moved_hands_off_again_and_scaling_restores(autoscaling, sagemaker, answers):
    """The endpoint update succeeded and a later resource failed: the rollback's hand-off finds
    the new instance type running, deregisters it before the endpoint goes back, and the Scaling
    resource's rollback Update (old properties) registers the old bounds after it."""
    old = [scaled("champion", "ml.m5.large", 2, 4)]
    new = [scaled("champion", "ml.c5.xlarge", 2, 6)]
    expect_endpoint(sagemaker, config="RealtimeConfigNew-e5F6")
    expect_config(sagemaker, {"champion": "ml.c5.xlarge"}, config="RealtimeConfigNew-e5F6")
    expect_deregister(autoscaling, "champion")
    handler.handler(handoff_of("Update", old, new), None)
    expect_endpoint(sagemaker)
    expect_register(autoscaling, "champion", 2, 4)
    expect_put(autoscaling, "champion", tracking("champion"))
    handler.handler(scaling("Update", old, new), None)
    assert [a["Status"] for a in answers] == ["SUCCESS", "SUCCESS"], answers


def test_e4_rollback_drops_policies_only_the_failed_update_declared(autoscaling, sagemaker, answers):
    step = first_instance("champion")
    old = [scaled("champion")]
    new = [scaled("champion", "ml.c5.large", policies=[tracking("champion"), step])]
    expect_endpoint(sagemaker)
    expect_register(autoscaling, "champion", 1, 2)
    autoscaling.add_response("delete_scaling_policy", {}, {"PolicyName": step["PolicyName"], **target("champion")})
    expect_put(autoscaling, "champion", tracking("champion"))
    handler.handler(scaling("Update", old, new), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]


# --- An endpoint still changing -----------------------------------------------------------------------


def test_e4_waits_for_an_endpoint_still_updating(autoscaling, sagemaker, answers, clock):
    expect_endpoint(sagemaker, "Updating")
    expect_endpoint(sagemaker, "RollingBack")
    expect_endpoint(sagemaker)
    expect_config(sagemaker, {"champion": "ml.m5.large"})
    expect_registered(autoscaling, ["champion"], ["champion"])
    handler.handler(handoff("Update", {"champion": "ml.m5.large"}, {"champion": "ml.m5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]
    assert clock.sleeps == [handler.POLL_INTERVAL, handler.POLL_INTERVAL]


def test_e4_fails_clearly_when_the_endpoint_does_not_settle_in_time(autoscaling, sagemaker, answers, clock):
    class Context:
        def get_remaining_time_in_millis(self):
            return 50_000  # 20 s usable: room for one poll only

    expect_endpoint(sagemaker, "Updating")
    expect_endpoint(sagemaker, "Updating")
    handler.handler(scaling("Update", [scaled("champion")], [scaled("champion")]), Context())
    (answer,) = answers
    assert answer["Status"] == "FAILED"
    assert f"endpoint {ENDPOINT} is still Updating" in answer["Reason"], answer["Reason"]
    assert clock.sleeps == [handler.POLL_INTERVAL]


@pytest.mark.parametrize("status", ["Failed", "OutOfService", "UpdateRollbackFailed"])
def test_e4_scaling_refuses_an_endpoint_out_of_service(autoscaling, sagemaker, answers, status):
    expect_endpoint(sagemaker, status)
    handler.handler(scaling("Create", [scaled("champion")]), None)
    (answer,) = answers
    assert answer["Status"] == "FAILED" and f"is {status}" in answer["Reason"], answer["Reason"]


def test_e4_handoff_deregisters_but_registers_nothing_on_a_failed_endpoint(autoscaling, sagemaker, answers):
    expect_endpoint(sagemaker, "Failed")
    expect_config(sagemaker, {"champion": "ml.c5.large"})
    expect_deregister(autoscaling, "champion")
    handler.handler(handoff("Update", {"champion": "ml.c5.large"}, {"champion": "ml.m5.large"}), None)
    assert answers[0]["Status"] == "SUCCESS", answers[0]["Reason"]
