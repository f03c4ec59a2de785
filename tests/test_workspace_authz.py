"""Who may do what in the workspace, evaluated by the authorization harness (N9, N13).

For the two data scientists of the variant (access mode `both`: the VPC endpoints from a VPC
range, and an office range over the internet; notebooks and Studio) and of production (access
mode `vpc-endpoints`; Studio only), the synthesized policies decide a matrix of requests:

- each data scientist may open (presigned URL, and the session's frames through the notebook or
  Studio endpoint), stop and tag at creation their own notebook and Studio profile; neither may
  open, stop, delete or retag the other's; neither may change or remove an owner tag; the URL
  calls are allowed only through the VPC endpoints (from the configured VPC range) or from the
  configured internet ranges;
- the calls Studio's apps and the notebook make as the owner's execution role (listings, the
  domain, the own profile, spaces and apps, the idle-stop program, data and key, logs) are
  allowed; the same role cannot reach the other owner's notebook, profile, spaces, apps or jobs,
  nor change an owner tag; the domain's default role reaches nobody's resources.

One harness evaluation per profile (the module's `matrix` fixture).
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

import pytest
from authz import Decision, Principal, Request, World, evaluate

ALLOWED, EXPLICIT, IMPLICIT = "Allowed", "ExplicitlyDenied", "ImplicitlyDenied"
PEOPLE = ("alice", "bob")
INSIDE_VPC_RANGE = "10.40.1.10"  # in the variant's workspace.access.vpc_source_cidrs (10.40.0.0/20)
OUTSIDE_VPC_RANGE = "10.40.200.5"  # in the VPC (the demo's 10.40.0.0/16), outside that range
OFFICE = "203.0.113.10"  # in the variant's workspace.access.internet_cidrs
ELSEWHERE = "198.51.100.7"


@dataclass
class Workspace:
    """Names of one profile's workspace, as the harness resolves them."""

    world: World
    prefix: str
    domain_id: str
    notebooks: bool
    stack_tags: dict[str, str]

    def arn(self, resource: str) -> str:
        return f"arn:{self.world.partition}:sagemaker:{self.world.region}:{self.world.account}:{resource}"

    def role(self, construct_prefix: str) -> Principal:
        return self.world.principal("Workspace", self.world.logical_id("Workspace", "AWS::IAM::Role", construct_prefix))

    def scientist(self, name: str) -> Principal:
        return self.role(f"DataScientists{name}")

    def execution(self, name: str) -> Principal:
        return self.role(f"ExecutionRole{name}Role")

    def notebook(self, name: str) -> str:
        return self.arn(f"notebook-instance/{self.prefix}{name}")

    def profile(self, name: str) -> str:
        return self.arn(f"user-profile/{self.domain_id}/{name}")

    def space(self, name: str) -> str:
        return self.arn(f"space/{self.domain_id}/{name}-space")

    def space_app(self, name: str) -> str:
        return self.arn(f"app/{self.domain_id}/{name}-space/jupyterlab/default")

    def job(self, name: str) -> str:
        return self.arn(f"training-job/{name}-job")

    def endpoint(self, name: str) -> dict[str, str]:
        logical = self.world.logical_id("Network", "AWS::EC2::VPCEndpoint", f"NetworkVpc{name}")
        return self.world.endpoint_context("Network", logical)


def workspace(assembly) -> Workspace:
    world = World.from_assembly(assembly)
    domain = world.logical_id("Workspace", "AWS::SageMaker::Domain", "StudioDomain")
    return Workspace(
        world=world,
        prefix=f"{assembly.config.project_name}-{assembly.config.profile}-",
        domain_id=str(world.resolve("Workspace", {"Fn::GetAtt": [domain, "DomainId"]})),
        notebooks=assembly.config.workspace.notebooks.enabled,
        stack_tags=dict(assembly.config.tags),
    )


