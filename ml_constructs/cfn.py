"""CloudFormation hygiene shared by the constructs."""

from __future__ import annotations

import aws_cdk as cdk
import jsii


@jsii.implements(cdk.IResolvable)
class _DependsOnWithout:
    """Renders a resource's DependsOn, resolved at synthesis, minus one target.

    CDK turns construct-level dependencies (e.g. Lambda's dependency on its whole role
    construct) into DependsOn entries only while synthesizing, so the list can only be
    pruned by a token that resolves after that step.
    """

    def __init__(self, resource: cdk.CfnResource, target: cdk.CfnResource) -> None:
        self._resource = resource
        self._target_path = target.node.path

    @property
    def creation_stack(self) -> list[str]:
        return []

    @property
    def type_hint(self) -> None:
        return None

    def to_string(self) -> str:
        return f"DependsOn of {self._resource.node.path} without {self._target_path}"

    def resolve(self, _context: cdk.IResolveContext) -> list[str] | None:
        stack_path = cdk.Stack.of(self._resource).node.path
        kept = sorted(
            (
                dependency
                for dependency in self._resource.obtain_dependencies()
                if dependency.node.path != self._target_path and cdk.Stack.of(dependency).node.path == stack_path
            ),
            key=lambda dependency: dependency.node.path,
        )
        return [dependency.logical_id for dependency in kept] or None


def drop_redundant_dependency(resource: cdk.CfnResource, target: cdk.CfnResource) -> None:
    """Remove `target` from `resource`'s DependsOn where a Ref/GetAtt already orders them.

    cfn-lint W3005 flags such a DependsOn as obsolete; every other dependency stays.
    """
    resource.add_override("DependsOn", _DependsOnWithout(resource, target))
