"""Chart sources for tests and for validate: a mirror, the reference folder or the charts' own
repositories; with none, one summary line (tests) or one finding (validate) saying what to set."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from conftest import REPO
from hubfleet.system.settings import CHART_CACHE_ENV
from support.chart_mirror import NO_CHART_SOURCE, chart_environment
from support.validate import copy_example, findings, run_validate

SELF = "tests/unit/upstream/test_chart_sources.py::test_a_chart_source_is_found"


def test_a_chart_source_is_found() -> None:
    """Run in a subprocess below with no source; in a normal run, the source the tests use."""
    assert chart_environment()[CHART_CACHE_ENV]


def pytest_without_a_source(ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("HUBFLEET_CHART_MIRROR", "HUBFLEET_UPSTREAM", "CI", "PYTEST_ADDOPTS")}  # fmt: skip
    env["HUBFLEET_TEST_OFFLINE"] = "1"
    if ci:
        env["CI"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", SELF], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def test_without_a_source_the_tests_skip_in_one_line_saying_what_to_set() -> None:
    done = pytest_without_a_source(ci=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"1 tests did not run: 1 x {NO_CHART_SOURCE}" in done.stdout.splitlines()


def test_under_ci_a_missing_source_fails() -> None:
    done = pytest_without_a_source(ci=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"Failed: {NO_CHART_SOURCE} (CI must run every test)" in done.stdout


def test_an_unreachable_source_is_one_finding_with_the_ways_out(tmp_path: Path) -> None:
    """A mirror nobody answers at, and an empty cache: one finding for every chart, not one per
    release, naming the mirror, the cache and --offline."""
    root = copy_example(tmp_path / "fleet")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    cache = tmp_path / "empty-cache"
    result = run_validate(root, "--chart-mirror", f"http://127.0.0.1:{port}", "--chart-cache", str(cache))
    sourced = [line for line in findings(result) if line.startswith("charts.lock")]
    assert sourced == [
        "charts.lock: 9 chart packages could not be had (cluster-autoscaler 9.59.0, crd.projectcalico.org.v1 "
        "v3.32.1, csi-driver-nfs 4.12.1, grafana 12.11.1, jupyterhub 4.4.0, nginx-ingress 2.6.4, prometheus "
        "29.27.0, sealed-secrets 2.18.5, tigera-operator v3.32.1), "
        f"so their releases were not checked: cannot fetch the index of http://127.0.0.1:{port}/: "
        f"http://127.0.0.1:{port}/index.yaml: [Errno 111] Connection refused; give them a source: set "
        "HUBFLEET_CHART_MIRROR (or --chart-mirror) to a Helm repository that mirrors them; or fetch them once "
        f"where the chart repositories are reachable into the chart cache {cache} (HUBFLEET_CHART_CACHE moves "
        "it) and copy it here; or run with --offline to use the cache only and never the network"
    ]
    assert not [
        line for line in findings(result) if "cannot fetch" in line and not line.startswith("charts.lock")
    ]
