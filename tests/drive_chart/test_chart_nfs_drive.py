"""Tests of the nfs-drive Helm chart (charts/nfs-drive).

The chart is linted and rendered with the project's pinned helm
(.tools/bin/helm); every rendered document is validated against the
Kubernetes 1.32 standalone-strict JSON schemas of the reference folder
(HUBFLEET_UPSTREAM=<path to upstream>).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, validators
from ruamel.yaml import YAML

from conftest import upstream_path
from hubfleet.validate.network_model import matches

Doc = dict[str, Any]

PROJECT_ROOT = Path(__file__).absolute().parents[2]
CHART = PROJECT_ROOT / "charts" / "nfs-drive"
HELM = PROJECT_ROOT / ".tools/bin/helm"
K8S_SCHEMA_SUBDIR = "k8s-schemas/v1.32.0-standalone-strict"

NFS_CSI_DRIVER = "nfs.csi.k8s.io"
NODE_PURPOSE_LABEL = "hub.jupyter.org/node-purpose"
ZONE_LABEL = "topology.kubernetes.io/zone"
KEEP = ("helm.sh/resource-policy", "keep")
EXPECTED_KINDS = Counter(
    {
        "StatefulSet": 1,
        "Service": 1,
        "PodDisruptionBudget": 1,
        "PersistentVolume": 1,
        "PersistentVolumeClaim": 2,  # the data claim and the home claim
        "NetworkPolicy": 1,
    }
)
POD_TEMPLATE_KINDS = frozenset(
    {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}
)


def k8s_schema_dir() -> Path:
    """The standalone-strict schema folder of the reference folder (HUBFLEET_UPSTREAM)."""
    return upstream_path(K8S_SCHEMA_SUBDIR)


# In CI (CI=true) nothing may be skipped: a missing tool fails the tests that need it.
pytestmark = pytest.mark.skipif(
    not HELM.is_file() and not os.environ.get("CI"),
    reason=f"helm not found at {HELM}; run: python3 tool/scripts/install_k8s_tools.py .tools/bin",
)


# --------------------------------------------------------------------------- #
# Value sets: the exact keys the hubfleet renderer passes.


def drive_values(
    *,
    size: str,
    zone: str,
    storage_class: str = "hubfleet-drive",
    node_purpose: str = "core",
    home_claim: str = "home",
    image: tuple[str, str, str] = (
        "docker.io/itsthenetwork/nfs-server-alpine",
        "12",
        "IfNotPresent",
    ),
    requests: tuple[str, str] = ("100m", "256Mi"),
    limits: tuple[str, str] = ("1", "1Gi"),
) -> Doc:
    """A complete values document in the renderer's contract."""
    repository, tag, pull_policy = image
    return {
        "size": size,
        "clients": "10.20.0.0/16",
        "storageClassName": storage_class,
        "zone": zone,
        "nodePurpose": node_purpose,
        "homeClaim": {"name": home_claim},
        "image": {"repository": repository, "tag": tag, "pullPolicy": pull_policy},
        "resources": {
            "requests": {"cpu": requests[0], "memory": requests[1]},
            "limits": {"cpu": limits[0], "memory": limits[1]},
        },
    }


@dataclass(frozen=True)
class Case:
    release: str
    namespace: str
    values: Doc

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.release}"


CASES: tuple[Case, ...] = (
    Case("alpha", "hub-alpha", drive_values(size="40Gi", zone="us-west-2b")),
    Case(
        "physics-lab",
        "physics",
        drive_values(
            size="1Ti",
            zone="eu-central-1c",
            storage_class="hubfleet-drive-physics",
            home_claim="shared-home",
            image=("registry.example.org:5000/mirror/nfs-server-alpine", "12", "Always"),
            requests=("250m", "512Mi"),
            limits=("2", "2Gi"),
        ),
    ),
    Case(
        "course",
        "course-2025",
        drive_values(size="500Mi", zone="ap-southeast-2a", node_purpose="hub-core"),
    ),
)


# --------------------------------------------------------------------------- #
# Helpers.