def owned_by(name: str) -> dict[str, str]:
    """Context of a request on an existing resource tagged owner=<name>."""
    return {"sagemaker:ResourceTag/owner": name, "aws:ResourceTag/owner": name}


def tags(**pairs: str) -> dict:
    return {**{f"aws:RequestTag/{k}": v for k, v in pairs.items()}, "aws:TagKeys": list(pairs)}


Cases = dict[str, tuple[Request, str]]


def adder(cases: Cases, world: World, prefix: str, role: Principal):
    """A function that adds the case `<prefix>-<label>`: `role` makes the request."""

    def case(label: str, action: str, resource: str, expected: str, **context) -> None:
        cases[f"{prefix}-{label}"] = (world.request(role, action, resource, context=context or None), expected)

    return case


def url_cases(ws: Workspace, access) -> Cases:
    """Presigned URLs (and the session's frames) of each data scientist, from each network path."""
    world = ws.world
    api = ws.endpoint("SageMakerApi")
    vpc_ip = {"aws:VpcSourceIp": INSIDE_VPC_RANGE} if access.vpc_source_cidrs else {}
    through_vpc = ALLOWED if access.through_vpc_endpoints else IMPLICIT
    office = ipaddress.ip_address(OFFICE)
    from_office = ALLOWED if any(office in ipaddress.ip_network(c) for c in access.internet_cidrs) else IMPLICIT
    targets = [("studio", "sagemaker:CreatePresignedDomainUrl", ws.profile, ws.endpoint("Studio"))]
    if ws.notebooks:
        targets.append(
            ("notebook", "sagemaker:CreatePresignedNotebookInstanceUrl", ws.notebook, ws.endpoint("Notebook"))
        )
    cases: Cases = {}
    for me, other in (PEOPLE, PEOPLE[::-1]):
        role = ws.scientist(me)
        for kind, action, arn, browser in targets:
            mine, theirs = arn(me), arn(other)
            case = adder(cases, world, f"{me}-{kind}-url", role)
            own, others = owned_by(me), owned_by(other)
            case("own-through-the-api-endpoint", action, mine, through_vpc, **own, **api, **vpc_ip)
            case("own-session-through-the-browser-endpoint", action, mine, through_vpc, **own, **browser, **vpc_ip)
            case("own-from-the-office", action, mine, from_office, **own, **{"aws:SourceIp": OFFICE})
            case("own-from-elsewhere", action, mine, IMPLICIT, **own, **{"aws:SourceIp": ELSEWHERE})
            case("own-without-network-context", action, mine, IMPLICIT, **own)
            case("own-through-another-endpoint", action, mine, IMPLICIT, **own, **ws.endpoint("Sts"), **vpc_ip)
            if access.vpc_source_cidrs:
                outside = {"aws:VpcSourceIp": OUTSIDE_VPC_RANGE}
                case("own-from-outside-the-vpc-range", action, mine, IMPLICIT, **own, **api, **outside)
            case("others-through-the-api-endpoint", action, theirs, IMPLICIT, **others, **api, **vpc_ip)
            case("others-from-the-office", action, theirs, IMPLICIT, **others, **{"aws:SourceIp": OFFICE})
    return cases


