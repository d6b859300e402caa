"""Schema locations with kubeconform's semantics, and the in-process jsonschema backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from hubfleet.core.kubernetes import kube_version
from hubfleet.errors import UsageError
from hubfleet.validate.locations import KUBECONFORM_SUFFIX, render_location, schema_sources
from hubfleet.validate.manifests import Locator, parse_stream
from hubfleet.validate.schemas import JsonSchemaChecker, ValidatorCache
from support.validate import require_schemas, schema_location

K8S = "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
CRD = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"


@pytest.mark.parametrize(
    ("template", "api_version", "kind", "expected"),
    [
        (K8S, "v1", "Namespace", "v1.32.0-standalone-strict/namespace-v1.json"),
        (K8S, "apps/v1", "StatefulSet", "v1.32.0-standalone-strict/statefulset-apps-v1.json"),
        (K8S, "networking.k8s.io/v1", "Ingress", "v1.32.0-standalone-strict/ingress-networking-v1.json"),
        (CRD, "helm.toolkit.fluxcd.io/v2", "HelmRelease", "helm.toolkit.fluxcd.io/helmrelease_v2.json"),
        # kubeconform's Group of a core kind is the version itself
        (CRD, "v1", "Secret", "v1/secret_v1.json"),
    ],
)
def test_templates_render_like_kubeconform(template: str, api_version: str, kind: str, expected: str) -> None:
    assert render_location(template, kind, api_version, "1.32.0") == expected


def test_kubernetes_version_of_a_cluster() -> None:
    assert kube_version("1.32") == "1.32.0"
    assert kube_version("1.32.4") == "1.32.4"


def test_a_folder_without_json_suffix_gets_kubeconforms_layout(tmp_path: Path) -> None:
    sources = schema_sources([str(tmp_path)], Path("/"))
    assert sources.locations == (str(tmp_path) + KUBECONFORM_SUFFIX,)
    assert sources.eksctl_dir is None and sources.values_dir is None


def test_an_upstream_folder_stands_for_its_two_locations(tmp_path: Path) -> None:
    (tmp_path / "k8s-schemas").mkdir()
    sources = schema_sources(["."], tmp_path)
    assert sources.locations == (
        str(tmp_path / "." / "k8s-schemas") + KUBECONFORM_SUFFIX,
        str(
            tmp_path / "." / "crd-schemas" / "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
        ),
    )
    assert sources.eksctl_dir == tmp_path / "." / "eksctl"


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("/x/{{ .Kind }}.json", "--schema-location /x/{{ .Kind }}.json: unknown field .Kind"),
        ("/x/{{ .Group | lower }}.json", "only {{ .Field }} is supported"),
        ("does-not-exist", "--schema-location does-not-exist: no such file or folder"),
    ],
)
def test_bad_locations(location: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as raised:
        schema_sources([location], tmp_path)
    assert message in raised.value.message


@pytest.fixture(scope="module")
def checker() -> JsonSchemaChecker:
    require_schemas()
    return JsonSchemaChecker(schema_sources([str(schema_location())], Path.cwd()), ValidatorCache())


SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: drive-nfs
spec:
  ports:
    - port: "2049"
      protocl: TCP
"""


def test_jsonschema_backend_is_strict(checker: JsonSchemaChecker, tmp_path: Path) -> None:
    (tmp_path / "svc.yaml").write_text(SERVICE)
    stream = parse_stream(SERVICE, "svc.yaml")
    [issues] = checker.check(stream.manifests, "1.32.0")
    assert [str(i) for i in issues] == [
        "spec.ports[0].port: expected a whole number, found '2049'",
        "spec.ports[0].protocl: unknown field (did you mean 'protocol'?)",
    ]
    locator = Locator(tmp_path)
    assert [locator.line(stream.manifests[0], i.field) for i in issues] == [7, 8]


def test_duplicate_keys_are_refused_as_kubeconform_strict_does() -> None:
    stream = parse_stream(
        SERVICE.replace("  name: drive-nfs\n", "  name: drive-nfs\n  name: other\n"), "svc.yaml"
    )
    assert stream.manifests == ()
    assert stream.problems == ((5, "duplicate key 'name'"),)


def test_timestamps_stay_strings() -> None:
    stream = parse_stream("apiVersion: v1\nkind: ConfigMap\ndata:\n  day: 2025-11-10\n", "cm.yaml")
    assert stream.manifests[0].data["data"] == {"day": "2025-11-10"}


def test_missing_kind(checker: JsonSchemaChecker) -> None:
    stream = parse_stream("apiVersion: v1\nmetadata: {name: x}\n", "x.yaml")
    assert [str(i) for i in checker.check(stream.manifests, "1.32.0")[0]] == ["missing 'kind' key"]


def test_a_kind_of_another_kubernetes_version_has_no_schema(checker: JsonSchemaChecker) -> None:
    stream = parse_stream("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n", "ns.yaml")
    [[issue]] = checker.check(stream.manifests, "1.33.0")
    assert issue.missing_schema
    assert issue.message.startswith("no schema for v1 Namespace in any of the 2 schema locations")
