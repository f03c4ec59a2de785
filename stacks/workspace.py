"""The data-science workspace inside the private network (N5, N6, N8, N9, N13)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from config.model import ProjectConfig
from ml_constructs.access_host import ACCESS_HOST_ENDPOINTS, AccessHost
from ml_constructs.sagemaker_guardrails import SageMakerGuardrailPolicy
from ml_constructs.sagemaker_workspace import (
    DataScientistRoles,
    NotebookInstances,
    OwnerTagProtection,
    StudioDomain,
    UrlAccess,
    WorkspaceExecutionRole,
    owner_execution_role_name,
    tag_keys_with,
)
from stacks.data import DataStack
from stacks.naming import resource_prefix
from stacks.network import SAGEMAKER_CORE_ENDPOINTS, NetworkStack
from stacks.security_baseline import SecurityBaselineStack, removal_policy


class WorkspaceStack(cdk.Stack):
    """Per-user execution roles, guardrails, owner-tag protection, data-scientist roles, notebook
    instances, Studio domain."""

    # Every endpoint the stack may need (docs/network.md's endpoint table reads this); a profile gets
    # `interface_endpoints_for(config)`: the browser endpoints only for what it deploys.
    INTERFACE_ENDPOINTS = {
        **SAGEMAKER_CORE_ENDPOINTS,
        "notebook": "browser access to notebook instances from inside the network",
        "studio": "browser access to the VpcOnly Studio domain",
    }
    # Added to the network's endpoints when workspace.access_host is on (stacks.endpoint_needs).
    ACCESS_HOST_ENDPOINTS = ACCESS_HOST_ENDPOINTS

    @classmethod
    def interface_endpoints_for(cls, config: ProjectConfig) -> dict[str, str]:
        """The SageMaker core set, the notebook endpoint only with notebooks, the Studio endpoint only
        with Studio (the access host's endpoints come with it: ACCESS_HOST_ENDPOINTS)."""
        workspace = config.workspace
        if not workspace.enabled:
            return {}
        needs = dict(SAGEMAKER_CORE_ENDPOINTS)
        if workspace.notebooks.enabled and workspace.data_scientists:
            needs["notebook"] = cls.INTERFACE_ENDPOINTS["notebook"]
        if workspace.studio.enabled:
            needs["studio"] = cls.INTERFACE_ENDPOINTS["studio"]
        return needs

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
        net.require_endpoints(self.interface_endpoints_for(config), "the workspace stack")
        prefix = resource_prefix(config)
        removal = removal_policy(config)
        owners = [person.name for person in workspace.data_scientists]

        self.guardrails = SageMakerGuardrailPolicy(self, "Guardrails")
        self.tag_protection = OwnerTagProtection(self, "OwnerTags")
        self.studio: StudioDomain | None = None
        self.domain_role: iam.Role | None = None
        if workspace.studio.enabled:
            # The domain's default execution role: required by the domain, used by no user profile.
            self.domain_role = WorkspaceExecutionRole(self, "DomainDefaultRole").role
            self.guardrails.attach_to(self.domain_role)
            self.tag_protection.attach_to(self.domain_role)
            self.studio = StudioDomain(
                self,
                "Studio",
                domain_name=prefix.rstrip("-"),
                owners=owners,
                vpc_id=net.vpc.vpc_id,
                subnet_ids=net.subnet_ids(),
                security_group=net.workload_security_group,
                execution_role=self.domain_role,
                data_key=security.data_key,
                removal_policy=removal,
            )
        domain_id = self.studio.domain.attr_domain_id if self.studio else None

        # One execution role per data scientist: their notebook, Studio profile and jobs (N9).
        execution_prefix = f"{prefix}exec-"
        tag_keys = tag_keys_with(sorted(config.tags))
        self.execution_roles: dict[str, iam.Role] = {}
        for owner in owners:
            role = WorkspaceExecutionRole(
                self,
                f"ExecutionRole{owner}",
                read_write_buckets=[data.datasets, data.artifacts],
                data_key=security.data_key,
                owner=owner,
                role_name=owner_execution_role_name(execution_prefix, owner),
                studio_domain_id=domain_id,
                tag_keys=tag_keys,
            ).role
            self.guardrails.attach_to(role)
            self.tag_protection.attach_to(role)
            self.execution_roles[owner] = role
        if self.studio:
            self.studio.assign_execution_roles(self.execution_roles)
            # SageMaker uses the roles as soon as the domain or a profile starts: wait for their permissions.
            self.studio.domain.add_resource_dependency(self.domain_role.grants_policy.node.default_child)
            for owner, profile in self.studio.user_profiles.items():
                profile.add_resource_dependency(self.execution_roles[owner].grants_policy.node.default_child)

        access = workspace.access
        endpoints = net.interface_endpoints
        self.data_scientists = DataScientistRoles(
            self,
            "DataScientists",
            names=owners,
            role_name_prefix=f"{prefix}ds-",
            execution_role_prefix=execution_prefix,
            data_key=security.data_key,
            guardrails=self.guardrails,
            tag_protection=self.tag_protection,
            url_access=UrlAccess(
                vpc_id=net.vpc.vpc_id,
                api_endpoint_id=endpoints["sagemaker.api"].vpc_endpoint_id,
                notebook_endpoint_id=endpoints["notebook"].vpc_endpoint_id if "notebook" in endpoints else None,
                studio_endpoint_id=endpoints["studio"].vpc_endpoint_id if "studio" in endpoints else None,
                through_vpc_endpoints=access.through_vpc_endpoints,
                vpc_source_cidrs=tuple(access.vpc_source_cidrs),
                internet_cidrs=tuple(access.internet_cidrs),
            ),
            studio_domain_id=domain_id,
            tag_keys=tag_keys,
        )

        self.notebooks: NotebookInstances | None = None
        if workspace.notebooks.enabled and owners:
            notebooks = workspace.notebooks
            self.notebooks = NotebookInstances(
                self,
                "Notebooks",
                owners=owners,
                name_prefix=prefix,
                execution_roles=self.execution_roles,
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
            for owner, instance in self.notebooks.instances.items():
                instance.add_resource_dependency(self.execution_roles[owner].grants_policy.node.default_child)

        self.access_host: AccessHost | None = None
        if workspace.access_host.enabled:
            self._add_access_host(config, security, net)

    def _add_access_host(self, config: ProjectConfig, security: SecurityBaselineStack, net) -> None:
        """The way in for browsers (N13): an SSM port-forwarding host and the names the README's
        walk-through needs, as stack outputs (the API endpoint's name is the network stack's)."""
        net.require_endpoints(self.ACCESS_HOST_ENDPOINTS, "the workspace access host")
        settings = config.workspace.access_host
        self.access_host = AccessHost(
            self,
            "AccessHost",
            vpc=net.vpc,
            subnets=net.workload_subnets,
            endpoint_security_group=net.endpoint_security_group,
            volume_key=security.data_key,
            instance_type=settings.instance_type,
            idle_stop_minutes=settings.idle_stop_minutes,
        )
        self.access_host.allow_port_forwarding(self.data_scientists.roles.values())
        region = self.region
        cdk.CfnOutput(
            self,
            "AccessHostInstanceId",
            value=self.access_host.instance.instance_id,
            description="Target of aws ssm start-session (AWS-StartPortForwardingSessionToRemoteHost)",
        )
        if self.studio:
            cdk.CfnOutput(
                self,
                "StudioHost",
                value=f"{self.studio.domain.attr_domain_id}.studio.{region}.sagemaker.aws",
                description="Host of the Studio domain's presigned URLs (forward it, map it to 127.0.0.1)",
            )
        for owner, notebook in (self.notebooks.instances if self.notebooks else {}).items():
            cdk.CfnOutput(
                self,
                f"NotebookHost{owner.capitalize()}",
                value=f"{notebook.attr_notebook_instance_name}.notebook.{region}.sagemaker.aws",
                description=f"Host of {owner}'s notebook URLs (forward it, map it to 127.0.0.1)",
            )