def run_helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HELM), *args], capture_output=True, text=True, timeout=60, check=False)


def write_values(directory: Path, values: Doc) -> Path:
    path = directory / "values.json"  # JSON is YAML: helm reads it with -f
    path.write_text(json.dumps(values), encoding="utf-8")
    return path


def render(release: str, namespace: str, values_file: Path | None = None) -> list[Doc]:
    args = ["template", release, str(CHART), "--namespace", namespace]
    if values_file is not None:
        args += ["--values", str(values_file)]
    result = run_helm(*args)
    assert result.returncode == 0, result.stderr
    docs = [doc for doc in YAML(typ="safe").load_all(result.stdout) if doc is not None]
    assert all(isinstance(doc, dict) for doc in docs)
    return docs


@dataclass(frozen=True)
class Rendered:
    case: Case
    docs: list[Doc]

    def only(self, kind: str) -> Doc:
        found = [doc for doc in self.docs if doc["kind"] == kind]
        assert len(found) == 1, f"expected one {kind}, got {len(found)}"
        return found[0]

    @property
    def statefulset(self) -> Doc:
        return self.only("StatefulSet")

    @property
    def pod_spec(self) -> Doc:
        spec: Doc = self.statefulset["spec"]["template"]["spec"]
        return spec

    @property
    def pod_labels(self) -> dict[str, str]:
        labels: dict[str, str] = self.statefulset["spec"]["template"]["metadata"]["labels"]
        return labels

    @property
    def service(self) -> Doc:
        return self.only("Service")

    @property
    def pv(self) -> Doc:
        return self.only("PersistentVolume")

    @property
    def home_pvc(self) -> Doc:
        (claim,) = [
            doc for doc in self.docs if doc["kind"] == "PersistentVolumeClaim" and "volumeName" in doc["spec"]
        ]
        return claim

    @property
    def data_pvc(self) -> Doc:
        (claim,) = [
            doc
            for doc in self.docs
            if doc["kind"] == "PersistentVolumeClaim" and "volumeName" not in doc["spec"]
        ]
        return claim


@pytest.fixture(scope="module", params=CASES, ids=lambda case: case.id)
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    case: Case = request.param
    values_file = write_values(tmp_path_factory.mktemp("values"), case.values)
    return Rendered(case, render(case.release, case.namespace, values_file))


def node_matches(node_affinity: Mapping[str, Any], node_labels: Mapping[str, str]) -> bool:
    """Whether a node with these labels satisfies the required node affinity
    (terms are ORed, the expressions of a term ANDed)."""
    required = node_affinity["requiredDuringSchedulingIgnoredDuringExecution"]
    terms: list[Doc] = required["nodeSelectorTerms"]
    return any(matches({"matchExpressions": term.get("matchExpressions", [])}, node_labels) for term in terms)


def iter_pod_specs(docs: list[Doc]) -> Iterator[Doc]:
    for doc in docs:
        kind = doc["kind"]
        if kind == "Pod":
            yield doc["spec"]
        elif kind == "CronJob":
            yield doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        elif kind in POD_TEMPLATE_KINDS:
            yield doc["spec"]["template"]["spec"]


BINARY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity_bytes(quantity: str) -> int:
    """Bytes of a whole-number binary-suffixed quantity such as 40Gi."""
    number, suffix = quantity[:-2], quantity[-2:]
    assert number.isdigit() and suffix in BINARY_SUFFIXES, quantity
    return int(number) * BINARY_SUFFIXES[suffix]


def schema_file_for(doc: Doc) -> Path:
    """kubeconform naming: {kind}[-{group prefix}]-{version}.json."""
    group, _, version = doc["apiVersion"].rpartition("/")
    suffix = f"-{group.split('.')[0]}" if group else ""
    return k8s_schema_dir() / f"{doc['kind'].lower()}{suffix}-{version}.json"


@cache
def load_validator(path: Path) -> Any:
    schema = json.loads(path.read_text(encoding="utf-8"))
    validator_class = validators.validator_for(schema, default=Draft7Validator)
    return validator_class(schema)


