"""Every rendered manifest is valid against the upstream schemas, and the pieces fit together."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft201909Validator

from conftest import load_docs, manifest_files, schema_errors


def manifests(root: Path) -> list[tuple[str, dict[str, Any]]]:
    gitops = root / "gitops"
    return [
        (path.relative_to(gitops).as_posix(), doc)
        for path in manifest_files(gitops)
        if path.parts[-2:-1] != ("eksctl",)
        for doc in load_docs(path)
        if doc.get("kind") != "Kustomization" or doc.get("apiVersion", "").startswith("kustomize.toolkit")
    ]


def releases(root: Path, chart: str) -> list[dict[str, Any]]:
    return [
        d
        for _, d in manifests(root)
        if d["kind"] == "HelmRelease" and d["spec"]["chart"]["spec"]["chart"] == chart
    ]


def test_every_manifest_matches_its_upstream_schema(rendered: Path, upstream: Path) -> None:
    docs = manifests(rendered)
    kinds = {doc["kind"] for _, doc in docs}
    assert {"HelmRelease", "HelmRepository", "Kustomization", "Namespace", "StorageClass", "Ingress"} <= kinds
    failures = {f"{path} {doc['kind']}/{doc['metadata']['name']}": schema_errors(doc) for path, doc in docs}
    assert {k: v for k, v in failures.items() if v} == {}


def test_an_unknown_field_is_caught_by_the_same_check(rendered: Path, upstream: Path) -> None:
    doc = next(d for _, d in manifests(rendered) if d["kind"] == "HelmRelease")
    doc["spec"]["chartt"] = {}
    assert schema_errors(doc)


def values_errors(values: dict[str, Any], schema_file: Path) -> list[str]:
    schema = json.loads(schema_file.read_text())
    cls = Draft201909Validator if "2019-09" in schema.get("$schema", "") else Draft7Validator
    # Chart schemas describe merged values; our overrides alone lack the chart defaults' required keys.
    return [e.message for e in cls(schema).iter_errors(values) if e.validator != "required"]


def test_jupyterhub_values_match_the_chart_schema(rendered: Path, upstream: Path) -> None:
    found = releases(rendered, "jupyterhub")
    assert len(found) == 3
    schema = upstream / "chart-values-schemas" / "jupyterhub-4.4.0.schema.json"
    for release in found:
        assert values_errors(release["spec"]["values"], schema) == []
    broken = {**found[0]["spec"]["values"], "singleuser": {"storage": {"type": "nfs"}}}
    assert values_errors(broken, schema)


def test_nginx_ingress_values_match_the_chart_schema(rendered: Path, upstream: Path) -> None:
    (release,) = releases(rendered, "nginx-ingress")
    schema = upstream / "chart-values-schemas" / "nginx-ingress-2.6.4.resolved.schema.json"
    assert values_errors(release["spec"]["values"], schema) == []
    controller = release["spec"]["values"]["controller"]
    assert controller["ingressClass"]["name"] == "nginx"
    assert controller["config"]["entries"]["client-max-body-size"] == "2G"
    assert controller["defaultTLS"]["secret"] == "nginx-ingress/clustera-tls"
    assert controller["service"]["type"] == "LoadBalancer"


def test_one_master_per_host_and_unique_minion_paths_without_tls(rendered: Path) -> None:
    docs = [d for _, d in manifests(rendered)]
    masters = [d for d in docs if d["kind"] == "Ingress"]
    assert len(masters) == 1
    master = masters[0]
    assert master["metadata"]["annotations"]["nginx.org/mergeable-ingress-type"] == "master"
    assert master["spec"]["tls"] == [{"hosts": ["clustera.hubs.example.org"], "secretName": "clustera-tls"}]
    assert "http" not in master["spec"]["rules"][0]
    minions = [r["spec"]["values"] for r in releases(rendered, "jupyterhub")]
    paths = [values["hub"]["baseUrl"] for values in minions]
    assert sorted(paths) == ["/bio150/", "/datalab/", "/physics101/"]
    for values in minions:
        ingress = values["ingress"]
        assert ingress["annotations"]["nginx.org/mergeable-ingress-type"] == "minion"
        assert ingress["hosts"] == master["spec"]["rules"][0]["host"].split()
        assert ingress["tls"] == []
        assert ingress["ingressClassName"] == master["spec"]["ingressClassName"]


def test_autoscaler_release(rendered: Path) -> None:
    (release,) = releases(rendered, "cluster-autoscaler")
    values = release["spec"]["values"]
    assert release["metadata"]["namespace"] == "kube-system"
    assert values["autoDiscovery"] == {
        "clusterName": "clusterA",
        "tags": [
            "k8s.io/cluster-autoscaler/enabled",
            "k8s.io/cluster-autoscaler/clusterA",
            "hubfleet.io/generation=1.35",
        ],
    }
    assert values["awsRegion"] == "us-west-2"
    assert values["extraArgs"] == {
        "expander": "least-waste",
        "balance-similar-node-groups": True,
        "skip-nodes-with-local-storage": False,
        "skip-nodes-with-system-pods": False,
    }
    assert values["nodeSelector"] == {"nodegroup-role": "clustertools"}
    role = values["rbac"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role == "arn:aws:iam::111122223333:role/clusterA-cluster-autoscaler"


def test_drive_storage_class_keeps_data_in_the_core_zone(rendered: Path) -> None:
    (storage,) = [d for _, d in manifests(rendered) if d["kind"] == "StorageClass"]
    assert storage["provisioner"] == "ebs.csi.aws.com"
    assert storage["reclaimPolicy"] == "Retain"
    assert storage["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage["allowVolumeExpansion"] is True
    assert storage["allowedTopologies"] == [
        {"matchLabelExpressions": [{"key": "topology.kubernetes.io/zone", "values": ["us-west-2b"]}]}
    ]


def test_flux_layers_depend_on_each_other(rendered: Path) -> None:
    entry = rendered / "gitops/clusters/clusterA"
    kustomizations = {
        d["metadata"]["name"]: d["spec"]
        for f in ("infrastructure.yaml", "hubs.yaml")
        for d in load_docs(entry / f)
    }
    assert kustomizations["infra-controllers"]["path"] == "./gitops/infrastructure/clusterA/controllers"
    assert kustomizations["infra-configs"]["dependsOn"] == [{"name": "infra-controllers"}]
    assert kustomizations["infra-ingress"]["dependsOn"] == [{"name": "infra-configs"}]
    assert kustomizations["hubs"]["dependsOn"] == [{"name": "infra-ingress"}]
    assert kustomizations["hubs"]["path"] == "./gitops/hubs/clusterA"
    for spec in kustomizations.values():
        assert spec["prune"] is True
        assert {"interval", "retryInterval", "timeout", "wait", "sourceRef"} <= set(spec)
    (listing,) = load_docs(entry / "kustomization.yaml")
    assert listing["resources"] == ["flux-system", "hubs.yaml", "infrastructure.yaml"]


@pytest.mark.parametrize("hub", ["physics101", "datalab", "chem200-2025"])
def test_each_hub_has_a_namespace_and_a_drive_that_flux_never_prunes(rendered: Path, hub: str) -> None:
    folder = rendered / "gitops/hubs/clusterA" / hub
    (namespace,) = load_docs(folder / "namespace.yaml")
    (drive,) = load_docs(folder / "drive.yaml")
    for obj in (namespace, drive):
        assert obj["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/prune"] == "disabled"
    assert drive["spec"]["chart"]["spec"]["sourceRef"] == {
        "kind": "GitRepository",
        "name": "flux-system",
        "namespace": "flux-system",
    }
    assert drive["spec"]["chart"]["spec"]["chart"] == "./gitops/charts/nfs-drive"
    assert drive["spec"]["values"]["zone"] == "us-west-2b"


def test_a_retired_hub_keeps_its_drive_and_loses_its_hub(rendered: Path) -> None:
    folder = rendered / "gitops/hubs/clusterA/chem200-2025"
    assert sorted(p.name for p in folder.iterdir()) == ["drive.yaml", "kustomization.yaml", "namespace.yaml"]
    (listing,) = load_docs(folder / "kustomization.yaml")
    assert listing["resources"] == ["drive.yaml", "namespace.yaml"]


def test_jupyterhub_waits_for_its_drive_and_mounts_it_per_user(rendered: Path) -> None:
    (release,) = load_docs(rendered / "gitops/hubs/clusterA/physics101/jupyterhub.yaml")
    assert release["spec"]["dependsOn"] == [{"name": "drive"}]
    values = release["spec"]["values"]
    storage = values["singleuser"]["storage"]
    assert storage["static"] == {"pvcName": "home", "subPath": "{username}"}
    (owner,) = values["singleuser"]["initContainers"]
    assert owner["securityContext"]["runAsUser"] == 0
    assert owner["volumeMounts"] == [
        {"name": "home", "mountPath": storage["homeMountPath"], "subPath": "{username}"},
        {"name": "home", "mountPath": "/srv/shared", "subPath": "_shared"},
    ]
    assert "chown 1000:100" in owner["command"][-1]
    assert values["prePuller"]["continuous"] == {"enabled": False}
    assert values["hub"]["config"]["Authenticator"]["admin_users"] == ["prof-lee", "ta-garcia"]
    assert values["hub"]["config"]["JupyterHub"]["authenticator_class"] == "github"
    assert release["spec"]["valuesFrom"] == [
        {
            "kind": "Secret",
            "name": "hubfleet-auth",
            "valuesKey": "client-secret",
            "targetPath": "hub.config.GitHubOAuthenticator.client_secret",
        }
    ]
    assert values["proxy"]["service"]["type"] == "ClusterIP"
    assert values["scheduling"]["userPlaceholder"] == {"enabled": True, "replicas": 5}
    assert values["scheduling"]["corePods"]["nodeAffinity"]["matchNodePurpose"] == "require"
    assert values["cull"]["maxAge"] == 28800
    assert values["singleuser"]["memory"]["guarantee"] == "2G"


def test_secrets_a_controller_needs_at_start_are_applied_in_an_earlier_layer(rendered: Path) -> None:
    """NGINX exits at start-up without its default TLS secret: Flux must apply that secret first."""
    entry = rendered / "gitops/clusters/clusterA"
    layers = {
        d["metadata"]["name"]: d["spec"]
        for f in ("infrastructure.yaml", "hubs.yaml")
        for d in load_docs(entry / f)
    }

    def depth(name: str) -> int:
        return 1 + max((depth(dep["name"]) for dep in layers[name].get("dependsOn", [])), default=0)

    def layer_of(kind: str, name: str) -> str:
        for layer, spec in layers.items():
            folder = rendered / spec["path"]
            for path in folder.rglob("*.yaml"):
                if any(d.get("kind") == kind and d["metadata"]["name"] == name for d in load_docs(path)):
                    return layer
        raise AssertionError(f"{kind}/{name} is in no layer")

    # The committed example seals its TLS secret; a bare test project gets one shaped like it.
    sealed = rendered / "clusters/clusterA/secrets/clustera-tls.sealedsecret.yaml"
    if not sealed.exists():
        sealed.parent.mkdir(exist_ok=True)
        sealed.write_text(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: clustera-tls, namespace: nginx-ingress}\n"
            "spec: {encryptedData: {tls.crt: AgA=, tls.key: AgA=}, template: {type: kubernetes.io/tls}}\n"
        )
        from click.testing import CliRunner

        from hubfleet.cli import main

        assert CliRunner().invoke(main, ["--root", str(rendered), "render", "clusterA"]).exit_code == 0
    nginx = layer_of("HelmRelease", "nginx-ingress")
    secret_ref = releases(rendered, "nginx-ingress")[0]["spec"]["values"]["controller"]["defaultTLS"][
        "secret"
    ]
    secret_layer = layer_of("SealedSecret", secret_ref.split("/")[1])
    assert depth(secret_layer) < depth(nginx)
    assert depth(layer_of("HelmRelease", "sealed-secrets")) < depth(secret_layer)
