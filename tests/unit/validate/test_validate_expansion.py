"""Every HelmRelease expanded through its real chart, from a verified package: what only
expansion can see, and every way a chart package can fail to be had.

The charts come from the chart mirror of the tests (chart_mirror.py).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hubfleet.cli import main
from support.chart_mirror import chart_environment, reference_charts, serve
from support.validate import REPO, TOOLS, copy_example, edit, findings, line_of, require_environment

AUTOSCALER = "gitops/infrastructure/clusterA/controllers/cluster-autoscaler.yaml"
DATALAB = "gitops/hubs/clusterA/datalab/jupyterhub.yaml"
LOCKED = "https://kubernetes.github.io/autoscaler"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_environment()
    return copy_example(tmp_path_factory.mktemp("expansion") / "project")


@pytest.fixture
def root(example: Path, tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(example, target)
    return target


def validate(root: Path, *args: str, **env: str) -> Result:
    environment = {**chart_environment(), "HUBFLEET_SCHEMA_LOCATION": None, "PATH": f"{TOOLS}:/usr/bin:/bin"}
    environment.update(env)
    return CliRunner().invoke(
        main, ["--root", str(root), "validate", "--backend", "jsonschema", *args], env=environment
    )


def without_stale(result: Result) -> list[str]:
    return [line for line in findings(result) if ": stale: " not in line]


def test_a_value_that_renders_an_invalid_field_is_caught(root: Path) -> None:
    """cluster-autoscaler has no values schema; only its rendered Deployment shows the mistake."""
    edit(
        root / AUTOSCALER,
        "    fullnameOverride: cluster-autoscaler\n",
        "    fullnameOverride: cluster-autoscaler\n    replicaCount: two\n",
    )
    result = validate(root, "--skip", "flux")
    assert without_stale(result) == [
        f"{AUTOSCALER}:2: HelmRelease/cluster-autoscaler: renders Deployment/cluster-autoscaler "
        "(cluster-autoscaler/templates/deployment.yaml): spec.replicas: expected a whole number or nothing, "
        "found 'two'"
    ]


def test_an_image_of_another_kubernetes_minor_is_caught(root: Path) -> None:
    edit(root / AUTOSCALER, "tag: v1.35.2", "tag: v1.32.7")
    result = validate(root, "--skip", "flux")
    assert without_stale(result) == [
        f"{AUTOSCALER}:2: HelmRelease/cluster-autoscaler: renders Deployment/cluster-autoscaler whose container "
        "aws-cluster-autoscaler runs registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.7, but the cluster runs "
        "Kubernetes 1.35; it must be of the same minor: registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.2",
        # And the lock has no digest for an image the fleet did not run when it was written.
        "images.lock: registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.7 (cluster-autoscaler 9.59.0) is not in "
        "images.lock; run `hubfleet images lock` and commit it",
    ]


def test_an_unpinned_image_is_caught(root: Path) -> None:
    edit(root / DATALAB, "tag: v1.35.6", "tag: latest")
    result = validate(root, "--skip", "flux")
    assert without_stale(result) == [
        f"{DATALAB}:2: HelmRelease/jupyterhub: renders Deployment/user-scheduler whose container kube-scheduler "
        "runs registry.k8s.io/kube-scheduler:latest: not pinned; give it a version tag or a digest, never latest",
        "images.lock: registry.k8s.io/kube-scheduler:latest (jupyterhub 4.4.0) is not in images.lock; run "
        "`hubfleet images lock` and commit it",
    ]


def test_bad_values_for_nginx_are_checked_offline(root: Path) -> None:
    """nginx-ingress's schema $refs the internet; its merged values are checked here instead."""
    path = root / "gitops/infrastructure/clusterA/ingress/nginx-ingress.yaml"
    edit(path, "setAsDefaultIngress: false", 'setAsDefaultIngress: "no"')
    result = validate(root, "--skip", "flux")
    assert without_stale(result) == [
        f"gitops/infrastructure/clusterA/ingress/nginx-ingress.yaml:{line_of(path, 'setAsDefaultIngress')}: "
        "HelmRelease/nginx-ingress: spec.values.controller.ingressClass.setAsDefaultIngress: expected true or "
        "false, found 'no' (values schema of chart nginx-ingress 2.6.4)"
    ]


def tampered_mirror(tmp_path: Path) -> str:
    folder = tmp_path / "mirror"
    shutil.copytree(reference_charts(), folder)
    package = folder / "cluster-autoscaler-9.59.0.tgz"
    package.write_bytes(package.read_bytes() + b"\0tampered")
    return serve(folder)


