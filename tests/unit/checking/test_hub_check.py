"""`hubfleet hub check` end to end against a real JupyterHub on loopback.

The hub is the one hubfleet renders: a project with a check token sealed by `hubfleet seal
auth --check-token` is rendered, and the hub tier's preparation (test_hub_tier.prepare) takes
the HelmRelease through `helm template` of the real z2jh chart and z2jh's own
`jupyterhub_config.py`, so the `hubfleet-check` service, its token and its role are what z2jh
makes of our values. Only what a cluster provides is swapped: JupyterHub (.venv-hub, the hub
image's pins) spawns local processes instead of pods, each a real `jupyterhub-singleuser` on
Jupyter server (.venv-server), behind the real configurable-http-proxy (npm, tests/js/chp).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, load_docs, require
from hubfleet.core.auth import CHECK_TOKEN, CHECK_USER
from support.sealing import cli, make_project
from tiers.test_hub_tier import HUB_PYTHON, HubCase, prepare, stand_in_secret
from tiers.test_server_tier import SERVER_PYTHON, free_port

CHP = Path(__file__).resolve().parents[2] / "js" / "chp"
SIDE = Path(__file__).resolve().parents[2] / "hub_side"
#: The token z2jh's hub gets for the service (helm values filled from test secrets, as in the hub tier).
TOKEN = stand_in_secret(CHECK_TOKEN)
STEP_LINE = re.compile(r"^  (\w+) +(ok|FAILED) +(\d+\.\d\d) s  (.*)$")


def proxy_command() -> str:
    """configurable-http-proxy, installed from tests/js/chp/package-lock.json on first use."""
    npm = shutil.which("npm")
    require(npm is not None and shutil.which("node") is not None, "node and npm are not installed")
    assert npm is not None
    command = CHP / "node_modules" / ".bin" / "configurable-http-proxy"
    if not command.exists():
        done = subprocess.run(
            [npm, "ci", "--prefix", str(CHP), "--no-audit", "--no-fund"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    return str(command)


def checked_project(tmp_path: Path) -> Path:
    """A cluster with one native-login hub whose check token is sealed, rendered."""
    root = make_project(tmp_path)
    hubs = root / "clusters/clusterA/hubs"
    hubs.mkdir()
    hub = {"name": "course", "drive": {"size": "10Gi"}, "auth": {"type": "native", "admins": ["prof"]}}
    (hubs / "course.yaml").write_text(json.dumps(hub))
    sealed = cli(root, "seal", "auth", "clusterA", "course", "--check-token", input=(TOKEN + "\n").encode())
    assert sealed.exit_code == 0, sealed.output
    assert cli(root, "render", "clusterA").exit_code == 0
    return root


class LoopbackHub:
    """The rendered hub's JupyterHub, started with z2jh's config and local stand-ins for the cluster."""

    def __init__(
        self, root: Path, folder: Path, never_ready: bool = False, read_only_home: bool = False
    ) -> None:
        release = root / "gitops/hubs/clusterA/course/jupyterhub.yaml"
        (config,) = load_docs(root / "gitops/eksctl/clusterA.yaml")
        case = HubCase("course", release, root / "gitops", str(config["metadata"]["version"]))
        self.values = prepare(case, folder)
        self.folder = folder
        self.homes = folder / "homes"
        self.homes.mkdir()
        self.port = free_port()
        base = self.values["hub"]["baseUrl"]
        self.url = f"http://127.0.0.1:{self.port}{base}"
        hub_port, api_port = free_port(), free_port()
        cmd = ["sleep", "3600"] if never_ready else [str(SERVER_PYTHON.parent / "jupyterhub-singleuser")]
        (folder / "loopback_config.py").write_text(
            f"load_subconfig({str(folder / 'z2jh' / 'jupyterhub_config.py')!r})\n"
            "# What a cluster provides, on loopback: local processes for pods, a local proxy.\n"
            "c.JupyterHub.spawner_class = 'jupyterhub.spawner.SimpleLocalProcessSpawner'\n"
            f"c.SimpleLocalProcessSpawner.home_dir_template = {str(self.homes / '{username}')!r}\n"
            f"c.Spawner.cmd = {cmd!r}\n"
            "c.Spawner.args = ['--ServerApp.allow_root=True']\n"
            f"c.Spawner.http_timeout = {60 if never_ready else 15}\n"
            "c.JupyterHub.ip = '127.0.0.1'\n"
            f"c.JupyterHub.port = {self.port}\n"
            f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{hub_port}'\n"
            f"c.JupyterHub.hub_connect_url = 'http://127.0.0.1:{hub_port}'\n"
            "c.JupyterHub.cleanup_servers = True\n"
            "c.ConfigurableHTTPProxy.should_start = True\n"
            f"c.ConfigurableHTTPProxy.command = [{proxy_command()!r}]\n"
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{api_port}'\n"
        )
        env = json.loads((folder / "request.json").read_text())["env"]
        env = {**env, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder)}
        command = [str(HUB_PYTHON), "-m", "jupyterhub", "-f", str(folder / "loopback_config.py")]
        if read_only_home:
            # The user's home on a read-only mount, as a drive whose export refuses writes.
            home = self.homes / CHECK_USER
            home.mkdir()
            script = f'mount --bind "{home}" "{home}" && mount -o remount,ro,bind "{home}" && exec "$@"'
            command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "hub", *command]
        self.log = (folder / "hub.log").open("w")
        self.process = subprocess.Popen(
            command,
            cwd=folder / "work",
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError((self.folder / "hub.log").read_text()[-4000:])
            try:
                with urllib.request.urlopen(self.url + "hub/api/", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(
            "the hub did not answer in 60 s: " + (self.folder / "hub.log").read_text()[-4000:]
        )

    def check_user(self) -> dict[str, Any]:
        request = urllib.request.Request(self.url + f"hub/api/users/{CHECK_USER}")
        request.add_header("Authorization", f"token {TOKEN}")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return dict(json.loads(answer.read()))

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def require_components() -> None:
    require(HUB_PYTHON.exists(), f"{HUB_PYTHON} is missing: run `make hub-venv`")
    require(SERVER_PYTHON.exists(), f"{SERVER_PYTHON} is missing: run `make server-venv`")
    require((REPO / ".tools" / "bin" / "helm").is_file(), "helm not found; run `make tools`")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_components()
    return checked_project(tmp_path_factory.mktemp("checked"))


@pytest.fixture(scope="module")
def hub(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackHub]:
    started = LoopbackHub(project, tmp_path_factory.mktemp("hub") / "hub")
    yield started
    started.stop()


def check(project: Path, url: str, *options: str, token: str = TOKEN) -> tuple[int, list[str], str]:
    done = cli(project, "hub", "check", "clusterA", "course", "--url", url, "--token-file", "-", *options,
               input=(token + "\n").encode())  # fmt: skip
    return done.exit_code, done.stdout.splitlines(), done.stderr


def steps(lines: list[str]) -> dict[str, tuple[str, float, str]]:
    found = {}
    for line in lines:
        matched = STEP_LINE.match(line)
        if matched:
            found[matched[1]] = (matched[2], float(matched[3]), matched[4])
    return found


def test_a_working_hub_passes_every_step_and_keeps_nothing(hub: LoopbackHub, project: Path) -> None:
    code, lines, errors = check(project, hub.url)
    assert (code, errors) == (0, ""), lines
    assert lines[0] == f"hub check clusterA/course at {hub.url}"
    found = steps(lines)
    assert list(found) == ["hub", "token", "user", "start", "ready", "write", "read", "delete", "stop"]
    assert {state for state, _, _ in found.values()} == {"ok"}
    assert found["hub"][2] == "JupyterHub 5.5.0" and found["token"][2] == "service hubfleet-check"
    assert found["ready"][2] == f"ready at /course/user/{CHECK_USER}/"
    assert re.fullmatch(r"passed: 9 steps in \d+\.\d\d s", lines[-1])
    # Nothing left: no server, no file in the home.
    assert hub.check_user()["servers"] == {}
    assert [p.name for p in (hub.homes / CHECK_USER).iterdir() if p.name.startswith("hubfleet-check")] == []
    print("\n".join(lines))  # the figures for the closing note (pytest -s)


def test_json_names_each_step_and_its_time(hub: LoopbackHub, project: Path) -> None:
    code, lines, _ = check(project, hub.url, "--format", "json")
    report = json.loads("\n".join(lines))
    assert code == 0 and report["passed"] is True and report["failedStep"] is None
    assert [s["name"] for s in report["steps"]][-1] == "stop"
    assert report["hub"] == "clusterA/course" and report["cleanup"] == []


def test_a_wrong_token_fails_at_the_token_step(hub: LoopbackHub, project: Path) -> None:
    code, lines, errors = check(project, hub.url, token="f" * 64)
    assert code == 1
    assert errors.splitlines() == [
        "hub check clusterA/course: step token failed: the hub refused the token (HTTP 403): it is not the "
        "check token sealed for this hub, or Flux has not applied that yet"
    ]
    assert list(steps(lines)) == ["hub", "token"]


def test_an_unreachable_hub_fails_at_the_first_step(project: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/course/"
    code, _, errors = check(project, url)
    assert code == 1
    assert errors.splitlines() == [
        "hub check clusterA/course: step hub failed: GET /course/hub/api/: cannot reach the hub: "
        "[Errno 111] Connection refused"
    ]


def test_a_home_that_cannot_be_written_fails_and_names_the_step(project: Path, tmp_path: Path) -> None:
    """Jupyter server keeps its runtime folder in the home, so on a home it cannot write (a drive
    whose export refuses writes) the server never starts: the check fails at `ready` with the
    hub's own reason, and leaves no server behind."""
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, text=True, check=False)
    require(probe.returncode == 0, f"cannot make a mount namespace here: {probe.stderr.strip()}")
    read_only = LoopbackHub(project, tmp_path / "hub", read_only_home=True)
    try:
        code, lines, errors = check(project, read_only.url)
        assert code == 1
        (line,) = errors.splitlines()
        assert re.fullmatch(
            r"hub check clusterA/course: step ready failed: the spawn failed: Spawn failed: Server at "
            r"http://127\.0\.0\.1:\d+/course/user/hubfleet-check/api didn't respond in 15 seconds",
            line,
        ), line
        assert "Read-only file system" in (tmp_path / "hub" / "hub.log").read_text()
        assert list(steps(lines)) == ["hub", "token", "user", "start", "ready"]
        assert read_only.check_user()["servers"] == {}
    finally:
        read_only.stop()


