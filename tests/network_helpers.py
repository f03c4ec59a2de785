"""Helpers shared by the network stack's template tests (tests/test_network_*.py)."""

from __future__ import annotations

STACK = "Network"


def resources(assembly, resource_type: str) -> dict[str, dict]:
    return assembly.resources(STACK, resource_type)


def endpoints_by_service(assembly) -> dict[str, dict]:
    found = {}
    for endpoint in resources(assembly, "AWS::EC2::VPCEndpoint").values():
        name = endpoint["Properties"]["ServiceName"]
        if isinstance(name, dict):  # com.amazonaws.<Ref AWS::Region>.s3
            name = "".join(part if isinstance(part, str) else "<region>" for part in name["Fn::Join"][1])
        found[name.split(".", 3)[-1]] = endpoint["Properties"]
    return found


def workload_subnets(assembly) -> dict[str, dict]:
    return {k: v for k, v in resources(assembly, "AWS::EC2::Subnet").items() if "Workloads" in k}