def test_a_tampered_package_is_refused_and_never_cached(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = validate(
        root,
        "--skip",
        "flux",
        HUBFLEET_CHART_MIRROR=tampered_mirror(tmp_path),
        HUBFLEET_CHART_CACHE=str(cache),
    )
    assert result.exit_code == 1
    locked = next(line for line in (root / "charts.lock").read_text().splitlines()[-20:] if "sha256" in line)
    assert locked  # the lock is what the package is checked against
    [finding] = [line for line in without_stale(result) if "cluster-autoscaler" in line]
    tampered = hashlib.sha256(
        (reference_charts() / "cluster-autoscaler-9.59.0.tgz").read_bytes() + b"\0tampered"
    ).hexdigest()
    assert finding.startswith(
        f"{AUTOSCALER}:2: HelmRelease/cluster-autoscaler: cluster-autoscaler 9.59.0 from {LOCKED}: the downloaded "
        f"package has sha256 {tampered}, but charts.lock says "
    )
    assert finding.endswith(
        "; refusing it (a changed upstream package or a tampered mirror; if the change is expected, run "
        "`hubfleet charts lock`)"
    )
    cached = {p.name for p in (cache / "sha256").iterdir()}
    assert f"{tampered}.tgz" not in cached and len(cached) == 8  # the eight good packages


def test_a_version_the_repository_does_not_have(root: Path, tmp_path: Path) -> None:
    lock = root / "charts.lock"
    lock.write_text(lock.read_text().replace('version: "9.59.0"', 'version: "9.99.0"'))
    edit(root / AUTOSCALER, 'version: "9.59.0"', 'version: "9.99.0"')
    result = validate(root, "--skip", "flux", HUBFLEET_CHART_CACHE=str(tmp_path / "cache"))
    [finding] = [line for line in without_stale(result) if "9.99.0" in line]
    assert finding.startswith(
        f"{AUTOSCALER}:2: HelmRelease/cluster-autoscaler: cluster-autoscaler 9.99.0 from {LOCKED}: no such version "
        "in http://127.0.0.1:"
    )
    assert finding.endswith("/index.yaml (it has: 9.59.0)")


def test_a_chart_missing_from_the_lock(root: Path) -> None:
    lock = root / "charts.lock"
    lines = lock.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if "chart: cluster-autoscaler" in line)
    lock.write_text("".join(lines[:start] + lines[start + 4 :]))
    result = validate(root, "--skip", "flux")
    assert without_stale(result) == [
        f"{AUTOSCALER}:2: HelmRelease/cluster-autoscaler: chart cluster-autoscaler 9.59.0 from {LOCKED} is not in "
        "charts.lock; run `hubfleet charts lock` and commit it"
    ]


def test_offline_with_an_empty_cache_reports_the_charts_once(root: Path, tmp_path: Path) -> None:
    """11 releases (6 cluster ones, Prometheus and Grafana, 3 JupyterHubs) of 9 charts: one finding."""
    cache = tmp_path / "empty"
    result = validate(root, "--skip", "flux", "--offline", HUBFLEET_CHART_CACHE=str(cache))
    assert result.exit_code == 1
    missing = [line for line in without_stale(result) if "--offline forbids fetching it" in line]
    assert missing == [
        "charts.lock: 9 chart packages could not be had (cluster-autoscaler 9.59.0, crd.projectcalico.org.v1 "
        "v3.32.1, csi-driver-nfs 4.12.1, grafana 12.11.1, jupyterhub 4.4.0, nginx-ingress 2.6.4, prometheus "
        "29.27.0, sealed-secrets 2.18.5, tigera-operator v3.32.1), "
        "so their releases were not checked: cluster-autoscaler 9.59.0 from https://kubernetes.github.io/autoscaler "
        f"is not in the chart cache {cache} and --offline forbids fetching it; give them a source: set "
        "HUBFLEET_CHART_MIRROR (or --chart-mirror) to a Helm repository that mirrors them; or fetch them once "
        f"where the chart repositories are reachable into the chart cache {cache} (HUBFLEET_CHART_CACHE moves "
        "it) and copy it here; or run with --offline to use the cache only and never the network"
    ]


