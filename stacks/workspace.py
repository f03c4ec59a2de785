"""The data-science workspace inside the private network (N5, N6, N8, N9, N13)."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from config.model import ProjectConfig
from ml_constructs.sagemaker_guardrails import SageMakerGuardrailPolicy
from ml_constructs.sagemaker_workspace import (
    DataScientistRoles,
    NotebookInstances,
    StudioDomain,
    WorkspaceExecutionRole,
)
from stacks.data import DataStack
from stacks.naming import resource_prefix
from stacks.network import SAGEMAKER_CORE_ENDPOINTS, NetworkStack
from stacks.security_baseline import SecurityBaselineStack, removal_policy


class WorkspaceStack(cdk.Stack):
    """Execution role, guardrails, data-scientist roles, notebook instances, Studio domain."""

    INTERFACE_ENDPOINTS = {
        **SAGEMAKER_CORE_ENDPOINTS,
        "notebook": "browser access to notebook instances from inside the network",
        "studio": "browser access to the VpcOnly Studio domain",
    }

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ProjectConfig,
        security: SecurityBaselineStack,
        network: NetworkStack,
        data: DataStack,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        workspace = config.workspace
        net = network.network
        net.require_endpoints(self.INTERFACE_ENDPOINTS, "the workspace stack")
        prefix = resource_prefix(config)
        removal = removal_policy(config)
        owners = [person.name for person in workspace.data_scientists]

        self.guardrails = SageMakerGuardrailPolicy(self, "Guardrails")
        self.execution_role = WorkspaceExecutionRole(
            self, "ExecutionRole", read_write_buckets=[data.datasets, data.artifacts], data_key=security.data_key
        ).role
        self.guardrails.attach_to(self.execution_role)
        # SageMaker uses the role as soon as a notebook or domain starts: wait for its permissions.
        role_permissions = self.execution_role.grants_policy.node.default_child

        self.studio: StudioDomain | None = None
        if workspace.studio.enabled:
            self.studio = StudioDomain(
                self,
                "Studio",
                domain_name=prefix.rstrip("-"),
                owners=owners,
                vpc_id=net.vpc.vpc_id,
                subnet_ids=net.subnet_ids(),
                security_group=net.workload_security_group,
                execution_role=self.execution_role,
                data_key=security.data_key,
                removal_policy=removal,
            )
            self.studio.domain.add_resource_dependency(role_permissions)
        self.data_scientists = DataScientistRoles(
            self,
            "DataScientists",
            names=owners,
            role_name_prefix=f"{prefix}ds-",
            execution_role=self.execution_role,
            data_key=security.data_key,
            guardrails=self.guardrails,
            api_endpoint_id=net.interface_endpoints["sagemaker.api"].vpc_endpoint_id,
            source_cidrs=workspace.presigned_url_source_cidrs,
            studio_domain_id=self.studio.domain.attr_domain_id if self.studio else None,
        )

        self.notebooks: NotebookInstances | None = None
        if workspace.notebooks.enabled and owners:
            notebooks = workspace.notebooks
            self.notebooks = NotebookInstances(
                self,
                "Notebooks",
                owners=owners,
                name_prefix=prefix,
                execution_role=self.execution_role,
                subnet_id=net.subnet_ids()[0],
                security_group=net.workload_security_group,
                data_key=security.data_key,
                wheelhouse=data.artifacts.s3_url_for_object("notebook-wheelhouse/"),
                instance_type=notebooks.instance_type,
                volume_size_gb=notebooks.volume_size_gb,
                idle_stop_minutes=notebooks.idle_stop_minutes,
                platform_identifier=notebooks.platform_identifier,
                removal_policy=removal,
            )
            for instance in self.notebooks.instances.values():
                instance.add_resource_dependency(role_permissions)
