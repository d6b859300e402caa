"""`urls: host`: a host per hub and for Grafana, no master Ingress, the __Host- cookie prefix; the
golden case host-urls pins the whole tree, these pin what people are told."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import REPO
from support.builders import make_cluster

FIXTURE = REPO / "tests/fixtures/host-urls"


@pytest.mark.parametrize(("urls", "refused"), [("host", True), ("path", False)])
def test_a_hub_named_like_a_kept_host_is_refused_with_host_urls(
    tmp_path: Path, run: Callable[..., Result], urls: str, refused: bool
) -> None:
    root = make_cluster(tmp_path, hubs={"www": {}}, urls=urls)
    result = run(root, "render", "clusterA")
    if not refused:
        assert result.exit_code == 0, result.output
        return
    assert (result.exit_code, result.output) == (
        2,
        "clusters/clusterA/hubs/www.yaml:1:1: name: 'www' would be served at www.clustera.hubs.example.org, a "
        "host name the cluster keeps with urls: host (alertmanager, api, auth, grafana, login, mail, "
        "prometheus, www); pick another name\n1 problem in the input; nothing was written\n",
    )


def test_hub_show_gives_the_hosts_callbacks(tmp_path: Path, run: Callable[..., Result]) -> None:
    shutil.copytree(FIXTURE / "clusters", tmp_path / "clusters")
    result = run(tmp_path, "hub", "show", "faculty", "ml")
    assert result.exit_code == 0, result.output
    assert "https://ml.hubs.faculty.example.edu/hub/oauth_callback" in result.output
    assert "hubs.faculty.example.edu/ml/" not in result.output


def test_no_master_ingress_with_host_urls() -> None:
    ingress = FIXTURE / "expected/infrastructure/faculty/ingress"
    assert sorted(p.name for p in ingress.iterdir()) == ["kustomization.yaml", "nginx-ingress.yaml"]