def test_offline_with_a_warm_cache_passes(root: Path) -> None:
    assert validate(root, "--skip", "flux").exit_code == 0  # warms the session cache
    result = validate(root, "--skip", "flux", "--offline", HUBFLEET_CHART_MIRROR="http://127.0.0.1:9")
    assert result.exit_code == 0, result.output


def test_charts_lock_records_what_the_mirror_serves(root: Path) -> None:
    (root / "charts.lock").unlink()
    result = CliRunner().invoke(main, ["--root", str(root), "charts", "lock"], env=chart_environment())
    assert result.exit_code == 0, result.output
    assert (root / "charts.lock").read_text() == (REPO / "charts.lock").read_text()
    assert result.output.splitlines()[-1] == "wrote charts.lock: commit it"
    again = CliRunner().invoke(main, ["--root", str(root), "charts", "lock"], env=chart_environment())
    assert again.output.splitlines()[-1] == "charts.lock is up to date"


DRIVE = "gitops/hubs/clusterA/datalab/drive.yaml"


def test_a_service_that_selects_no_pod_of_its_release(root: Path) -> None:
    service = root / "gitops/charts/nfs-drive/templates/service.yaml"
    edit(
        service,
        '    {{- include "nfs-drive.selectorLabels" . | nindent 4 }}\n',
        '    {{- include "nfs-drive.selectorLabels" . | nindent 4 }}\n    tier: nfs\n',
    )
    result = validate(root, "--skip", "flux")
    assert (
        f"{DRIVE}:2: HelmRelease/drive: renders Service/drive-nfs whose selector app.kubernetes.io/instance=drive, app.kubernetes.io/name=nfs-drive, tier=nfs matches no pod of this release"
        in findings(result)
    )


def test_a_claim_bound_to_a_volume_nothing_creates(root: Path) -> None:
    claim = root / "gitops/charts/nfs-drive/templates/home-pvc.yaml"
    edit(
        claim,
        '  volumeName: {{ include "nfs-drive.pvName" . }}',
        '  volumeName: {{ include "nfs-drive.pvName" . }}-x',
    )
    result = validate(root, "--skip", "flux")
    assert (
        f"{DRIVE}:2: HelmRelease/drive: renders PersistentVolumeClaim/home bound to PersistentVolume datalab-drive-home-x, which nothing creates"
        in findings(result)
    )


def test_a_claim_asking_for_a_storage_class_that_does_not_exist(root: Path) -> None:
    edit(root / DRIVE, "storageClassName: hubfleet-drive", "storageClassName: hubfleet-driv")
    result = validate(root, "--skip", "flux")
    assert (
        f"{DRIVE}:2: HelmRelease/drive: renders StatefulSet/drive-nfs asking for StorageClass hubfleet-driv, which does not exist (known: gp2, hubfleet-drive)"
        in findings(result)
    )


def test_a_hub_ingress_on_another_host(root: Path) -> None:
    path = root / "gitops/hubs/clusterA/physics101/jupyterhub.yaml"
    edit(path, "        - clustera.hubs.example.org\n", "        - other.example.org\n")
    result = validate(root, "--skip", "flux")
    assert (
        f"gitops/hubs/clusterA/physics101/jupyterhub.yaml:{line_of(path, '    ingress:', exact=True)}: HelmRelease/jupyterhub: "
        "renders Ingress/jupyterhub (minion, other.example.org, paths /physics101/); a hub's Ingress must be a "
        "minion of clustera.hubs.example.org under /physics101/"
    ) in findings(result)


def test_an_expansion_is_reused_only_while_everything_it_read_is_the_same(tmp_path: Path) -> None:
    from hubfleet.validate.expansions import ExpansionCache

    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("name: x\n")
    values = tmp_path / "run1" / "values.json"
    values.parent.mkdir()
    values.write_text('{"a": 1}')
    cache = ExpansionCache(tmp_path / "expansions")
    first = cache.run(["/bin/echo", "template", str(chart), "-f", str(values)], chart, [values])
    assert (first.ok, cache.hits) == (True, 0)
    # The same content under another temporary path: reused, as it was printed the first time.
    moved = tmp_path / "run2" / "values.json"
    moved.parent.mkdir()
    moved.write_text('{"a": 1}')
    again = cache.run(["/bin/echo", "template", str(chart), "-f", str(moved)], chart, [moved])
    assert (again.stdout, cache.hits) == (first.stdout, 1)
    moved.write_text('{"a": 2}')
    cache.run(["/bin/echo", "template", str(chart), "-f", str(moved)], chart, [moved])
    assert cache.hits == 1
    (chart / "Chart.yaml").write_text("name: y\n")
    from hubfleet.validate.expansions import chart_digest

    chart_digest.cache_clear()
    cache.run(["/bin/echo", "template", str(chart), "-f", str(values)], chart, [values])
    assert cache.hits == 1


