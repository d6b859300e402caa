"""The one helm runner (upstream/helm.py): plan expands a HelmRelease as helm-controller installs it,
the same way validate does: release name and namespace from targetNamespace, the chart's CRDs, and
spec.postRenderers applied. Runs the real helm and kubectl from `make tools`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from hubfleet.planning.expansion import Expander, Side, reads_back_statefulsets
from hubfleet.system.programs import find_tool
from hubfleet.upstream.cache import ChartSource
from hubfleet.upstream.helm import placement

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: probe\nversion: 0.1.0\n",
    "crds/widgets.yaml": (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata:\n  name: widgets.example.org\n"
        "spec:\n  group: example.org\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n"
        "  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n"
    ),
    "templates/config.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
        "  namespace: {{ .Release.Namespace }}\ndata:\n  size: {{ .Values.size | quote }}\n"
    ),
}


def release(**spec: Any) -> dict[str, Any]:
    chart = {"chart": "./gitops/charts/probe", "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "drive", "namespace": "flux-system"},
        "spec": {"chart": {"spec": chart}, "values": {"size": "10Gi"}, **spec},
    }


@pytest.fixture
def expander(tmp_path: Path) -> tuple[Expander, Side, list[str]]:
    helm, kubectl = find_tool("helm", REPO), find_tool("kubectl", REPO)
    if helm is None or kubectl is None:
        pytest.skip("helm and kubectl are not installed: run `make tools`")
    charts = tmp_path / "charts"
    for name, text in CHART.items():
        (charts / "probe" / name).parent.mkdir(parents=True, exist_ok=True)
        (charts / "probe" / name).write_text(text)
    notes: list[str] = []
    work = tmp_path / "work"
    work.mkdir()
    side = Side(charts, tmp_path / "charts.lock", {"campus": "1.33"})
    return Expander(helm, ChartSource(tmp_path / "cache", None, True), work, notes, kubectl), side, notes


def identities(documents: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted((d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]) for d in documents)


def test_plan_names_and_places_a_release_as_helm_controller_does(
    expander: tuple[Expander, Side, list[str]],
) -> None:
    run, side, notes = expander
    found = run.expand(side, "campus", release(targetNamespace="course"))
    assert found is not None, notes
    assert identities(found.documents) == [
        ("ConfigMap", "course", "course-drive"),
        ("CustomResourceDefinition", "course", "widgets.example.org"),
    ]
    named = run.expand(side, "campus", release(targetNamespace="course", releaseName="home"))
    assert named is not None, notes
    assert ("ConfigMap", "course", "home") in identities(named.documents)


def test_plan_applies_post_renderers(expander: tuple[Expander, Side, list[str]]) -> None:
    run, side, notes = expander
    patch = {"patch": '[{"op": "replace", "path": "/data/size", "value": "20Gi"}]',
             "target": {"kind": "ConfigMap"}}  # fmt: skip
    found = run.expand(side, "campus", release(postRenderers=[{"kustomize": {"patches": [patch]}}]))
    assert found is not None, notes
    [config] = [d for d in found.documents if d["kind"] == "ConfigMap"]
    assert config["data"] == {"size": "20Gi"}


def test_validate_places_a_release_by_the_same_rule() -> None:
    assert placement({"targetNamespace": "course"}, "drive", "flux-system") == placement(
        {"targetNamespace": "course", "releaseName": "course-drive"}, "x", "y"
    )
    assert placement({}, "drive", "flux-system").release_name == "drive"


def test_a_subcharts_lookup_counts_as_reading_back(tmp_path: Path) -> None:
    """chart_files reads a package and a folder alike, subcharts included (charts/<sub>/templates/)."""
    chart = tmp_path / "outer"
    (chart / "charts/inner/templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: outer\nversion: 0.1.0\n")
    (chart / "charts/inner/templates/sts.yaml").write_text('{{ lookup "apps/v1" "StatefulSet" "ns" "x" }}\n')
    assert reads_back_statefulsets(chart)
    (chart / "charts/inner/templates/sts.yaml").write_text("kind: StatefulSet\n")
    assert not reads_back_statefulsets(chart)
