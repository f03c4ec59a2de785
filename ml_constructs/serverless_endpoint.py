"""A serverless SageMaker endpoint: no instances, scales to zero (E8)."""

from __future__ import annotations

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ml_constructs.acknowledgments import acknowledge_compliance
from ml_constructs.hosted_model import HostedModel


class ServerlessEndpoint(Construct):
    """A serverless endpoint for infrequent traffic: no instances, scales to zero (E8).

    AWS runs serverless containers outside customer VPCs and offers no instance volume, so
    this endpoint's model is declared without isolation (the profile states why) and its
    configuration has no KMS key; the findings that expect either are acknowledged with
    AWS's documented feature exclusions.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        model: HostedModel,
        memory_mb: int,
        max_concurrency: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name="serverless",
                    model_name=model.model.attr_model_name,
                    serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                        memory_size_in_mb=memory_mb, max_concurrency=max_concurrency
                    ),
                )
            ],
        )
        acknowledge_compliance(
            self.config,
            "SageMakerEndpointConfigurationKMSKeyConfigured",
            "Serverless Inference has no instance storage volume to encrypt and does not accept a KmsKeyId "
            "(SageMaker serverless feature exclusions); the model artifact is encrypted in S3.",
        )
        self.endpoint = sagemaker.CfnEndpoint(
            self, "Endpoint", endpoint_name=endpoint_name, endpoint_config_name=self.config.attr_endpoint_config_name
        )
