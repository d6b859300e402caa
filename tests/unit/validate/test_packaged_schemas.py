"""The schemas hubfleet ships are the upstream ones: checked against the reference folder's copies,
which were derived independently (see its README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import CALICO_CRD_CHART, calico_schemas, require, upstream_path
from hubfleet.validate.crds import crd_schemas
from hubfleet.validate.packaged import known_versions, package_data
from support.validate import schema_location

SHIPPED = sorted((package_data() / "crd-schemas").rglob("*.json"))


def without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [without_descriptions(item) for item in node]
    return node


@pytest.mark.parametrize("shipped", SHIPPED, ids=lambda p: p.name)
def test_each_shipped_crd_schema_is_the_reference_one(shipped: Path) -> None:
    """Flux and SealedSecret against the reference folder's converted copies; Calico's against its
    CRD in the reference folder's Calico CRD chart (the reference has no converted copy)."""
    relative = shipped.relative_to(package_data() / "crd-schemas")
    if relative.parts[0] == "crd.projectcalico.org":
        require(
            upstream_path("charts", CALICO_CRD_CHART).is_file(), "the reference Calico CRD chart is missing"
        )
        (kind,) = [k for (g, k, v) in calico_schemas() if f"{k.lower()}_{v}.json" == relative.name]
        version = relative.stem.rsplit("_", 1)[1]
        reference = without_descriptions(calico_schemas()[(relative.parts[0], kind, version)])
        assert json.loads(shipped.read_text()) == reference
        return
    reference_file = schema_location() / "crd-schemas" / relative
    require(reference_file.is_file(), f"reference schema missing: {reference_file}")
    assert json.loads(shipped.read_text()) == without_descriptions(json.loads(reference_file.read_text()))


def test_the_flux_sealed_secrets_and_calico_kinds_are_all_shipped() -> None:
    assert [p.relative_to(package_data() / "crd-schemas").as_posix() for p in SHIPPED] == [
        "bitnami.com/sealedsecret_v1alpha1.json",
        "crd.projectcalico.org/globalnetworkpolicy_v1.json",
        "helm.toolkit.fluxcd.io/helmrelease_v2.json",
        "kustomize.toolkit.fluxcd.io/kustomization_v1.json",
        "source.toolkit.fluxcd.io/gitrepository_v1.json",
        "source.toolkit.fluxcd.io/helmrepository_v1.json",
        "source.toolkit.fluxcd.io/ocirepository_v1.json",
    ]


def test_the_shipped_eksctl_schema_is_the_reference_one() -> None:
    reference = schema_location() / "eksctl" / "clusterconfig-v1alpha5.schema.json"
    require(reference.is_file(), f"reference schema missing: {reference}")
    shipped = package_data() / "eksctl" / "clusterconfig-v1alpha5.schema.json"
    assert json.loads(shipped.read_text()) == without_descriptions(json.loads(reference.read_text()))


def test_a_crd_gives_one_strict_schema_per_served_version() -> None:
    crd = {
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": "example.org",
            "names": {"kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {"size": {"x-kubernetes-int-or-string": True}},
                                },
                                "status": {
                                    "type": "object",
                                    "nullable": True,
                                    "x-kubernetes-preserve-unknown-fields": True,
                                    "properties": {"a": {"type": "string"}},
                                },
                            },
                        }
                    },
                },
                {"name": "v0", "served": False},
            ],
        },
    }
    assert crd_schemas(crd) == {
        ("example.org", "Widget", "v1"): {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "spec": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "size": {
                            "x-kubernetes-int-or-string": True,
                            "oneOf": [{"type": "string"}, {"type": "integer"}],
                        }
                    },
                },
                "status": {
                    "type": ["object", "null"],
                    "nullable": True,
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"a": {"type": "string"}},
                },
                "apiVersion": {"type": "string", "enum": ["example.org/v1"]},
                "kind": {"type": "string", "enum": ["Widget"]},
                "metadata": {"type": "object"},
            },
        }
    }


def test_every_kubernetes_version_the_input_allows_has_schemas() -> None:
    allowed = [f"1.{minor}" for minor in range(30, 36)]  # the cluster schema's kubernetesVersion pattern
    assert set(allowed) <= set(known_versions())


def test_standalone_schemas_find_exactly_what_the_referencing_ones_find(tmp_path: Path) -> None:
    """Copying the definitions in (for speed) changes no verdict, recursive CRD schemas included."""
    from jsonschema import Draft202012Validator

    from hubfleet.validate.packaged import kubernetes_schemas, registry_for, standalone, with_identity
    from hubfleet.validate.schemas import schema_issues

    folder = kubernetes_schemas() / "v1.32.0-local-strict"
    cases = {
        "deployment-apps-v1.json": [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "a"},
                "spec": {
                    "selector": {"matchLabels": {"a": "b"}},
                    "template": {
                        "metadata": {"labels": {"a": "b"}},
                        "spec": {
                            "containers": [{"name": "c", "image": "x:1", "ports": [{"containerPort": "80"}]}]
                        },
                    },
                    "replicas": "two",
                    "unknown": 1,
                },
            },
        ],
        "customresourcedefinition-apiextensions-v1.json": [
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": "a"},
                "spec": {
                    "group": "g",
                    "names": {"kind": "K", "plural": "ks"},
                    "scope": "Namespaced",
                    "versions": [
                        {
                            "name": "v1",
                            "served": True,
                            "storage": True,
                            "schema": {
                                "openAPIV3Schema": {
                                    "type": "object",
                                    "properties": {"x": {"type": "object", "properties": {"y": {"typo": 1}}}},
                                }
                            },
                        }
                    ],
                },
            },
        ],
    }
    for name, objects in cases.items():
        path = folder / name
        original = json.loads(path.read_text())
        referencing = Draft202012Validator(with_identity(original, path), registry=registry_for(folder))
        copied = Draft202012Validator(
            with_identity(standalone(original, folder), path), registry=registry_for(folder)
        )
        for instance in objects:
            found = schema_issues(copied, instance)
            assert found == schema_issues(referencing, instance)
            assert found  # each case is broken somewhere
