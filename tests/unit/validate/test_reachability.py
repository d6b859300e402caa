"""`validate`'s reachability check: who can open what, from the expanded objects, the pods
KubeSpawner builds (ownerless, as in a cluster) and the cluster's enforcement model.

The example lets each hub's user pods reach their own hub API and nothing else. Each rule has a
fixture that breaks one thing a person could break by hand (a tree edit, reported as stale too;
the freshness layer is skipped here) and the exact finding; one breaks nothing but the
enforcement: the policies all exist, and only the model says they do not hold for user pods.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from conftest import require
from support.validate import copy_example, findings, run_validate
from tiers.test_hub_tier import HUB_PYTHON

HUBS = ("bio150", "datalab", "physics101")
DRIVES = ("bio150", "chem200-2025", "datalab", "physics101")
PHYSICS = "gitops/hubs/clusterA/physics101/jupyterhub.yaml"
DATALAB = "gitops/hubs/clusterA/datalab/jupyterhub.yaml"
SINGLEUSER = "    singleuser:\n      image:"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(HUB_PYTHON.exists(), f"{HUB_PYTHON} is missing: run `make hub-venv`")
    return copy_example(tmp_path_factory.mktemp("reach") / "example")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def user_egress(rule: str) -> Callable[[Path], None]:
    """physics101's user pods get one more of z2jh's egress rules."""
    block = f"    singleuser:\n      networkPolicy:\n        egressAllowRules:\n          {rule}: true\n      image:"
    return lambda root: edit(root / PHYSICS, SINGLEUSER, block)


def drop_documents(path: Path, names: set[str]) -> None:
    yaml = YAML()
    kept = [d for d in yaml.load_all(path.read_text()) if d["metadata"]["name"] not in names]
    with path.open("w") as out:
        yaml.dump_all(kept, out)


def reach(root: Path) -> tuple[int, list[str]]:
    result = run_validate(root, "--skip", "flux", "--skip", "freshness", "--hub-python", str(HUB_PYTHON))
    return result.exit_code, [line for line in findings(result) if " reach " in line]


def broken(example: Path, tmp_path: Path, *edits: Callable[[Path], None]) -> tuple[int, list[str]]:
    root = tmp_path / "broken"
    shutil.copytree(example, root)
    for change in edits:
        change(root)
    return reach(root)


def finding(hub: str, target: str, what: str, why: str) -> str:
    return (
        f"gitops/hubs/clusterA/{hub}/jupyterhub.yaml:2: HelmRelease/jupyterhub: user pods of hub {hub} "
        f"reach {target} ({what}): {why}"
    )


EGRESS_OPEN = "egress: NetworkPolicy physics101/singleuser admits it"


def test_the_example_lets_user_pods_reach_their_own_hub_api_only(example: Path) -> None:
    result = run_validate(
        example, "--skip", "flux", "--hub-python", str(HUB_PYTHON), "--explain-network", "clusterA"
    )
    assert result.exit_code == 0, result.stdout
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "who reaches what in cluster clusterA; policies enforced by Calico (policy-only, beside the VPC CNI): every pod"
    )
    rows = [line.split() for line in lines[1:] if line.startswith("  user pods of ")]
    assert len(rows) == len(HUBS) * (len(DRIVES) + 2 * len(HUBS) + 3)
    assert [(row[3], row[5]) for row in rows if row[6] != "closed"] == [
        (hub, f"hub.{hub}:8081/TCP") for hub in HUBS
    ]
    drive = [line for line in lines if "physics101   -> drive-nfs.datalab:" in line]
    assert drive[0].endswith(
        "closed  egress: no rule of NetworkPolicy physics101/singleuser admits it; "
        "ingress: GlobalNetworkPolicy drives-admit-no-pod denies it"
    )


def test_a_drive_open_to_pods_is_a_finding(example: Path, tmp_path: Path) -> None:
    """Private addresses allowed out, and Calico's drive policy selecting nothing: the drive's own
    policy admits the VPC, which pod addresses are in."""

    def no_drive_policy(root: Path) -> None:
        edit(
            root / "gitops/infrastructure/clusterA/configs/drive-isolation.yaml",
            "== 'nfs-drive'",
            "== 'none'",
        )

    code, found = broken(example, tmp_path, user_egress("privateIPs"), no_drive_policy)
    assert code == 1
    assert found == [
        finding(
            "physics101",
            f"drive-nfs.{drive}:2049/TCP",
            f"the drive of {drive}",
            f"{EGRESS_OPEN}; ingress: NetworkPolicy {drive}/drive-nfs admits it",
        )
        for drive in DRIVES
    ]


def test_with_the_drive_policy_in_place_private_egress_still_opens_no_drive(
    example: Path, tmp_path: Path
) -> None:
    code, found = broken(example, tmp_path, user_egress("privateIPs"))
    assert (code, found) == (0, [])


def test_another_hubs_hub_and_proxy_api_open_to_pods_are_findings(example: Path, tmp_path: Path) -> None:
    def datalab_open(root: Path) -> None:
        edit(
            root / DATALAB,
            "      networkPolicy:\n        ingress:",
            "      networkPolicy:\n        enabled: false\n        ingress:",
        )
        edit(root / DATALAB, "      chp:\n", "      chp:\n        networkPolicy:\n          enabled: false\n")

    code, found = broken(example, tmp_path, user_egress("privateIPs"), datalab_open)
    assert code == 1
    assert found == [
        finding(
            "physics101",
            "hub.datalab:8081/TCP",
            "the hub API of datalab",
            f"{EGRESS_OPEN}; ingress: no policy selects the pod",
        ),
        finding(
            "physics101",
            "proxy-api.datalab:8001/TCP",
            "the proxy API of datalab",
            f"{EGRESS_OPEN}; ingress: no policy selects the pod",
        ),
    ]


def test_prometheus_and_alertmanager_open_to_pods_are_findings(example: Path, tmp_path: Path) -> None:
    def monitoring_open(root: Path) -> None:
        policies = root / "gitops/infrastructure/clusterA/monitoring/network-policies.yaml"
        drop_documents(policies, {"deny-ingress", "prometheus-from-grafana", "alertmanager-from-prometheus"})

    code, found = broken(example, tmp_path, user_egress("privateIPs"), monitoring_open)
    assert code == 1
    open_in = f"{EGRESS_OPEN}; ingress: no policy selects the pod"
    assert found == [
        finding("physics101", "prometheus-alertmanager.monitoring:9093/TCP", "Alertmanager", open_in),
        finding("physics101", "prometheus-server.monitoring:80/TCP", "Prometheus", open_in),
    ]


def test_the_metadata_address_open_to_pods_is_a_finding(example: Path, tmp_path: Path) -> None:
    """z2jh refuses the egress rule beside its iptables block (its default), so that goes too."""

    def no_iptables_block(root: Path) -> None:
        edit(
            root / PHYSICS,
            "    singleuser:\n",
            "    singleuser:\n      cloudMetadata:\n        blockWithIptables: false\n",
        )

    code, found = broken(example, tmp_path, user_egress("cloudMetadataServer"), no_iptables_block)
    assert code == 1
    assert found == [
        finding("physics101", "169.254.169.254:80/TCP", "the cloud metadata server", EGRESS_OPEN)
    ]


def test_policies_the_enforcement_does_not_hold_for_user_pods_are_findings(
    example: Path, tmp_path: Path
) -> None:
    """Only the model changes: Calico's release is gone and the VPC CNI enforces instead, which
    skips KubeSpawner's ownerless pods. Every policy is still in the tree."""

    def vpc_cni_only(root: Path) -> None:
        calico = root / "gitops/infrastructure/clusterA/controllers/calico.yaml"
        drop_documents(calico, {"tigera-operator"})
        eksctl = root / "gitops/eksctl/clusterA.yaml"
        edit(eksctl, '\\"enableNetworkPolicy\\": \\"false\\"', '\\"enableNetworkPolicy\\": \\"true\\"')

    code, found = broken(example, tmp_path, vpc_cni_only)
    assert code == 1
    unenforced = "egress: no policy is enforced on ownerless pods here"
    assert [line for line in found if "hub physics101 " in line] == [
        finding("physics101", "169.254.169.254:80/TCP", "the cloud metadata server", unenforced),
        *(
            finding(
                "physics101",
                f"drive-nfs.{drive}:2049/TCP",
                f"the drive of {drive}",
                f"{unenforced}; ingress: NetworkPolicy {drive}/drive-nfs admits it",
            )
            for drive in DRIVES
        ),
    ]
    assert len(found) == len(HUBS) * (1 + len(DRIVES))


def test_explain_network_needs_the_hub_python(example: Path) -> None:
    result = run_validate(example, "--explain-network", "clusterA")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "--explain-network: needs --hub-python (or $HUBFLEET_HUB_PYTHON): the user pods are the ones KubeSpawner builds"
    ]