def ownership_cases(ws: Workspace) -> Cases:
    """Stop, delete and tag: own resources only, tags only at creation, owner tags never changed."""
    world = ws.world
    cases: Cases = {}
    for me, other in (PEOPLE, PEOPLE[::-1]):
        for who, role in (("scientist", ws.scientist(me)), ("code", ws.execution(me))):
            case = adder(cases, world, f"{me}-{who}", role)

            resources = [("profile", ws.profile, "CreateUserProfile")]
            if ws.notebooks:
                resources.append(("notebook", ws.notebook, "CreateNotebookInstance"))
            for kind, arn, create in resources:
                creating = {**tags(owner=me), "sagemaker:TaggingAction": create}
                case(f"tags-own-{kind}-at-creation", "sagemaker:AddTags", arn(me), ALLOWED, **creating)
                case(
                    f"tags-no-{kind}-at-creation-as-the-other",
                    "sagemaker:AddTags",
                    arn(me),
                    IMPLICIT,
                    **{**tags(owner=other), "sagemaker:TaggingAction": create},
                )
                case(
                    f"retags-no-{kind}-of-the-other",
                    "sagemaker:AddTags",
                    arn(other),
                    EXPLICIT,
                    **owned_by(other),
                    **tags(owner=me),
                )
                case(
                    f"changes-no-owner-tag-of-own-{kind}",
                    "sagemaker:AddTags",
                    arn(me),
                    EXPLICIT,
                    **owned_by(me),
                    **tags(owner=me),
                )
                for whose, owner in (("own", me), ("the-others", other)):
                    case(
                        f"removes-no-owner-tag-of-{whose}-{kind}",
                        "sagemaker:DeleteTags",
                        arn(owner),
                        EXPLICIT,
                        **owned_by(owner),
                        **{"aws:TagKeys": ["owner"]},
                    )
            case("deletes-no-profile-of-the-other", "sagemaker:DeleteUserProfile", ws.profile(other), IMPLICIT)
            case(
                "stops-no-app-of-the-other",
                "sagemaker:DeleteApp",
                ws.space_app(other),
                IMPLICIT,
                **{"sagemaker:OwnerUserProfileArn": ws.profile(other), "sagemaker:SpaceSharingType": "Private"},
            )
            case(
                "stops-own-studio-app",
                "sagemaker:DeleteApp",
                ws.space_app(me),
                ALLOWED,
                **{"sagemaker:OwnerUserProfileArn": ws.profile(me), "sagemaker:SpaceSharingType": "Private"},
            )
            case("stops-no-job-of-the-other", "sagemaker:StopTrainingJob", ws.job(other), IMPLICIT, **owned_by(other))
            case(
                "tags-own-job-at-creation",
                "sagemaker:AddTags",
                ws.job(me),
                ALLOWED,
                **tags(owner=me, experiment="baseline"),
                **{"sagemaker:TaggingAction": "CreateTrainingJob"},
            )
            case(
                "tags-no-job-with-keys-outside-the-list",
                "sagemaker:AddTags",
                ws.job(me),
                IMPLICIT,
                **tags(owner=me, billing="x"),
                **{"sagemaker:TaggingAction": "CreateTrainingJob"},
            )
            case(
                "passes-own-execution-role",
                "iam:PassRole",
                ws.world.arn("Workspace", ws.world.logical_id("Workspace", "AWS::IAM::Role", f"ExecutionRole{me}Role")),
                ALLOWED,
                **{"iam:PassedToService": "sagemaker.amazonaws.com"},
            )
            case(
                "passes-no-execution-role-of-the-other",
                "iam:PassRole",
                ws.world.arn(
                    "Workspace", ws.world.logical_id("Workspace", "AWS::IAM::Role", f"ExecutionRole{other}Role")
                ),
                IMPLICIT,
                **{"iam:PassedToService": "sagemaker.amazonaws.com"},
            )
            if ws.notebooks:
                case("stops-own-notebook", "sagemaker:StopNotebookInstance", ws.notebook(me), ALLOWED, **owned_by(me))
                case(
                    "stops-no-notebook-of-the-other",
                    "sagemaker:StopNotebookInstance",
                    ws.notebook(other),
                    IMPLICIT,
                    **owned_by(other),
                )
                case(
                    "deletes-no-notebook-of-the-other",
                    "sagemaker:DeleteNotebookInstance",
                    ws.notebook(other),
                    IMPLICIT,
                    **owned_by(other),
                )
    return cases


