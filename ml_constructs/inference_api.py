"""REST API -> Lambda in the VPC -> SageMaker runtime (pattern E11)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from ml_constructs.acknowledgments import (
    AWS_SOLUTIONS,
    CONTROL_TOWER,
    NIST,
    PCI,
    acknowledge,
    acknowledge_compliance,
)
from ml_constructs.iam import this_region_arn
from ml_constructs.log_group import EncryptedLogGroup
from ml_constructs.python_function import PrivateSubnets, python_function
from ml_constructs.runtime.inference_api.handler import FEATURES, MAX_INSTANCES

HANDLER_DIR = Path(__file__).resolve().parent / "runtime" / "inference_api"
REQUEST_SCHEMA = apigateway.JsonSchema(
    schema=apigateway.JsonSchemaVersion.DRAFT4,
    title="PredictRequest",
    type=apigateway.JsonSchemaType.OBJECT,
    required=["instances"],
    additional_properties=False,
    properties={
        "instances": apigateway.JsonSchema(
            type=apigateway.JsonSchemaType.ARRAY,
            min_items=1,
            max_items=MAX_INSTANCES,
            items=apigateway.JsonSchema(
                type=apigateway.JsonSchemaType.OBJECT,
                required=list(FEATURES),
                additional_properties=False,
                properties={name: apigateway.JsonSchema(type=apigateway.JsonSchemaType.NUMBER) for name in FEATURES},
            ),
        )
    },
)


class InferenceApi(Construct):
    """Applications call POST /predict; the request path stays inside AWS and the VPC (E11).

    - REST API with IAM (SigV4) authorization, request validation against a JSON schema,
      stage throttling, access logs to an encrypted log group, execution logs, X-Ray tracing;
    - private by default: reachable only through the VPC's execute-api endpoint (resource
      policy); regional optionally, with an AWS WAF web ACL of AWS managed rules;
    - a Lambda function in the private subnets calls InvokeEndpoint on one endpoint through
      the sagemaker.runtime interface endpoint; its security group reaches only the endpoints.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_name: str,
        endpoint_name: str,
        variants: Sequence[str],
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        endpoints_security_group: ec2.ISecurityGroup,
        logs_key: kms.IKey,
        environment_key: kms.IKey,
        log_retention: int,
        rate_limit: int,
        burst_limit: int,
        execute_api_endpoint: ec2.IInterfaceVpcEndpoint | None = None,
        waf: bool = False,
        manage_account_logging_role: bool = True,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        reserve_concurrency: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = self._function(
            endpoint_name,
            variants,
            vpc,
            subnets,
            endpoints_security_group,
            logs_key,
            log_retention,
            removal_policy,
            environment_key=environment_key,
            reserved_concurrency=20 if reserve_concurrency else None,
        )
        access_logs = EncryptedLogGroup(
            self, "AccessLogs", encryption_key=logs_key, retention=log_retention, removal_policy=removal_policy
        ).log_group
        private = execute_api_endpoint is not None
        self.api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=api_name,
            description="Predictions from the real-time endpoint (IAM-signed requests)",
            endpoint_configuration=apigateway.EndpointConfiguration(
                types=[apigateway.EndpointType.PRIVATE if private else apigateway.EndpointType.REGIONAL],
                vpc_endpoints=[execute_api_endpoint] if private else None,
            ),
            policy=self._resource_policy(execute_api_endpoint) if private else None,
            cloud_watch_role=manage_account_logging_role,
            cloud_watch_role_removal_policy=removal_policy,
            deploy_options=apigateway.StageOptions(
                stage_name="v1",
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
                throttling_rate_limit=rate_limit,
                throttling_burst_limit=burst_limit,
                cache_data_encrypted=True,
            ),
        )
        model = self.api.add_model("PredictRequest", content_type="application/json", schema=REQUEST_SCHEMA)
        validator = self.api.add_request_validator(
            "ValidateBody", validate_request_body=True, validate_request_parameters=True
        )
        self.method = self.api.root.add_resource("predict").add_method(
            "POST",
            apigateway.LambdaIntegration(self.function, allow_test_invoke=False),
            authorization_type=apigateway.AuthorizationType.IAM,
            request_validator=validator,
            request_models={"application/json": model},
            request_parameters={"method.request.header.X-Target-Variant": False},
        )
        self._acknowledge(private, manage_account_logging_role)
        if waf:
            self._web_acl(api_name, logs_key, log_retention, removal_policy)

    def _function(
        self,
        endpoint_name: str,
        variants: Sequence[str],
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        endpoints_security_group: ec2.ISecurityGroup,
        logs_key: kms.IKey,
        log_retention: int,
        removal_policy: cdk.RemovalPolicy,
        *,
        environment_key: kms.IKey,
        reserved_concurrency: int | None,
    ) -> lambda_.Function:
        parts = python_function(
            Construct(self, "Handler"),
            description="POST /predict: JSON instances -> InvokeEndpoint -> purchase probabilities",
            code=HANDLER_DIR,
            handler="handler.handler",
            role_description="Inference API function: invoke one SageMaker endpoint",
            policy_description="Invoke the real-time endpoint, write own logs, attach to the private subnets",
            logs_key=logs_key,
            log_retention=log_retention,
            timeout=cdk.Duration.seconds(30),
            environment_key=environment_key,
            reserved_concurrency=reserved_concurrency,
            environment={"ENDPOINT_NAME": endpoint_name, "ALLOWED_VARIANTS": ",".join(variants)},
            tracing=lambda_.Tracing.ACTIVE,
            network=PrivateSubnets(vpc, subnets, "Inference API function: HTTPS to the interface endpoints only"),
            no_dead_letter_queue="API Gateway invokes this function synchronously and returns its errors to the "
            "caller; a dead-letter queue only serves asynchronous invocations.",
            removal_policy=removal_policy,
        )
        parts.grants.allow(
            "InvokeOneEndpoint",
            ("sagemaker:InvokeEndpoint",),
            [this_region_arn(self, "sagemaker", f"endpoint/{endpoint_name.lower()}")],
        )
        parts.security_group.add_egress_rule(endpoints_security_group, ec2.Port.tcp(443), "SageMaker runtime endpoint")
        return parts.function

    def _resource_policy(self, endpoint: ec2.IInterfaceVpcEndpoint) -> iam.PolicyDocument:
        """Only this account's principals, and only through the VPC's execute-api endpoint."""
        account = cdk.Stack.of(self).account
        return iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="ThisAccountThroughTheVpcEndpoint",
                    principals=[iam.AccountPrincipal(account)],
                    actions=["execute-api:Invoke"],
                    resources=["execute-api:/*"],
                    conditions={"StringEquals": {"aws:SourceVpce": endpoint.vpc_endpoint_id}},
                ),
                iam.PolicyStatement(
                    sid="DenyOutsideTheVpcEndpoint",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["execute-api:Invoke"],
                    resources=["execute-api:/*"],
                    conditions={"StringNotEquals": {"aws:SourceVpce": endpoint.vpc_endpoint_id}},
                ),
            ]
        )

    def _acknowledge(self, private: bool, account_role: bool) -> None:
        acknowledge(
            self.method.node.default_child,
            f"{AWS_SOLUTIONS}COG4",
            "The method uses IAM (SigV4) authorization, the E11 choice for application callers with AWS "
            "credentials; a Cognito user pool authorizer serves end users signing in, which this API has none of.",
        )
        for permission in self.method.node.children:
            if isinstance(permission, lambda_.CfnPermission):
                acknowledge(
                    permission,
                    f"{CONTROL_TOWER}lambda_function_public_access_prohibited_check",
                    "The permission is for apigateway.amazonaws.com and its SourceArn names this API's stage and "
                    "POST /predict (an Fn::Join of the API's id the rule cannot evaluate); nothing public.",
                )
        stage = self.api.deployment_stage.node.default_child
        no_cache = (
            "The stage caches nothing: every prediction goes to the model (a cache would serve one caller's "
            "result to another); cache encryption is set for the day caching is turned on."
        )
        acknowledge_compliance(stage, "APIGWCacheEnabledAndEncrypted", no_cache)
        acknowledge_compliance(
            stage,
            "APIGWSSLEnabled",
            "Client certificates let API Gateway authenticate to HTTP backends; this API's only backend is a "
            "Lambda function invoked through the Lambda API with an IAM role.",
        )
        if private:
            reason = (
                "The API is private: reachable only through the VPC's execute-api endpoint, from principals of "
                "this account signing with SigV4; a web ACL guards public entry points."
            )
            acknowledge(stage, f"{AWS_SOLUTIONS}APIG3", reason)
            for pack in (NIST, PCI):  # HIPAA has no WAF rule
                acknowledge(stage, f"{pack}APIGWAssociatedWithWAF", reason)
        if account_role:
            role = self.api.node.find_child("CloudWatchRole")
            acknowledge(
                role.node.default_child,
                f"{AWS_SOLUTIONS}IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
                "API Gateway's account-level logging role, with the AWS managed policy AWS maintains for exactly "
                "that service; it writes execution logs only.",
            )

    def _web_acl(
        self, api_name: str, logs_key: kms.IKey, log_retention: int, removal_policy: cdk.RemovalPolicy
    ) -> None:
        """AWS managed rule groups in front of a regional API, every request logged (N11).

        WAF writes only to log groups whose names start with `aws-waf-logs-`; the SigV4
        Authorization header is redacted so the log holds no credentials material.
        """
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=group
                    )
                ),
                visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                    cloud_watch_metrics_enabled=True, metric_name=group, sampled_requests_enabled=True
                ),
            )
            for priority, group in enumerate(("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"))
        ]
        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=rules,
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name="inference-api", sampled_requests_enabled=True
            ),
        )
        wafv2.CfnWebACLAssociation(
            self, "WebAclAssociation", resource_arn=self.api.deployment_stage.stage_arn, web_acl_arn=acl.attr_arn
        )
        log_group_name = f"aws-waf-logs-{api_name}"
        waf_logs = EncryptedLogGroup(
            self,
            "WebAclLogs",
            encryption_key=logs_key,
            retention=log_retention,
            removal_policy=removal_policy,
            log_group_name=log_group_name,
        )
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "WebAclLogging",
            resource_arn=acl.attr_arn,
            # WAF wants the log group's ARN without the trailing `:*` that LogGroup.logGroupArn carries.
            log_destination_configs=[
                cdk.Stack.of(self).format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=log_group_name,
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(
                    single_header={"Name": "authorization"},
                )
            ],
        )
        logging.node.add_dependency(waf_logs)