# --------------------------------------------------------------------------- #
# Lint and values schema.


def test_lint_strict_passes_with_defaults() -> None:
    result = run_helm("lint", "--strict", str(CHART))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_lint_strict_passes_with_renderer_values(case: Case, tmp_path: Path) -> None:
    values_file = write_values(tmp_path, case.values)
    result = run_helm(
        "lint", "--strict", str(CHART), "--namespace", case.namespace, "--values", str(values_file)
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("flag", "setting", "pointer"),
    [
        ("--set", "size=lots", "/size"),
        ("--set", "size=40GB", "/size"),
        ("--set", "unknownKey=1", ""),
        ("--set", "image.digest=sha256:0123", "/image"),
        ("--set", "homeClaim.name=Home_Dir", "/homeClaim/name"),
        ("--set", "zone=us-west-2", "/zone"),
        ("--set", "image.pullPolicy=Sometimes", "/image/pullPolicy"),
        ("--set-string", "resources.limits.memory=lots", "/resources/limits/memory"),
        ("--set", "resources.limits=null", "/resources"),
    ],
)
def test_lint_strict_rejects_bad_values(flag: str, setting: str, pointer: str) -> None:
    result = run_helm("lint", "--strict", str(CHART), flag, setting)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    # The failure comes from values.schema.json, at the offending key.
    assert f"[ERROR] values.yaml: - at '{pointer}'" in output, output


def test_values_schema_is_strict_draft7_and_documented() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    Draft7Validator.check_schema(schema)

    def walk(node: Doc, where: str) -> None:
        assert node.get("description"), f"{where} has no description"
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, f"{where} allows unknown keys"
        for name, child in node.get("properties", {}).items():
            walk(child, f"{where}.{name}")

    walk(schema, "values")
    for name, definition in schema.get("definitions", {}).items():
        walk(definition, f"definitions.{name}")

    defaults = YAML(typ="safe").load((CHART / "values.yaml").read_text(encoding="utf-8"))
    assert list(Draft7Validator(schema).iter_errors(defaults)) == []
    assert set(schema["required"]) == set(defaults) == set(drive_values(size="1Gi", zone="x"))


# --------------------------------------------------------------------------- #
# Rendered documents.


def test_documents_validate_against_k8s_schemas(rendered: Rendered) -> None:
    for doc in rendered.docs:
        path = schema_file_for(doc)
        assert path.is_file(), f"no schema for {doc['apiVersion']} {doc['kind']}: {path}"
        errors = sorted(load_validator(path).iter_errors(doc), key=lambda e: list(e.path))
        messages = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors]
        assert messages == [], f"{doc['kind']} {doc['metadata']['name']}: {messages}"


def test_kinds_are_exactly_as_expected(rendered: Rendered) -> None:
    kinds = Counter(doc["kind"] for doc in rendered.docs)
    assert kinds == EXPECTED_KINDS
    assert "Deployment" not in kinds


def test_names_are_derived_from_release(rendered: Rendered) -> None:
    release, namespace = rendered.case.release, rendered.case.namespace
    for kind in ("StatefulSet", "Service", "PodDisruptionBudget"):
        assert rendered.only(kind)["metadata"]["name"] == f"{release}-nfs"
    assert rendered.statefulset["spec"]["serviceName"] == rendered.service["metadata"]["name"]
    for doc in rendered.docs:
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "nfs-drive"
        assert labels["app.kubernetes.io/instance"] == release
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"].startswith("nfs-drive-")
        if doc["kind"] == "PersistentVolume":
            assert "namespace" not in doc["metadata"]
        else:
            assert doc["metadata"]["namespace"] == namespace


def test_statefulset_is_one_replica_and_retains_claims(rendered: Rendered) -> None:
    spec = rendered.statefulset["spec"]
    assert spec["replicas"] == 1
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    assert matches(spec["selector"], rendered.pod_labels)


