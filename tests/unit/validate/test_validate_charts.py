"""helm runs of the charts layer: one run per distinct chart and values, shared across namespaces
only where the probe proves the namespace enters the output as plain text."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from conftest import require
from hubfleet.system.programs import Ran, find_tool, run
from hubfleet.validate.charts import ChartRelease, ChartRuns, probe_namespace
from hubfleet.validate.manifests import Manifest
from support.validate import REPO

VALUES = {"size": "40Gi", "storageClassName": "hubfleet-drive", "zone": "us-west-2b", "nodePurpose": "core"}


class CountingPool(ThreadPoolExecutor):
    """A thread pool that remembers every helm command it was given."""

    def __init__(self) -> None:
        super().__init__(2)
        self.commands: list[list[str]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.commands.append(list(args[0]))
        return super().submit(fn, *args, **kwargs)


@pytest.fixture
def helm() -> str:
    found = find_tool("helm", REPO)
    require(found is not None, "helm not found; run `make tools`")
    assert found is not None
    return found


def release(chart: Path, namespace: str, values: dict[str, Any]) -> ChartRelease:
    manifest = Manifest(f"gitops/hubs/c/{namespace}/drive.yaml", 0, 2, {"kind": "HelmRelease"})
    return ChartRelease(manifest, "./chart", chart, namespace, "drive", values, (), "1.32.0")


def direct(helm: str, chart: Path, namespace: str, values: dict[str, Any], tmp_path: Path) -> Ran:
    path = tmp_path / f"direct-{namespace}.json"
    path.write_text(json.dumps(values))
    return run([helm, "template", "drive", str(chart), "--namespace", namespace, "--kube-version", "1.32.0",
                "--include-crds", "-f", str(path)])  # fmt: skip


def test_namespaces_share_one_run_when_the_probe_proves_it(helm: str, tmp_path: Path) -> None:
    chart = REPO / "charts" / "nfs-drive"
    releases = [release(chart, ns, VALUES) for ns in ("physics101", "datalab", "chem200")]
    releases.append(release(chart, "other", {**VALUES, "size": "10Gi"}))
    with CountingPool() as pool:
        runs = ChartRuns(helm, REPO, pool, tmp_path)
        runs.start_templates(releases)
        outputs = {ns: ran for group in runs.groups for ns, ran in runs._outputs(group).items()}
        namespaces = sorted(
            ns for command in pool.commands for ns in command[command.index("--namespace") + 1 :][:1]
        )
    # one exact run and one probe for the three namespaces with equal values, one run for the other
    assert len(pool.commands) == 3
    probes = [ns for ns in namespaces if ns.startswith("hubfleet-probe-")]
    assert len(probes) == 1 and sorted(set(namespaces) - set(probes)) == ["chem200", "other"]
    for ns in ("physics101", "datalab", "chem200"):
        assert outputs[ns].ok
        assert outputs[ns].stdout == direct(helm, chart, ns, VALUES, tmp_path).stdout


def one_template_chart(folder: Path, expression: str) -> Path:
    """A chart whose one ConfigMap holds `expression` (a template of the namespace) under data.ns."""
    (folder / "templates").mkdir(parents=True)
    (folder / "Chart.yaml").write_text(f"apiVersion: v2\nname: {folder.name}\nversion: 0.1.0\n")
    (folder / "templates" / "cm.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  ns: {{{{ {expression} }}}}\n"
    )
    return folder


def outputs_of(
    helm: str, chart: Path, namespaces: tuple[str, ...], tmp_path: Path
) -> tuple[dict[str, Ran], int]:
    """Each namespace's output as the charts layer derives it, and how many helm runs that took."""
    with CountingPool() as pool:
        runs = ChartRuns(helm, tmp_path, pool, tmp_path)
        runs.start_templates([release(chart, ns, {}) for ns in namespaces])
        [group] = runs.groups
        return runs._outputs(group), len(pool.commands)


@pytest.mark.parametrize(
    ("name", "expression"),
    [
        ("shouting", ".Release.Namespace | upper"),
        ("hashing", ".Release.Namespace | sha256sum | trunc 8"),
        ("truncating", ".Release.Namespace | trunc 8"),
    ],
)
def test_a_chart_that_computes_with_the_namespace_gets_a_run_per_namespace(
    helm: str, tmp_path: Path, name: str, expression: str
) -> None:
    chart = one_template_chart(tmp_path / name, expression)
    namespaces = ("alpha", "beta", "gamma-delta-epsilon")
    outputs, runs = outputs_of(helm, chart, namespaces, tmp_path)
    assert runs == 4  # alpha, the probe (which disagrees), then the other two
    for ns in namespaces:
        assert outputs[ns].stdout == direct(helm, chart, ns, {}, tmp_path).stdout


def test_a_truncation_only_a_long_namespace_reaches_is_caught(helm: str, tmp_path: Path) -> None:
    # The first namespace and a short probe would both fit in 48 characters; the long one does not.
    chart = one_template_chart(tmp_path / "long", 'printf "%s-data" .Release.Namespace | trunc 48')
    long = "team-" + "x" * 50
    outputs, runs = outputs_of(helm, chart, ("alpha", "beta", long), tmp_path)
    assert runs == 4
    assert f"ns: {(long + '-data')[:48]}\n" in outputs[long].stdout
    for ns in ("alpha", "beta", long):
        assert outputs[ns].stdout == direct(helm, chart, ns, {}, tmp_path).stdout


def test_the_probe_is_unique_and_as_long_as_the_longest_namespace() -> None:
    short = probe_namespace("abc", 5)
    assert short.startswith("hubfleet-probe-") and len(short) == 31
    assert len(probe_namespace("abc", 63)) == 63 and probe_namespace("abc", 63).startswith(short)
    assert probe_namespace("abd", 5) != short