def test_a_server_that_never_becomes_ready_fails_at_ready_and_is_stopped(
    project: Path, tmp_path: Path
) -> None:
    stuck = LoopbackHub(project, tmp_path / "hub", never_ready=True)
    try:
        code, lines, errors = check(project, stuck.url, "--timeout", "10")
        assert code == 1
        (line,) = errors.splitlines()
        assert line.startswith(
            "hub check clusterA/course: step ready failed: the server was not ready in 10 s"
        )
        assert list(steps(lines)) == ["hub", "token", "user", "start", "ready"]
        assert stuck.check_user()["servers"] == {}
    finally:
        stuck.stop()


def test_a_hub_without_a_sealed_check_token_is_refused(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "clusters/clusterA/hubs").mkdir()
    hub = {"name": "course", "drive": {"size": "10Gi"}, "auth": {"type": "native", "admins": ["prof"]}}
    (root / "clusters/clusterA/hubs/course.yaml").write_text(json.dumps(hub))
    done = cli(root, "hub", "check", "clusterA", "course", input=b"")
    assert done.exit_code == 2
    assert done.stderr.splitlines() == [
        "HUB: hub course has no check token sealed: run `hubfleet seal auth clusterA course --check-token`, "
        "render, commit, and let Flux reconcile"
    ]
