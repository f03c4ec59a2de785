"""Training-pipeline setups that could not run stop synthesis with clear messages (M1-M6)."""

from __future__ import annotations

import pytest
from conftest import with_changes
from pydantic import ValidationError

from config import load_config
from config.pipelines import PipelinesConfig
from stacks.pipelines import isolation_exceptions, not_isolated_steps

REASON = "The step calls a partner's HTTPS API for reference data (an example that needs the network)."


def problems(data: dict) -> str:
    with pytest.raises(ValidationError) as caught:
        PipelinesConfig.model_validate({"enabled": True, **data})
    return str(caught.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            {"training": {"max_runtime_seconds": 7200, "max_wait_seconds": 3600}},
            "max_wait_seconds (3600) must be at least max_runtime_seconds (7200): with spot, the wait includes "
            "the training time",
            id="spot-wait-shorter-than-training",
        ),
        pytest.param(
            {"training": {"hyperparameters": {"objective": "reg:squarederror"}}},
            "hyperparameters: objective are set by the pipeline",
            id="objective-overridden",
        ),
        pytest.param(
            {"training": {"channels": {"train": {"input_mode": "Stream"}}}},
            "Input should be 'File', 'Pipe' or 'FastFile'",
            id="unknown-input-mode",
        ),
        pytest.param(
            {"training": {"channels": {"train": {"input_mode": "FastFile"}, "validation": {"input_mode": "FastFile"}}}},
            "the built-in XGBoost algorithm reads File or Pipe input only, not FastFile (train), FastFile (validation)",
            id="fast-file-for-the-built-in-algorithm",
        ),
        pytest.param(
            {"training": {"channels": {"train": {"input_mode": "File"}, "validation": {"input_mode": "Pipe"}}}},
            "reads every channel in the train channel's mode; give all channels one input_mode (got train: File, "
            "validation: Pipe)",
            id="channels-in-different-modes",
        ),
        pytest.param(
            {"training": {"channels": {"validation": {}}}},
            "channels: the algorithm needs a train channel",
            id="no-train-channel",
        ),
        pytest.param(
            {"tuning": {"enabled": True}, "training": {"channels": {"train": {}}}},
            "tuning maximizes validation:auc: training.channels needs a validation channel",
            id="tuning-without-validation-channel",
        ),
        pytest.param(
            {"training": {"channels": {"train": {"distribution": "Sharded"}}}},
            "Input should be 'FullyReplicated' or 'ShardedByS3Key'",
            id="unknown-distribution",
        ),
        pytest.param(
            {"training": {"channels": {"test": {}}}},
            "Input should be 'train' or 'validation'",
            id="unknown-channel",
        ),
        pytest.param(
            {"tuning": {"enabled": True, "ranges": {"eta": {"min": 0, "max": 0.5}}}},
            "a Logarithmic range needs min > 0 (got 0.0)",
            id="log-range-from-zero",
        ),
        pytest.param(
            {"tuning": {"ranges": {"eta": {"min": 0.5, "max": 0.1}}}},
            "min (0.5) must be below max (0.1)",
            id="empty-range",
        ),
        pytest.param(
            {"tuning": {"max_jobs": 4, "max_parallel_jobs": 8}},
            "max_parallel_jobs (8) exceeds max_jobs (4)",
            id="more-parallel-than-jobs",
        ),
        pytest.param(
            {"tuning": {"enabled": True, "ranges": {}}},
            "ranges: tuning needs at least one hyperparameter range",
            id="tuning-without-ranges",
        ),
        pytest.param(
            {"steps": {"prepare": {"network_isolation": False}}},
            "network_isolation: false needs network_isolation_exception",
            id="exception-without-reason",
        ),
        pytest.param(
            {"steps": {"train": {"network_isolation_exception": REASON}}},
            "network_isolation_exception is only for steps with network_isolation: false",
            id="reason-without-exception",
        ),
        pytest.param(
            {"steps": {"transform": {"network_isolation": False, "network_isolation_exception": REASON}}},
            "Input should be 'prepare', 'train' or 'evaluate'",
            id="transform-model-cannot-be-excepted",
        ),
        pytest.param({"evaluation": {"auc_threshold": 0.4}}, "greater than 0.5", id="threshold-no-better-than-chance"),
    ],
)
def test_invalid_pipeline_setups_are_refused(data, expected):
    assert expected in problems(data)


def test_m6_approved_models_need_a_declared_variant():
    sandbox = load_config("demo")  # the sandbox deploys no real-time endpoint, so nothing on approval
    with pytest.raises(ValidationError, match="pipelines.deploy_on_approval.variant 'canary' is not a variant"):
        with_changes(sandbox, **{"pipelines.deploy_on_approval.variant": "canary"})
    with pytest.raises(ValidationError, match="pipelines.deploy_on_approval needs inference.enabled"):
        with_changes(sandbox, **{"inference.enabled": False})
    with_changes(sandbox, **{"inference.enabled": False, "pipelines.deploy_on_approval.enabled": False})
    with pytest.raises(ValidationError, match="pipelines.deploy_on_approval needs inference.realtime.enabled"):
        with_changes(sandbox, **{"inference.realtime.enabled": False})


def test_m2_exceptions_name_the_step_and_the_action_that_runs_it():
    settings = PipelinesConfig.model_validate(
        {
            "enabled": True,
            "steps": {
                step: {"network_isolation": False, "network_isolation_exception": REASON}
                for step in ("prepare", "evaluate", "train")
            },
        }
    )
    opened = not_isolated_steps(settings)
    assert opened == ["prepare", "train", "evaluate"]
    assert isolation_exceptions(settings, opened) == {
        "sagemaker:CreateProcessingJob": ["PrepareFeatures", "Evaluate"],
        "sagemaker:CreateTrainingJob": ["Train"],
    }
    tuned = settings.model_copy(update={"tuning": settings.tuning.model_copy(update={"enabled": True})})
    assert isolation_exceptions(tuned, ["train"]) == {"sagemaker:CreateHyperParameterTuningJob": ["Tune"]}


def test_profiles_run_every_pipeline_option():
    sandbox, production = load_config("sandbox").pipelines, load_config("production").pipelines
    assert sandbox.enabled and production.enabled
    assert production.tuning.enabled and not sandbox.tuning.enabled
    assert sandbox.transform.enabled and production.transform.enabled
    assert production.training.channels["train"].distribution == "ShardedByS3Key"
    assert {c.input_mode for p in (sandbox, production) for c in p.training.channels.values()} == {"File", "Pipe"}
    assert production.training.instance_count > 1
    assert all(p.training.spot for p in (sandbox, production))
    assert not sandbox.steps and not production.steps  # every job isolated
