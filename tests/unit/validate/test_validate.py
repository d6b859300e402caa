"""`hubfleet validate`: the example passes, and each layer fails on its broken fixture with its exact message.

Every test copies the example (inputs, charts, rendered tree) into tmp_path,
breaks one thing, and runs the command as a person would. A hand edit under
gitops/ is also reported as stale by the freshness layer; the tests show that too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hubfleet.core.names import INFRA_CONFIGS, INFRA_CONTROLLERS, NGINX_NAMESPACE
from hubfleet.inputs.pipeline import Scope
from hubfleet.render.ingress import MASTER_INGRESS
from hubfleet.system.project import Project
from hubfleet.write.pipeline import render_project
from support.validate import (
    FIXTURES,
    REPO,
    copy_example,
    edit,
    findings,
    in_gitops,
    line_of,
    object_file,
    require_environment,
    run_validate,
    stale,
    summary,
)

DATALAB = "hubs/clusterA/datalab"
PHYSICS = "hubs/clusterA/physics101"


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_environment()
    return copy_example(tmp_path_factory.mktemp("example") / "project")


@pytest.fixture
def root(example: Path, tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(example, target)
    return target


def test_the_committed_example_passes() -> None:
    require_environment()
    result = run_validate(REPO)
    assert result.exit_code == 0, result.output
    assert findings(result, unresolved=True) == [
        "images.lock: warning: 25 of the 25 images clusterA runs have no digest yet (digest: null); run "
        "`hubfleet images lock` where their registries answer"
    ]
    passed, failed = summary(result)
    assert failed == 0 and passed > 100


def test_one_cluster_of_a_fresh_example_passes(root: Path) -> None:
    result = run_validate(root, "clusterA")
    assert result.exit_code == 0, result.output
    assert findings(result) == []


def test_stale_rendered_file(root: Path) -> None:
    edit(root / "gitops" / DATALAB / "drive.yaml", 'timeout: "10m"', 'timeout: "20m"')
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [stale(f"{DATALAB}/drive.yaml")]
    assert result.stderr == "validation failed: 1 check failed\n"


def test_output_of_a_deleted_hub_is_stale(root: Path) -> None:
    (root / "clusters/clusterA/hubs/chem200-2025.yaml").unlink()
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        f"gitops/hubs/clusterA/{name}:1: stale: no input renders this file any more; run `hubfleet render` and commit"
        for name in (
            "chem200-2025/drive.yaml",
            "chem200-2025/kustomization.yaml",
            "chem200-2025/namespace.yaml",
        )
    ] + [stale("hubs/clusterA/kustomization.yaml")]


def test_unknown_field_in_a_helmrelease(root: Path) -> None:
    path = root / "gitops" / DATALAB / "jupyterhub.yaml"
    edit(path, '  interval: "30m"\n', '  interval: "30m"\n  intervall: "30m"\n')
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        stale(f"{DATALAB}/jupyterhub.yaml"),
        f"gitops/{DATALAB}/jupyterhub.yaml:{line_of(path, 'intervall:')}: HelmRelease/jupyterhub: "
        "spec.intervall: unknown field (did you mean 'interval'?)",
    ]


def test_wrong_api_version(root: Path) -> None:
    path = root / "gitops" / DATALAB / "drive.yaml"
    edit(path, "apiVersion: helm.toolkit.fluxcd.io/v2\n", "apiVersion: helm.toolkit.fluxcd.io/v2beta1\n")
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        stale(f"{DATALAB}/drive.yaml"),
        f"gitops/{DATALAB}/drive.yaml:2: HelmRelease/drive: no schema for helm.toolkit.fluxcd.io/v2beta1 "
        "HelmRelease; the schemas know HelmRelease as helm.toolkit.fluxcd.io/v2 (wrong apiVersion?)",
    ]


def test_missing_schema_fails_unless_ignored(root: Path) -> None:
    folder = object_file(root, "HelmRelease", "nginx-ingress").parent
    shutil.copy(FIXTURES / "servicemonitor.yaml", folder / "servicemonitor.yaml")
    where = f"gitops/{in_gitops(root, folder)}/servicemonitor.yaml:2: ServiceMonitor/ingress"
    what = "no schema for monitoring.coreos.com/v1 ServiceMonitor in any of the 3 schema locations"
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [f"{where}: {what}; add its schema, or pass --ignore-missing-schemas"]
    ignored = run_validate(root, "--ignore-missing-schemas")
    assert ignored.exit_code == 0, ignored.output
    assert findings(ignored) == [f"{where}: warning: not checked: {what}"]
    # The one warning besides the example lock's unresolved digests: the ignored schema.
    assert ignored.stdout.splitlines()[-1].endswith(" passed, 0 failed, 2 warnings")


def test_broken_depends_on(root: Path) -> None:
    path = root / "gitops" / DATALAB / "jupyterhub.yaml"
    edit(path, "    - name: drive\n", "    - name: drvie\n")
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        stale(f"{DATALAB}/jupyterhub.yaml"),
        f"gitops/{DATALAB}/jupyterhub.yaml:{line_of(path, 'name: drvie')}: HelmRelease/jupyterhub: "
        "spec.dependsOn[0]: HelmRelease datalab/drvie does not exist in cluster clusterA",
    ]


def test_unknown_helm_repository(root: Path) -> None:
    path = root / "gitops" / DATALAB / "jupyterhub.yaml"
    edit(
        path,
        "name: jupyterhub\n        namespace: flux-system",
        "name: jupyterhb\n        namespace: flux-system",
    )
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        stale(f"{DATALAB}/jupyterhub.yaml"),
        f"gitops/{DATALAB}/jupyterhub.yaml:{line_of(path, 'sourceRef:')}: HelmRelease/jupyterhub: "
        "spec.chart.spec.sourceRef: HelmRepository flux-system/jupyterhb does not exist in cluster clusterA",
    ]


def test_kustomization_path_that_does_not_exist(root: Path) -> None:
    path = root / "gitops/clusters/clusterA/hubs.yaml"
    edit(path, "./gitops/hubs/clusterA", "./gitops/hubs/clusterB")
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        stale("clusters/clusterA/hubs.yaml"),
        f"gitops/clusters/clusterA/hubs.yaml:{line_of(path, 'path:')}: Kustomization/hubs: "
        "spec.path: ./gitops/hubs/clusterB does not exist in the repository",
    ]


def test_kustomize_build_failure(root: Path) -> None:
    edit(
        root / "gitops" / DATALAB / "kustomization.yaml",
        "  - drive.yaml\n",
        "  - drive.yaml\n  - missing.yaml\n",
    )
    result = run_validate(root)
    assert result.exit_code == 1
    found = findings(result)
    line = line_of(root / "gitops/clusters/clusterA/hubs.yaml", "path:")
    assert found[0].startswith(
        f"gitops/clusters/clusterA/hubs.yaml:{line}: Kustomization/hubs: "
        "kubectl kustomize ./gitops/hubs/clusterA failed: accumulating resources: "
    )
    assert "gitops/hubs/clusterA/datalab/missing.yaml" in found[0] and str(root) not in found[0]
    assert found[1:] == [stale("hubs/clusterA/datalab/kustomization.yaml")]


def test_typo_in_the_eksctl_file(root: Path) -> None:
    path = root / "gitops/eksctl/clusterA.yaml"
    edit(path, "    instanceType: t3a.medium\n", "    instanceTyp: t3a.medium\n")
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        stale("eksctl/clusterA.yaml"),
        f"gitops/eksctl/clusterA.yaml:{line_of(path, 'instanceTyp:')}: ClusterConfig/clusterA: "
        "nodeGroups[0].instanceTyp: unknown field (did you mean 'instanceType'?)",
    ]


def test_bad_values_for_our_chart(root: Path) -> None:
    path = root / "gitops" / DATALAB / "drive.yaml"
    edit(path, 'size: "40Gi"', 'size: "40GB"')
    line = line_of(path, "40GB")
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        stale(f"{DATALAB}/drive.yaml"),
        f"gitops/{DATALAB}/drive.yaml:{line}: HelmRelease/drive: helm template "
        "./gitops/charts/nfs-drive failed: values don't meet the specifications of the schema(s) in the following "
        "chart(s): nfs-drive: - at '/size': '40GB' does not match pattern '^[1-9][0-9]*(Mi|Gi|Ti)$'",
    ]


def test_bad_values_for_an_upstream_chart(root: Path) -> None:
    path = root / "gitops" / DATALAB / "jupyterhub.yaml"
    edit(path, "    cull:\n", "    cul:\n")
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        stale(f"{DATALAB}/jupyterhub.yaml"),
        f"gitops/{DATALAB}/jupyterhub.yaml:{line_of(path, 'cul:')}: HelmRelease/jupyterhub: helm template "
        "jupyterhub 4.4.0 failed: values don't meet the specifications of the schema(s) in the following "
        "chart(s): jupyterhub: - at '': additional properties 'cul' not allowed",
    ]


def test_two_masters_for_one_host(root: Path) -> None:
    master = object_file(root, "Ingress", MASTER_INGRESS)
    target = master.parent / "second-master.yaml"
    shutil.copy(FIXTURES / "second-master.yaml", target)
    edit(
        master.parent / "kustomization.yaml",
        f"  - {master.name}\n",
        f"  - {master.name}\n  - {target.name}\n",
    )
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        stale(in_gitops(root, master.parent / "kustomization.yaml")),
        f"gitops/{in_gitops(root, target)}:{line_of(target, '- host:')}: Ingress/hubs-master-2: host "
        f"clustera.hubs.example.org already has master Ingress {NGINX_NAMESPACE}/{MASTER_INGRESS} "
        f"(gitops/{in_gitops(root, master)}:{line_of(master, '- host:')}); "
        "NGINX merges minions into exactly one master Ingress per host",
    ]


def test_duplicate_minion_path(root: Path) -> None:
    path = root / "gitops" / PHYSICS / "jupyterhub.yaml"
    edit(path, 'baseUrl: "/physics101/"', 'baseUrl: "/datalab/"')
    other = root / "gitops" / DATALAB / "jupyterhub.yaml"
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        stale(f"{PHYSICS}/jupyterhub.yaml"),
        f"gitops/{PHYSICS}/jupyterhub.yaml:{line_of(path, '    ingress:', exact=True)}: HelmRelease/jupyterhub: path "
        "/datalab/ on host clustera.hubs.example.org is already routed by Ingress datalab/jupyterhub of "
        f"HelmRelease datalab/jupyterhub (gitops/{DATALAB}/jupyterhub.yaml:{line_of(other, '    ingress:', exact=True)})",
        f"gitops/{PHYSICS}/jupyterhub.yaml:{line_of(path, '    ingress:', exact=True)}: HelmRelease/jupyterhub: renders "
        "Ingress/jupyterhub (minion, clustera.hubs.example.org, paths /datalab/); a hub's Ingress must be a minion "
        "of clustera.hubs.example.org under /physics101/",
    ]


def test_minion_with_tls(root: Path) -> None:
    path = root / "gitops" / DATALAB / "jupyterhub.yaml"
    edit(path, "      tls: []\n", "      tls:\n        - hosts: [clustera.hubs.example.org]\n")
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        stale(f"{DATALAB}/jupyterhub.yaml"),
        f"gitops/{DATALAB}/jupyterhub.yaml:{line_of(path, '    ingress:', exact=True)}: HelmRelease/jupyterhub: "
        "Ingress datalab/jupyterhub of HelmRelease datalab/jupyterhub is a minion with tls; only the master "
        "Ingress of "
        "clustera.hubs.example.org may terminate TLS",
    ]


def test_drive_outside_the_core_zone(root: Path) -> None:
    path = root / "gitops" / DATALAB / "drive.yaml"
    edit(path, "zone: us-west-2b", "zone: us-west-2a")
    where = f"gitops/{DATALAB}/drive.yaml:{line_of(path, 'zone: us-west-2a')}: HelmRelease/drive: spec.values.zone"
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        stale(f"{DATALAB}/drive.yaml"),
        f"{where}: no node group in gitops/eksctl/clusterA.yaml has hub.jupyter.org/node-purpose=core in "
        "us-west-2a; the drive's NFS server could never be scheduled",
        f"{where}: the drive is in us-west-2a, outside the core zone us-west-2b "
        "(clusters/clusterA/cluster.yaml coreZone); core pods could not mount its EBS volume",
    ]


def test_core_nodes_cannot_attach_every_volume(root: Path) -> None:
    path = root / "gitops/eksctl/clusterA.yaml"
    edit(path, "    maxSize: 10\n", "    maxSize: 0\n")
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        stale("eksctl/clusterA.yaml"),
        f"gitops/eksctl/clusterA.yaml:{line_of(path, 'maxSize: 0')}: ClusterConfig/clusterA: nodeGroups[1].maxSize: "
        "4 hubs need 7 EBS volumes on core nodes (a drive each, and a database volume per active hub); "
        "0 x t3a.medium can attach 0 (24 per node beside its root volume and network interfaces): raise maxSize "
        "or use a bigger core instance type",
    ]


def test_leaked_private_key(root: Path) -> None:
    marker = "PRIVATE" + " KEY-----"
    pem = f"-----BEGIN RSA {marker}\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA {marker}\n"
    (root / "clusters/clusterA/secrets/backup.pem").write_text(pem)
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        "clusters/clusterA/secrets/backup.pem:1: a PEM private key is committed here; remove it (from the git "
        "history too) and replace the key"
    ]


def test_plaintext_secret(root: Path) -> None:
    target = root / "gitops" / DATALAB / "db-password.yaml"
    shutil.copy(FIXTURES / "plaintext-secret.yaml", target)
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        f"gitops/{DATALAB}/db-password.yaml:{line_of(target, 'password:') - 1}: Secret/hub-db-password: data: plaintext "
        "Secret data in git; seal it (hubfleet seal) so only the cluster can read it"
    ]


MISSING_TLS = (
    f"TLS secret {NGINX_NAMESPACE}/clustera-tls is not in the tree as a SealedSecret; create it with "
    "`hubfleet seal tls clusterA --cert FILE --key FILE` and render"
)


def test_missing_tls_secret_is_reported_once(root: Path) -> None:
    """No sealed TLS secret in the inputs, so none in the tree: one finding, not one per layer that knows."""
    (root / "clusters/clusterA/secrets/clustera-tls.sealedsecret.yaml").unlink()
    render_project(Project(root), Scope(("clusterA",), False))
    master = object_file(root, "Ingress", MASTER_INGRESS)
    result = run_validate(root)
    assert result.exit_code == 1
    assert findings(result) == [
        f"gitops/{in_gitops(root, master)}:{line_of(master, '- hosts:')}: Ingress/{MASTER_INGRESS}: {MISSING_TLS}"
    ]
    assert result.stdout.splitlines()[-1].endswith(" passed, 1 failed, 1 warning")  # the unresolved lock


def test_depends_on_cycle(root: Path) -> None:
    path = root / "gitops/clusters/clusterA/infrastructure.yaml"
    # infra-controllers comes first and depends on nothing; make it depend on infra-configs, which depends on it.
    edit(path, "  wait: true\n---", f"  wait: true\n  dependsOn:\n    - name: {INFRA_CONFIGS}\n---")
    result = run_validate(root)
    assert result.exit_code == 1
    line = line_of(path, "dependsOn:", 2)
    assert findings(result) == [
        stale("clusters/clusterA/infrastructure.yaml"),
        f"gitops/clusters/clusterA/infrastructure.yaml:{line}: Kustomization/{INFRA_CONFIGS}: spec.dependsOn: "
        f"cycle flux-system/{INFRA_CONFIGS} -> flux-system/{INFRA_CONTROLLERS} -> flux-system/{INFRA_CONFIGS}",
    ]