HUB_RELEASE = "gitops/hubs/clusterA/{hub}/jupyterhub.yaml"


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        pytest.param(
            AUTOSCALER,
            "  values:\n",
            "  valuesFrom:\n    - kind: ConfigMap\n      name: extra\n  values:\n",
            f"{AUTOSCALER}:2: HelmRelease/cluster-autoscaler: spec.valuesFrom[0]: ConfigMap kube-system/extra is "
            "not in the tree (no SealedSecret or Secret of that name in the namespace); helm-controller would fail",
            id="an object the tree does not provide",
        ),
        pytest.param(
            HUB_RELEASE.format(hub="physics101"),
            "      targetPath: hub.config.GitHubOAuthenticator.client_secret\n",
            "",
            f"{HUB_RELEASE.format(hub='physics101')}:2: HelmRelease/jupyterhub: warning: spec.valuesFrom merges "
            "values files from the cluster; only spec.values was templated",
            id="a whole values file from the cluster",
        ),
        pytest.param(
            "gitops/hubs/clusterA/datalab/auth.datalab.sealedsecret.yaml",
            "    admin-password:",
            "    admin-passw0rd:",
            f"{HUB_RELEASE.format(hub='datalab')}:2: HelmRelease/jupyterhub: spec.valuesFrom[1]: Secret "
            "datalab/hubfleet-auth has no key admin-password (it has: admin-passw0rd, user-password); "
            "helm-controller would fail",
            id="a sealed key that is not there",
        ),
    ],
)
def test_values_from_is_resolved_against_the_tree(
    root: Path, file: str, old: str, new: str, expected: str
) -> None:
    edit(root / file, old, new)
    assert expected in validate(root, "--skip", "flux").stdout.splitlines()


def test_a_second_run_reuses_kept_verdicts_and_a_change_is_still_seen(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = validate(root, "--skip", "flux", HUBFLEET_CHART_CACHE=str(cache))
    kept = sorted((cache / "expansions" / "issues").rglob("*.json"))
    assert first.exit_code == 0 and kept
    second = validate(root, "--skip", "flux", HUBFLEET_CHART_CACHE=str(cache))
    assert second.stdout == first.stdout
    assert sorted((cache / "expansions" / "issues").rglob("*.json")) == kept  # nothing new was checked
    edit(
        root / AUTOSCALER,
        "    fullnameOverride: cluster-autoscaler\n",
        "    fullnameOverride: cluster-autoscaler\n    replicaCount: two\n",
    )
    third = validate(root, "--skip", "flux", HUBFLEET_CHART_CACHE=str(cache))
    assert any(
        "spec.replicas: expected a whole number or nothing, found 'two'" in line for line in findings(third)
    )


def test_a_chart_cache_that_cannot_be_written_is_a_finding(root: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be\n")
    result = validate(root, "--skip", "flux", HUBFLEET_CHART_CACHE=str(blocked / "charts"))
    assert result.exit_code == 1
    messages = [line for line in without_stale(result) if "cannot keep it in the chart cache" in line]
    assert len(messages) == 11
    assert messages[0].endswith(
        f"cannot keep it in the chart cache {blocked / 'charts'} (Not a directory); set HUBFLEET_CHART_CACHE to a folder "
        "you can write"
    )


def test_grafanas_minion_path_is_unique_on_its_host(root: Path) -> None:
    """Grafana's Ingress comes from its chart: only the expanded release shows it routing a path."""
    grafana = "gitops/infrastructure/clusterA/monitoring/grafana.yaml"
    hub = "gitops/hubs/clusterA/physics101/jupyterhub.yaml"
    edit(root / grafana, 'path: "/grafana/"', 'path: "/physics101/"')
    result = validate(root, "--skip", "flux")
    [finding] = [line for line in without_stale(result) if "already routed" in line]
    assert finding == (
        f"{grafana}:{line_of(root / grafana, 'ingress:')}: HelmRelease/grafana: path /physics101/ on host "
        "clustera.hubs.example.org is already routed by Ingress physics101/jupyterhub of HelmRelease "
        f"physics101/jupyterhub ({hub}:{line_of(root / hub, '    ingress:', exact=True)})"
    )