def execution_role_cases(ws: Workspace) -> Cases:
    """What Studio's apps and the notebook call as the owner's execution role (done-when 2)."""
    world = ws.world
    datasets = world.arn("Data", world.logical_id("Data", "AWS::S3::Bucket", "DatasetsBucket"))
    data_key = world.arn("SecurityBaseline", world.logical_id("SecurityBaseline", "AWS::KMS::Key", "DataKey"))
    through_s3 = ws.endpoint("S3")
    via_s3 = {"kms:ViaService": f"s3.{world.region}.amazonaws.com", "aws:ViaAWSService": "true"}
    logs = f"arn:{world.partition}:logs:{world.region}:{world.account}:log-group:/aws/sagemaker/studio"
    cases: Cases = {}
    for me, other in (PEOPLE, PEOPLE[::-1]):
        case = adder(cases, world, f"{me}-code", ws.execution(me))

        space_of = {"sagemaker:OwnerUserProfileArn": ws.profile(me), "sagemaker:SpaceSharingType": "Private"}
        space_of_other = {"sagemaker:OwnerUserProfileArn": ws.profile(other), "sagemaker:SpaceSharingType": "Private"}
        case("lists-apps", "sagemaker:ListApps", "*", ALLOWED)
        case("lists-spaces", "sagemaker:ListSpaces", "*", ALLOWED)
        case("describes-the-domain", "sagemaker:DescribeDomain", ws.arn(f"domain/{ws.domain_id}"), ALLOWED)
        case("describes-own-profile", "sagemaker:DescribeUserProfile", ws.profile(me), ALLOWED)
        case("describes-no-profile-of-the-other", "sagemaker:DescribeUserProfile", ws.profile(other), IMPLICIT)
        case("describes-own-space", "sagemaker:DescribeSpace", ws.space(me), ALLOWED)
        case("describes-own-app", "sagemaker:DescribeApp", ws.space_app(me), ALLOWED)
        case("creates-own-private-space", "sagemaker:CreateSpace", ws.space(me), ALLOWED, **space_of)
        case(
            "creates-no-shared-space",
            "sagemaker:CreateSpace",
            ws.space(me),
            IMPLICIT,
            **{**space_of, "sagemaker:SpaceSharingType": "Shared"},
        )
        case("creates-app-in-own-space", "sagemaker:CreateApp", ws.space_app(me), ALLOWED, **space_of)
        case("deletes-app-in-own-space", "sagemaker:DeleteApp", ws.space_app(me), ALLOWED, **space_of)
        case(
            "tags-own-app-at-creation",
            "sagemaker:AddTags",
            ws.space_app(me),
            ALLOWED,
            **tags(owner=me),
            **{"sagemaker:TaggingAction": "CreateApp"},
        )
        # Studio copies the user profile's tags (owner and the stack-wide ones) onto the apps it launches.
        case(
            "tags-own-app-at-creation-with-the-profiles-tags",
            "sagemaker:AddTags",
            ws.space_app(me),
            ALLOWED,
            **tags(**ws.stack_tags, owner=me),
            **{"sagemaker:TaggingAction": "CreateApp"},
        )
        case(
            "creates-no-app-in-the-others-space", "sagemaker:CreateApp", ws.space_app(other), IMPLICIT, **space_of_other
        )
        case("deletes-no-app-of-the-other", "sagemaker:DeleteApp", ws.space_app(other), IMPLICIT, **space_of_other)
        case("deletes-no-space-of-the-other", "sagemaker:DeleteSpace", ws.space(other), IMPLICIT, **space_of_other)
        case("updates-no-space-of-the-other", "sagemaker:UpdateSpace", ws.space(other), IMPLICIT, **space_of_other)
        case("opens-no-studio-url", "sagemaker:CreatePresignedDomainUrl", ws.profile(me), IMPLICIT, **owned_by(me))
        case("describes-own-job", "sagemaker:DescribeTrainingJob", ws.job(me), ALLOWED, **owned_by(me))
        case("stops-own-job", "sagemaker:StopTrainingJob", ws.job(me), ALLOWED, **owned_by(me))
        case(
            "describes-no-job-of-the-other", "sagemaker:DescribeTrainingJob", ws.job(other), IMPLICIT, **owned_by(other)
        )
        case("reads-datasets", "s3:GetObject", f"{datasets}/raw/part-0000.csv", ALLOWED, **through_s3)
        case("writes-datasets", "s3:PutObject", f"{datasets}/features/part-0000.parquet", ALLOWED, **through_s3)
        case("decrypts-with-the-data-key", "kms:Decrypt", data_key, ALLOWED, **via_s3)
        case("encrypts-with-the-data-key", "kms:GenerateDataKey", data_key, ALLOWED, **via_s3)
        case("writes-studio-logs", "logs:PutLogEvents", f"{logs}:log-stream:{me}/jupyterlab", ALLOWED)
        if ws.notebooks:
            # The idle-stop program on the notebook (runtime/notebook_autostop.py).
            case(
                "describes-own-notebook", "sagemaker:DescribeNotebookInstance", ws.notebook(me), ALLOWED, **owned_by(me)
            )
            case("stops-own-notebook", "sagemaker:StopNotebookInstance", ws.notebook(me), ALLOWED, **owned_by(me))
            case(
                "describes-no-notebook-of-the-other",
                "sagemaker:DescribeNotebookInstance",
                ws.notebook(other),
                IMPLICIT,
                **owned_by(other),
            )
    default = ws.role("DomainDefaultRole")
    for label, action, resource, context in (
        ("stops-no-notebook", "sagemaker:StopNotebookInstance", ws.notebook("alice"), owned_by("alice")),
        ("describes-no-profile", "sagemaker:DescribeUserProfile", ws.profile("alice"), {}),
        (
            "deletes-no-app",
            "sagemaker:DeleteApp",
            ws.space_app("alice"),
            {"sagemaker:OwnerUserProfileArn": ws.profile("alice"), "sagemaker:SpaceSharingType": "Private"},
        ),
        ("reads-no-dataset", "s3:GetObject", f"{datasets}/raw/part-0000.csv", through_s3),
    ):
        cases[f"domain-default-role-{label}"] = (
            world.request(default, action, resource, context=context or None),
            IMPLICIT,
        )
    return cases


