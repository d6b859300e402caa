"""User pods cannot bind ports below 1024 (net.ipv4.ip_unprivileged_port_start=1024) unless the
hub says why. The pods themselves, as KubeSpawner builds them, are checked in test_hub_tier.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from conftest import load_docs
from hubfleet.render.hub import LOW_PORTS_SYSCTL
from support.builders import make_cluster


def spawner_config(root: Path) -> dict[str, object]:
    (release,) = load_docs(root / "gitops/hubs/clusterA/course/jupyterhub.yaml")
    config: dict[str, object] = release["spec"]["values"]["hub"]["config"]["KubeSpawner"]
    return config


def test_every_hub_closes_low_ports_unless_it_gives_a_reason(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_cluster(tmp_path, hubs={"course": {}})
    assert run(root, "render").exit_code == 0
    assert spawner_config(root)["pod_security_context"] == {"sysctls": [LOW_PORTS_SYSCTL]}
    hub = root / "clusters/clusterA/hubs/course.yaml"
    hub.write_text(
        hub.read_text() + "lowPorts: {reason: a Modbus simulator listens on 502 as the device does}\n"
    )
    assert run(root, "render").exit_code == 0
    assert "pod_security_context" not in spawner_config(root)


def test_an_opt_out_without_a_reason_is_refused(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, hubs={"course": {}})
    hub = root / "clusters/clusterA/hubs/course.yaml"
    text = hub.read_text()
    line = len(text.splitlines()) + 1
    hub.write_text(text + "lowPorts: {}\n")
    missing = run(root, "render")
    assert missing.exit_code == 2
    assert missing.stderr.splitlines()[0] == (
        f"clusters/clusterA/hubs/course.yaml:{line}:1: lowPorts.reason: required field is missing (Why this hub's "
        "users need low ports, for the reviewer (at least 20 characters).)"
    )
    hub.write_text(text + "lowPorts: {reason: needed}\n")
    short = run(root, "render")
    assert short.exit_code == 2
    assert short.stderr.splitlines()[0].endswith("lowPorts.reason: 'needed' is too short (Why this hub's users need "
                                                "low ports, for the reviewer (at least 20 characters).)")  # fmt: skip