def test_pdb_and_service_select_the_nfs_pod(rendered: Rendered) -> None:
    pod_labels = rendered.pod_labels
    pdb = rendered.only("PodDisruptionBudget")
    selector = pdb["spec"]["selector"]
    assert selector.get("matchLabels"), "an empty PDB selector is a trap: keep it explicit"
    missing = {key: value for key, value in selector["matchLabels"].items() if pod_labels.get(key) != value}
    assert missing == {}, f"PDB matchLabels not on the pod template: {missing}"
    assert matches(selector, pod_labels)
    # One planned eviction (a node-group replacement drains it) and no more; never minAvailable 1 on
    # one replica, which would hang every drain of the node that holds the drive.
    assert (pdb["spec"]["maxUnavailable"], "minAvailable" in pdb["spec"]) == (1, False)
    assert pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    service_selector = rendered.service["spec"]["selector"]
    assert matches({"matchLabels": service_selector}, pod_labels)
    # The selector must not depend on the chart version, or an upgrade orphans the pod.
    assert "helm.sh/chart" not in selector["matchLabels"]
    assert "helm.sh/chart" not in pod_labels


def test_the_autoscaler_never_moves_the_drive(rendered: Rendered) -> None:
    annotations = rendered.statefulset["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}


def test_a_chart_change_comes_with_a_version_bump() -> None:
    """Drive releases reconcile on the chart version: files changed under an old version never deploy."""
    sys.path.insert(0, str(PROJECT_ROOT / "tool" / "scripts"))
    from chart_digest import RECORD, current

    recorded = json.loads(RECORD.read_text())
    for chart, now in current().items():
        before = recorded.get(chart, {})
        if now["version"] == before.get("version"):
            assert now["digest"] == before["digest"], (
                f"charts/{chart} changed but its version is still {now['version']}: bump `version` in "
                "Chart.yaml, then run `.venv/bin/python tool/scripts/chart_digest.py --write`"
            )
        else:
            pytest.fail(
                f"charts/{chart} is version {now['version']}, recorded {before.get('version')}: run "
                "`.venv/bin/python tool/scripts/chart_digest.py --write` and commit the record"
            )


def test_data_claim_template_is_kept(rendered: Rendered) -> None:
    values = rendered.case.values
    templates = rendered.statefulset["spec"]["volumeClaimTemplates"]
    assert len(templates) == 1
    template = templates[0]
    assert template["metadata"]["annotations"][KEEP[0]] == KEEP[1]
    # volumeClaimTemplates are immutable: no label that changes with the chart version.
    assert "helm.sh/chart" not in template["metadata"].get("labels", {})
    assert template["spec"]["storageClassName"] == values["storageClassName"]
    assert template["spec"]["resources"]["requests"]["storage"] == values["size"]
    assert template["spec"]["accessModes"] == ["ReadWriteOnce"]
    mounts = {
        mount["name"]: mount["mountPath"]
        for container in rendered.pod_spec["containers"]
        for mount in container.get("volumeMounts", [])
    }
    assert mounts == {template["metadata"]["name"]: "/exports", "start": "/hubfleet"}


def test_the_data_claim_is_helms_and_follows_size(rendered: Rendered) -> None:
    """Raising `size` grows the drive: Helm owns the data claim (the name the StatefulSet would give
    it), so its request follows `size`; the immutable template keeps its first request (with no
    cluster to look it up in, `helm template` shows `size`)."""
    values, claim = rendered.case.values, rendered.data_pvc
    template = rendered.statefulset["spec"]["volumeClaimTemplates"][0]
    assert (
        claim["metadata"]["name"]
        == f"{template['metadata']['name']}-{rendered.statefulset['metadata']['name']}-0"
    )
    assert claim["metadata"]["annotations"][KEEP[0]] == KEEP[1]
    assert claim["spec"]["resources"]["requests"]["storage"] == values["size"]
    assert (claim["spec"]["storageClassName"], claim["spec"]["accessModes"]) == (
        template["spec"]["storageClassName"],
        template["spec"]["accessModes"],
    )
    source = (CHART / "templates" / "statefulset.yaml").read_text()
    assert 'lookup "apps/v1" "StatefulSet" .Release.Namespace' in source


def test_home_pv_points_at_the_nfs_service(rendered: Rendered) -> None:
    case, pv, service = rendered.case, rendered.pv, rendered.service
    assert pv["metadata"]["name"] == f"{case.namespace}-{case.release}-home"
    assert pv["metadata"]["annotations"][KEEP[0]] == KEEP[1]
    spec = pv["spec"]
    assert spec["persistentVolumeReclaimPolicy"] == "Retain"
    assert spec["accessModes"] == ["ReadWriteMany"]
    assert spec["storageClassName"] == ""
    assert spec["capacity"]["storage"] == case.values["size"]
    assert "nfsvers=4.1" in spec["mountOptions"]
    assert "nfs" not in spec, "in-tree NFS volumes cannot resolve the Service DNS name"
    csi = spec["csi"]
    assert csi["driver"] == NFS_CSI_DRIVER
    assert csi["volumeHandle"] == pv["metadata"]["name"]
    service_dns = f"{service['metadata']['name']}.{service['metadata']['namespace']}.svc.cluster.local"
    assert csi["volumeAttributes"] == {"server": service_dns, "share": "/"}
    assert spec["claimRef"]["name"] == case.values["homeClaim"]["name"]
    assert spec["claimRef"]["namespace"] == case.namespace


def test_home_pvc_is_bound_to_the_pv_by_name(rendered: Rendered) -> None:
    case, pvc, pv = rendered.case, rendered.home_pvc, rendered.pv
    assert pvc["metadata"]["name"] == case.values["homeClaim"]["name"]
    assert pvc["metadata"]["namespace"] == case.namespace
    assert pvc["metadata"]["annotations"][KEEP[0]] == KEEP[1]
    spec = pvc["spec"]
    assert spec["volumeName"] == pv["metadata"]["name"]
    assert spec["storageClassName"] == "", "without it the default StorageClass provisions"
    assert spec["accessModes"] == ["ReadWriteMany"]
    request = quantity_bytes(spec["resources"]["requests"]["storage"])
    assert request <= quantity_bytes(pv["spec"]["capacity"]["storage"]), "the claim cannot bind"


def test_home_pvc_does_not_change_with_size(tmp_path: Path) -> None:
    """A statically bound claim cannot change its request: resizing the drive
    must leave the home claim untouched, or the Helm upgrade fails."""
    claims = []
    for size in ("10Gi", "2Ti"):
        values_file = write_values(tmp_path, drive_values(size=size, zone="us-west-2a"))
        docs = render("alpha", "hub-alpha", values_file)
        claims.append(
            next(d for d in docs if d["kind"] == "PersistentVolumeClaim" and "volumeName" in d["spec"])
        )
        pv = next(doc for doc in docs if doc["kind"] == "PersistentVolume")
        assert pv["spec"]["capacity"]["storage"] == size
    assert claims[0] == claims[1]


def test_service_exposes_nfs_on_2049(rendered: Rendered) -> None:
    spec = rendered.service["spec"]
    assert spec["type"] == "ClusterIP"
    assert "clusterIP" not in spec, "a headless Service would change address on reschedule"
    (port,) = spec["ports"]
    assert (port["port"], port["protocol"]) == (2049, "TCP")
    (container,) = rendered.pod_spec["containers"]
    named_ports = {p["name"]: (p["containerPort"], p["protocol"]) for p in container["ports"]}
    assert named_ports[port["targetPort"]] == (2049, "TCP")


def test_node_affinity_requires_core_zone_and_purpose(rendered: Rendered) -> None:
    values = rendered.case.values
    pod_spec = rendered.pod_spec
    affinity = pod_spec["affinity"]["nodeAffinity"]
    good = {NODE_PURPOSE_LABEL: values["nodePurpose"], ZONE_LABEL: values["zone"]}
    assert node_matches(affinity, good)
    assert node_matches(affinity, {**good, "kubernetes.io/os": "linux"})
    assert not node_matches(affinity, {**good, ZONE_LABEL: "zz-nowhere-9z"})
    assert not node_matches(affinity, {**good, NODE_PURPOSE_LABEL: "user"})
    assert not node_matches(affinity, {ZONE_LABEL: values["zone"]})
    assert not node_matches(affinity, {NODE_PURPOSE_LABEL: values["nodePurpose"]})
    assert "tolerations" not in pod_spec


def test_only_container_is_the_nfs_server(rendered: Rendered) -> None:
    values = rendered.case.values
    pod_specs = list(iter_pod_specs(rendered.docs))
    assert len(pod_specs) == 1
    (pod_spec,) = pod_specs
    assert "initContainers" not in pod_spec
    assert "ephemeralContainers" not in pod_spec
    (container,) = pod_spec["containers"]
    assert container["name"] == "nfs-server"
    image = values["image"]
    assert container["image"] == f"{image['repository']}:{image['tag']}"
    assert container["imagePullPolicy"] == image["pullPolicy"]
    assert container["resources"] == values["resources"]
    # Liveness: the NFS port answers. Readiness (the restricted export) is tested on its own.
    assert container["livenessProbe"]["tcpSocket"]["port"] in ("nfs", 2049)
    assert pod_spec.get("hostNetwork") is not True
    assert all("hostPath" not in volume for volume in pod_spec.get("volumes", []))


def test_pv_name_is_unique_per_namespace(tmp_path: Path) -> None:
    values_file = write_values(tmp_path, drive_values(size="10Gi", zone="us-west-2a"))
    pvs = [
        next(doc for doc in render("alpha", namespace, values_file) if doc["kind"] == "PersistentVolume")
        for namespace in ("team-a", "team-b")
    ]
    names = {pv["metadata"]["name"] for pv in pvs}
    handles = {pv["spec"]["csi"]["volumeHandle"] for pv in pvs}
    assert len(names) == len(handles) == 2


def test_release_name_must_start_with_a_letter() -> None:
    result = run_helm("template", "1hub", str(CHART))
    assert result.returncode != 0
    assert "must start with a lowercase letter" in result.stderr


def test_only_nfs_from_the_vpc_reaches_the_server(rendered: Rendered) -> None:
    policy = rendered.only("NetworkPolicy")
    spec = policy["spec"]
    assert matches(spec["podSelector"], rendered.pod_labels)
    assert spec["policyTypes"] == ["Ingress"]
    assert spec["ingress"] == [
        {
            "from": [{"ipBlock": {"cidr": rendered.case.values["clients"]}}],
            "ports": [{"protocol": "TCP", "port": 2049}],
        }
    ]


def test_the_export_is_secure_and_squashed_or_the_server_does_not_start(rendered: Rendered) -> None:
    (server,) = rendered.pod_spec["containers"]
    assert server["command"] == ["/bin/sh", "-c"]
    (script,) = server["args"]
    template = "fsid=0,{{SYNC}},no_subtree_check,no_auth_nlm,insecure,no_root_squash"
    # Fail closed: without the image's export template (in its script or in /etc/exports), no start.
    assert script.startswith(
        f"template='{template}' && grep -qsF \"$template\" /usr/bin/nfsd.sh /etc/exports && "
    )
    rewrite = "s/insecure,no_root_squash/secure,all_squash,anonuid=1000,anongid=100/g"
    assert script.count(rewrite) == 2  # the script's copy, and /etc/exports in place
    assert script.endswith("exec /bin/bash /hubfleet/nfsd.sh")
    env = {item["name"]: item["value"] for item in server["env"]}
    # The image substitutes PERMITTED into a sed expression unescaped.
    assert env["PERMITTED"] == rendered.case.values["clients"].replace("/", "\\/")
    assert {"name": "start", "mountPath": "/hubfleet"} in server["volumeMounts"]
    # Never ready (so never in the Service) while the export in force is insecure.
    probe = server["readinessProbe"]["exec"]["command"][-1]
    assert (
        probe
        == "pidof rpc.mountd >/dev/null && grep -q all_squash /etc/exports && ! grep -q insecure /etc/exports"
    )