@pytest.fixture(scope="module", params=["variant", "production"])
def matrix(request) -> dict[str, tuple[Decision, str]]:
    assembly = request.getfixturevalue(request.param)
    ws = workspace(assembly)
    cases = {
        **url_cases(ws, assembly.config.workspace.access),
        **ownership_cases(ws),
        **execution_role_cases(ws),
    }
    started = time.perf_counter()
    decisions = evaluate([r for r, _ in cases.values()])
    print(f"\nauthz: {len(cases)} workspace requests of {request.param} in {time.perf_counter() - started:.2f} s")
    return {case_id: (d, expected) for (case_id, (_, expected)), d in zip(cases.items(), decisions, strict=True)}


def test_every_workspace_request_decides_as_expected(matrix):
    """Every failure at once, each with the harness's reason."""
    wrong = [
        f"{case_id}: expected {expected}\n{d.reason}"
        for case_id, (d, expected) in matrix.items()
        if d.result != expected
    ]
    assert not wrong, "\n\n".join(wrong)


def test_owner_tags_are_protected_by_the_deny_not_by_a_missing_grant(matrix):
    """Retagging and removing owner tags are explicit denies, so no other grant can open them."""
    for case_id, (decision, _) in matrix.items():
        if "owner-tag" in case_id or "retags" in case_id:
            assert decision.explicitly_denied, decision.reason
            assert any(s.startswith("identity:DenyR") for s in decision.denying_statements()), decision.reason


def test_each_data_scientist_opens_only_their_own_through_an_allowed_path(matrix):
    for me in PEOPLE:
        opened = [c for c, (d, _) in matrix.items() if c.startswith(f"{me}-") and "-url-" in c and d.allowed]
        assert opened, me
        assert all("-url-own-" in c for c in opened), opened
        assert not any(
            c.endswith(("without-network-context", "from-elsewhere", "through-another-endpoint")) for c in opened
        )
