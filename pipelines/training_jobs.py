"""The jobs of the training pipeline (pipelines/training.py): placement in the VPC with isolation
unless declared an exception (M2), processing, model registration and batch transform (M7)."""

from __future__ import annotations

from ml_constructs.instance_storage import volume_key_for
from pipelines import sdk
from pipelines.training_spec import (
    ARTIFACTS_BUCKET,
    DATA_KEY,
    ISOLATION_EXCEPTION_TAG,
    SECURITY_GROUP,
    STEP_NAMES,
    TrainingPipelineSpec,
    exception_job,
    placeholder,
    subnet_variable,
)


class _JobSteps:
    """The builder's shared settings and its processing, registration and batch-transform jobs."""

    def __init__(self, spec: TrainingPipelineSpec) -> None:
        self.spec = spec
        self.session = sdk.pipeline_session(spec.region, placeholder(ARTIFACTS_BUCKET))
        self.role = f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{spec.role_name}"
        self.key = placeholder(DATA_KEY)
        self.subnets = [placeholder(subnet_variable(i)) for i in range(spec.subnet_count)]
        self.security_groups = [placeholder(SECURITY_GROUP)]

    def isolated(self, step: str) -> bool:
        return step not in self.spec.not_isolated

    def tags(self, step: str) -> list[dict] | None:
        """The tag that lets a declared exception through the pipeline role's guardrail."""
        if self.isolated(step):
            return None
        _, name = exception_job(step, tuned=self.spec.tuning is not None)
        return [{"Key": ISOLATION_EXCEPTION_TAG, "Value": name}]

    def network(self, step: str):
        from sagemaker.core.network import NetworkConfig

        return NetworkConfig(
            enable_network_isolation=self.isolated(step),
            security_group_ids=self.security_groups,
            subnets=self.subnets,
            encrypt_inter_container_traffic=True,
        )

    def execution_path(self, *parts: str):
        from sagemaker.core.workflow.execution_variables import ExecutionVariables
        from sagemaker.core.workflow.functions import Join

        return Join(on="/", values=[self.spec.output_prefix, ExecutionVariables.PIPELINE_EXECUTION_ID, *parts])

    def processor(self, step: str, image: str):
        from sagemaker.core.processing import ScriptProcessor

        spec = self.spec
        return ScriptProcessor(
            role=self.role,
            image_uri=image,
            command=["python3"],
            instance_type=spec.processing_instance_type,
            instance_count=1,
            volume_size_in_gb=spec.processing_volume_gb,
            # None on types with local storage: SageMaker refuses a volume key there (instance_storage).
            volume_kms_key=volume_key_for(spec.processing_instance_type, self.key),
            output_kms_key=self.key,
            max_runtime_in_seconds=spec.processing_max_runtime_seconds,
            base_job_name=STEP_NAMES[step].lower(),
            sagemaker_session=self.session,
            network_config=self.network(step),
            tags=self.tags(step),
        )

    @staticmethod
    def s3_input(name: str, uri, local_path: str):
        from sagemaker.core.shapes import ProcessingInput, ProcessingS3Input

        return ProcessingInput(
            input_name=name,
            s3_input=ProcessingS3Input(
                s3_uri=uri,
                local_path=local_path,
                s3_data_type="S3Prefix",
                s3_input_mode="File",
                s3_data_distribution_type="FullyReplicated",
            ),
        )

    def s3_output(self, step: str, name: str):
        from sagemaker.core.shapes import ProcessingOutput, ProcessingS3Output

        return ProcessingOutput(
            output_name=name,
            s3_output=ProcessingS3Output(
                s3_uri=self.execution_path(step, name),
                local_path=f"/opt/ml/processing/{name}",
                s3_upload_mode="EndOfJob",
            ),
        )

    def model_builder(self, model_data, **extra):
        from sagemaker.serve.model_builder import ModelBuilder

        return ModelBuilder(
            s3_model_data_url=model_data,
            image_uri=self.spec.xgboost_image,
            role_arn=self.role,
            sagemaker_session=self.session,
            instance_type=self.spec.inference_instance_types[0],
            # Left to default, it creates a random temporary directory (unused offline).
            model_path=_empty_model_path(),
            # The default ({"auto": True}) would inject script-mode variables into a built-in algorithm.
            dependencies={},
            **extra,
        )

    def registration(self, model_data, report, approval):
        from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
        from sagemaker.mlops.workflow.model_step import ModelStep

        spec = self.spec
        return ModelStep(
            name="RegisterModel",
            step_args=self.model_builder(model_data).register(
                model_package_group_name=spec.model_package_group,
                content_types=["text/csv"],
                response_types=["text/csv"],
                inference_instances=list(spec.inference_instance_types),
                transform_instances=[spec.transform_instance_type or spec.inference_instance_types[0]],
                approval_status=approval,
                model_metrics=ModelMetrics(
                    model_statistics=MetricsSource(s3_uri=report, content_type="application/json")
                ),
            ),
        )

    def batch_transform(self, model_data, test_data) -> list:
        """Score the test set without an endpoint (M7): a model in the VPC, then a transform job."""
        from sagemaker.core.training.configs import Networking
        from sagemaker.core.transformer import Transformer
        from sagemaker.mlops.workflow.model_step import ModelStep
        from sagemaker.mlops.workflow.steps import TransformStep

        spec = self.spec
        model = ModelStep(
            name="CreateModel",
            step_args=self.model_builder(
                model_data,
                network=Networking(
                    subnets=self.subnets,
                    security_group_ids=self.security_groups,
                    enable_network_isolation=True,
                ),
            ).build(model_name=f"{spec.name}-batch"),
        )
        transformer = Transformer(
            model_name=model.properties.ModelName,
            instance_count=1,
            instance_type=spec.transform_instance_type,
            strategy="MultiRecord",
            assemble_with="Line",
            accept="text/csv",
            output_path=self.execution_path("transform"),
            output_kms_key=self.key,
            volume_kms_key=volume_key_for(spec.transform_instance_type, self.key),
            base_transform_job_name=STEP_NAMES["transform"].lower(),
            sagemaker_session=self.session,
        )
        transform = TransformStep(
            name=STEP_NAMES["transform"],
            step_args=transformer.transform(
                data=test_data,
                content_type="text/csv",
                split_type="Line",
                input_filter="$[1:]",  # the test set's first column is the label
                join_source="Input",
                wait=False,
                logs=False,
            ),
        )
        return [model, transform]


def _empty_model_path() -> str:
    import tempfile
    from pathlib import Path

    path = Path(tempfile.gettempdir()) / "secure-ml-model-builder"
    path.mkdir(exist_ok=True)
    return str(path)
