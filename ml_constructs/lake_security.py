"""Glue encryption (part of ml_constructs/lake_catalog.py): the Data Catalog's encryption settings and
the security configuration and roles of Glue work (I8)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ml_constructs.iam import ManagedPolicyRole, Statements, this_region_arn


class CatalogEncryption(Construct):
    """Data Catalog encryption at rest and of connection passwords, with the data key (I8).

    The setting is one per account and region; the profile switch turns this off where
    another stack already owns it.
    """

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        glue.CfnDataCatalogEncryptionSettings(
            self,
            "Settings",
            catalog_id=cdk.Stack.of(self).account,
            data_catalog_encryption_settings=glue.CfnDataCatalogEncryptionSettings.DataCatalogEncryptionSettingsProperty(
                encryption_at_rest=glue.CfnDataCatalogEncryptionSettings.EncryptionAtRestProperty(
                    catalog_encryption_mode="SSE-KMS", sse_aws_kms_key_id=key.key_arn
                ),
                connection_password_encryption=glue.CfnDataCatalogEncryptionSettings.ConnectionPasswordEncryptionProperty(
                    return_connection_password_encrypted=True, kms_key_id=key.key_arn
                ),
            ),
        )


class GlueSecurity(Construct):
    """Glue security configuration and network connection shared by the crawler and the job (I8).

    S3 output SSE-KMS and job bookmarks CSE-KMS with the data key, CloudWatch logs with the
    logs key; the NETWORK connection places Glue's workers in a private subnet with the
    workload security group, so their S3 traffic passes the VPC endpoint the lake buckets
    require.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        data_key: kms.IKey,
        logs_key: kms.IKey,
        subnet: ec2.ISubnet,
        security_group: ec2.ISecurityGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        cfg = glue.CfnSecurityConfiguration
        self.configuration = cfg(
            self,
            "Configuration",
            name=name,
            encryption_configuration=cfg.EncryptionConfigurationProperty(
                s3_encryptions=[cfg.S3EncryptionProperty(s3_encryption_mode="SSE-KMS", kms_key_arn=data_key.key_arn)],
                cloud_watch_encryption=cfg.CloudWatchEncryptionProperty(
                    cloud_watch_encryption_mode="SSE-KMS", kms_key_arn=logs_key.key_arn
                ),
                job_bookmarks_encryption=cfg.JobBookmarksEncryptionProperty(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=data_key.key_arn
                ),
            ),
        )
        self.name = name
        self.connection = glue.CfnConnection(
            self,
            "Connection",
            catalog_id=cdk.Stack.of(self).account,
            connection_input=glue.CfnConnection.ConnectionInputProperty(
                name=f"{name}-network",
                description="Glue workers in a private subnet of the project's VPC",
                connection_type="NETWORK",
                physical_connection_requirements=glue.CfnConnection.PhysicalConnectionRequirementsProperty(
                    subnet_id=subnet.subnet_id,
                    availability_zone=subnet.availability_zone,
                    security_group_id_list=[security_group.security_group_id],
                ),
            ),
        )
        self.connection_name = f"{name}-network"
        self.keys = (data_key, logs_key)

    def role(self, scope: Construct, construct_id: str, *, description: str) -> tuple[ManagedPolicyRole, Statements]:
        """A Glue service role with what every Glue run here needs: keys, logs, the VPC connection."""
        role = ManagedPolicyRole(
            scope,
            construct_id,
            assumed_by=iam.ServicePrincipal(
                "glue.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(scope).account}},
            ),
            description=description,
            policy_description=f"{description}: lake data, catalog, keys, logs, VPC connection",
        )
        grants = Statements(role.add_to_principal_policy)
        data_key, logs_key = self.keys
        grants.allow(
            "ProjectKeys",
            ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
            [data_key.key_arn, logs_key.key_arn],
        )
        grants.allow(
            "GlueLogs",
            ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"),
            [this_region_arn(self, "logs", "log-group:/aws-glue/*")],
            wildcard_reason="Glue names each crawler's and job's log group under /aws-glue/ at run time "
            "(with the security configuration's name); writes only there.",
        )
        grants.allow(
            "ConnectionNetworkInterfaces",
            (
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeVpcEndpoints",
                "ec2:DescribeRouteTables",
                "ec2:DescribeVpcAttribute",
            ),
            ["*"],
            wildcard_reason="The EC2 calls Glue makes to place workers in the private subnet through the "
            "NETWORK connection (Glue Developer Guide, VPC access); Describe calls have no resource-level "
            "permissions and the interfaces get generated ids.",
        )
        # As AWS's own AWSGlueServiceRole (there on any region and account, here on this stack's):
        # Glue may tag only interfaces, security groups and instances, and only with its one service
        # tag key, never any other EC2 resource or tag.
        stack = cdk.Stack.of(self)
        grants.allow(
            "GlueServiceTagsOnly",
            ("ec2:CreateTags", "ec2:DeleteTags"),
            [
                stack.format_arn(service="ec2", resource=kind, resource_name="*")
                for kind in ("network-interface", "security-group", "instance")
            ],
            conditions={"ForAllValues:StringEquals": {"aws:TagKeys": ["aws-glue-service-resource"]}},
            wildcard_reason="Glue tags the interfaces, security groups and instances it creates for the "
            "NETWORK connection with its service tag; ids are generated, and the tag-key condition "
            "(as in AWS's AWSGlueServiceRole) allows no other tag.",
        )
        grants.allow(
            "UseConnection",
            ("glue:GetConnection",),
            [
                this_region_arn(self, "glue", "catalog"),
                this_region_arn(self, "glue", f"connection/{self.connection_name}"),
            ],
        )
        return role, grants
