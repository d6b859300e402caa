"""The drive as hubs see it: the shared folder, the kept hub database, and drive releases that
only upgrade when the chart does (rendered objects; the chart itself is in test_chart_nfs_drive.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from conftest import REPO, load_docs
from support.builders import make_cluster


def values_of(root: Path, hub: str, file: str = "jupyterhub.yaml") -> dict[str, Any]:
    (release,) = load_docs(root / f"gitops/hubs/clusterA/{hub}/{file}")
    return dict(release["spec"])


def test_the_shared_folder_is_read_only_for_users_and_handed_to_uid_1000() -> None:
    values = values_of(REPO, "physics101")["values"]
    assert values["singleuser"]["storage"]["extraVolumeMounts"] == {
        "shared": {"name": "home", "mountPath": "/home/jovyan/shared", "subPath": "_shared", "readOnly": True}
    }
    (owner,) = values["singleuser"]["initContainers"]
    assert {"name": "home", "mountPath": "/srv/shared", "subPath": "_shared"} in owner["volumeMounts"]
    assert "chown 1000:100 /srv/shared" in owner["command"][-1]
    # What admins get is tested through z2jh and KubeSpawner in test_hub_tier.py.
    assert "hubfleet-shared-readwrite" in values["hub"]["extraConfig"]


def test_without_a_shared_folder_nothing_is_mounted(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, hubs={"course": {"drive.shared": False}})
    assert run(root, "render", "clusterA").exit_code == 0
    values = values_of(root, "course")["values"]
    assert "extraVolumeMounts" not in values["singleuser"]["storage"]
    assert sorted(values["hub"]["extraConfig"]) == ["hubfleet-native-admins"]  # minimal_hub is native
    (owner,) = values["singleuser"]["initContainers"]
    assert owner["volumeMounts"] == [{"name": "home", "mountPath": "/home/jovyan", "subPath": "{username}"}]


def test_the_hub_database_claim_outlives_its_release() -> None:
    db = values_of(REPO, "bio150")["values"]["hub"]["db"]["pvc"]
    assert db["annotations"] == {"helm.sh/resource-policy": "keep"}


def test_drive_releases_reconcile_on_the_chart_version() -> None:
    chart = values_of(REPO, "physics101", "drive.yaml")["chart"]["spec"]
    assert "reconcileStrategy" not in chart  # Flux's default, ChartVersion
    assert chart["chart"] == "./gitops/charts/nfs-drive"


def test_calico_enforces_network_policies_in_the_clusters_own_vpc() -> None:
    (config,) = load_docs(REPO / "gitops/eksctl/clusterA.yaml")
    assert config["vpc"] == {"cidr": "192.168.0.0/16"}
    (cni,) = [addon for addon in config["addons"] if addon["name"] == "vpc-cni"]
    # One enforcer, Calico, which reads a new pod's address from the annotation the CNI writes.
    assert json.loads(cni["configurationValues"]) == {
        "enableNetworkPolicy": "false",
        "env": {"ANNOTATE_POD_IP": "true"},
    }
    assert cni["version"].startswith("v1.") and "eksbuild" in cni["version"]
    crds, operator = load_docs(REPO / "gitops/infrastructure/clusterA/controllers/calico.yaml")[1:]
    assert operator["spec"]["dependsOn"] == [{"name": crds["metadata"]["name"]}]
    installation = operator["spec"]["values"]["installation"]
    assert (installation["kubernetesProvider"], installation["cni"]) == ("EKS", {"type": "AmazonVPC"})
    assert values_of(REPO, "physics101", "drive.yaml")["values"]["clients"] == "192.168.0.0/16"


def isolation_findings(root: Path, run: Callable[..., Result]) -> list[str]:
    result = run(root, "validate", "clusterA", "--skip", "flux", "--skip", "charts", "--skip", "objects")
    return [line for line in result.output.splitlines() if "vpc-cni" in line or "VPC" in line]


def without_calico(root: Path) -> None:
    calico = root / "gitops/infrastructure/clusterA/controllers/calico.yaml"
    text = calico.read_text()
    calico.write_text(text[: text.rindex("---\n")])  # the operator's release is the file's last document


def test_a_cluster_without_calico_is_a_finding_whatever_else_enforces(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_cluster(tmp_path, hubs={"course": {}})
    assert run(root, "render", "clusterA").exit_code == 0
    without_calico(root)
    eksctl = root / "gitops/eksctl/clusterA.yaml"
    line = next(n for n, text in enumerate(eksctl.read_text().splitlines(), 1) if text.startswith("addons:"))
    where = f"gitops/eksctl/clusterA.yaml:{line}: ClusterConfig/clusterA: addons: "
    assert isolation_findings(root, run) == [
        where
        + "nothing enforces NetworkPolicies (no tigera-operator release with the VPC CNI as its CNI, no "
        "VPC CNI enableNetworkPolicy), so every drive, hub and monitoring server is open to every pod; Calico "
        "must enforce them (the tigera-operator release `hubfleet render` writes)"
    ]
    eksctl.write_text(
        eksctl.read_text().replace(
            '\\"enableNetworkPolicy\\": \\"false\\"', '\\"enableNetworkPolicy\\": \\"true\\"'
        )
    )
    assert isolation_findings(root, run) == [
        where + "the VPC CNI's agent enforces NetworkPolicies only on pods with an owner, and KubeSpawner's "
        "user pods have none, so no policy holds for any notebook; Calico must enforce them (the "
        "tigera-operator release `hubfleet render` writes)"
    ]


def test_a_drive_open_beyond_the_vpc_is_a_finding(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, hubs={"course": {}})
    assert run(root, "render", "clusterA").exit_code == 0
    drive = root / "gitops/hubs/clusterA/course/drive.yaml"
    drive.write_text(drive.read_text().replace('clients: "192.168.0.0/16"', 'clients: "0.0.0.0/0"'))
    line = next(n for n, text in enumerate(drive.read_text().splitlines(), 1) if "clients:" in text)
    assert isolation_findings(root, run) == [
        f"gitops/hubs/clusterA/course/drive.yaml:{line}: HelmRelease/drive: spec.values.clients: 0.0.0.0/0 is "
        "not inside the cluster's VPC 192.168.0.0/16; the drive would answer addresses outside the cluster"
    ]


def test_calicos_crd_chart_goes_with_its_operator(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, hubs={"course": {}}, charts={"tigeraOperator": "v3.31.7"})
    result = run(root, "render", "clusterA")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].endswith(
        "charts.tigeraOperator: calicoCrds v3.32.1 and tigeraOperator v3.31.7 differ: Calico's CRDs are "
        "released with its operator; pin both to the same version"
    )
