"""Model Monitor: a data-quality schedule on an endpoint's captured data (E6)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ml_constructs.guarded_endpoint import GuardedEndpoint
from ml_constructs.inference_role import InferenceRole
from ml_constructs.instance_storage import volume_key_for


class DataQualityMonitor(Construct):
    """Model Monitor data-quality schedule on an endpoint's captured data (E6).

    Compares captured requests with the constraints baseline on a schedule; the job runs
    network-isolated in the private subnets with inter-container encryption, KMS on its
    volume and its reports, and publishes violation metrics to CloudWatch.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        schedule_name: str,
        endpoint: GuardedEndpoint,
        image: str,
        role: InferenceRole,
        constraints_uri: str,
        reports_uri: str,
        data_key: kms.IKey,
        subnet_ids: Sequence[str],
        security_group: ec2.ISecurityGroup,
        schedule: str,
        instance_type: str,
    ) -> None:
        super().__init__(scope, construct_id)
        job = sagemaker.CfnDataQualityJobDefinition
        self.job_definition = job(
            self,
            "JobDefinition",
            job_definition_name=f"{schedule_name}-job",
            role_arn=role.role.role_arn,
            data_quality_app_specification=job.DataQualityAppSpecificationProperty(image_uri=image),
            data_quality_baseline_config=job.DataQualityBaselineConfigProperty(
                constraints_resource=job.ConstraintsResourceProperty(s3_uri=constraints_uri)
            ),
            data_quality_job_input=job.DataQualityJobInputProperty(
                endpoint_input=job.EndpointInputProperty(
                    endpoint_name=endpoint.endpoint_name,
                    local_path="/opt/ml/processing/input/endpoint",
                    s3_input_mode="File",
                    s3_data_distribution_type="FullyReplicated",
                )
            ),
            data_quality_job_output_config=job.MonitoringOutputConfigProperty(
                kms_key_id=data_key.key_arn,
                monitoring_outputs=[
                    job.MonitoringOutputProperty(
                        s3_output=job.S3OutputProperty(
                            local_path="/opt/ml/processing/output", s3_uri=reports_uri, s3_upload_mode="EndOfJob"
                        )
                    )
                ],
            ),
            job_resources=job.MonitoringResourcesProperty(
                cluster_config=job.ClusterConfigProperty(
                    instance_count=1,
                    instance_type=instance_type,
                    volume_size_in_gb=20,
                    volume_kms_key_id=volume_key_for(instance_type, data_key.key_arn),
                )
            ),
            network_config=job.NetworkConfigProperty(
                enable_network_isolation=True,
                enable_inter_container_traffic_encryption=True,
                vpc_config=job.VpcConfigProperty(
                    subnets=list(subnet_ids), security_group_ids=[security_group.security_group_id]
                ),
            ),
            stopping_condition=job.StoppingConditionProperty(max_runtime_in_seconds=1800),
        )
        self.job_definition.add_resource_dependency(endpoint.endpoint)
        self.job_definition.add_resource_dependency(role.role.grants_policy.node.default_child)
        self.schedule = sagemaker.CfnMonitoringSchedule(
            self,
            "Schedule",
            monitoring_schedule_name=schedule_name,
            monitoring_schedule_config=sagemaker.CfnMonitoringSchedule.MonitoringScheduleConfigProperty(
                monitoring_job_definition_name=f"{schedule_name}-job",
                monitoring_type="DataQuality",
                schedule_config=sagemaker.CfnMonitoringSchedule.ScheduleConfigProperty(schedule_expression=schedule),
            ),
        )
        self.schedule.add_resource_dependency(self.job_definition)
