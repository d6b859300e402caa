"""The drive tier: the drive chart's real container command, and everyone who then writes through
the export, acting with the credentials the export gives them.

No kernel NFS server runs here, so the server is the chart's command (from `helm template` of
charts/nfs-drive) run as root in a root folder laid out like the image (`tests/drive_side/`:
a stand-in start script holding the image's export template), on an ext4 volume made by
`mkfs.ext4` and loop-mounted, all inside a private mount namespace. What comes through an
export with `all_squash,anonuid=1000,anongid=100` reaches the file system as 1000:100 with no
other groups and no capabilities, so each client party runs with exactly that (setpriv):
kubelet's mkdir of a missing subPath, the hub's home init container (its rendered script), and
the user's first write. Under the older export (`no_root_squash`) they ran as root.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from conftest import REPO, load_docs, require
from hubfleet.system.programs import run as run_tool
from support.validate import TOOLS

PARTIES = Path(__file__).resolve().parents[1] / "drive_side" / "parties.sh"
STANDIN = Path(__file__).resolve().parents[1] / "drive_side" / "nfsd-standin.sh"
SQUASHED = "secure,all_squash,anonuid=1000,anongid=100"


def mkfs() -> str | None:
    return shutil.which("mkfs.ext4") or shutil.which("mkfs.ext4", path="/usr/sbin:/sbin")


def server_command(chart: Path) -> tuple[str, str]:
    """The NFS server container's shell script and its PERMITTED, as the chart renders them."""
    done = run_tool([str(TOOLS / "helm"), "template", "drive", str(chart), "--namespace", "course"])
    assert done.ok, done.stderr
    (statefulset,) = [d for d in YAML(typ="safe").load_all(done.stdout) if d and d["kind"] == "StatefulSet"]
    (server,) = statefulset["spec"]["template"]["spec"]["containers"]
    assert server["command"] == ["/bin/sh", "-c"]
    env = {item["name"]: item["value"] for item in server["env"]}
    return server["args"][0], env["PERMITTED"]


def home_owner_script() -> str:
    """The home init container's script, as the example's datalab hub renders it."""
    (release,) = load_docs(REPO / "gitops" / "hubs" / "clusterA" / "datalab" / "jupyterhub.yaml")
    (init,) = [
        c for c in release["spec"]["values"]["singleuser"]["initContainers"] if c["name"] == "home-owner"
    ]
    assert init["command"][:2] == ["sh", "-c"]
    return str(init["command"][2])


@pytest.fixture
def parties(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """Run tests/drive_side/parties.sh in a private mount namespace; return each step's outcome."""
    require(mkfs() is not None, "mkfs.ext4 not found: install e2fsprogs")
    require(
        all(shutil.which(t) for t in ("unshare", "setpriv", "chroot")), "unshare, setpriv or chroot missing"
    )
    require((TOOLS / "helm").is_file(), "helm not found; run `make tools`")
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, text=True, check=False)
    require(probe.returncode == 0, f"cannot make a mount namespace here: {probe.stderr.strip()}")
    volume = tmp_path / "volume.img"
    with volume.open("wb") as stream:
        stream.truncate(32 * 1024 * 1024)
    subprocess.run([str(mkfs()), "-q", "-F", str(volume)], check=True, capture_output=True)
    (tmp_path / "init.sh").write_text(home_owner_script())
    runs = 0

    def run(
        *users: str, chart: Path | None = REPO / "charts" / "nfs-drive", unsquashed: bool = False
    ) -> dict[str, str]:
        nonlocal runs
        runs += 1
        server, permitted = "-", "-"
        if chart is not None:
            script, permitted = server_command(chart)
            server = str(tmp_path / "server.sh")
            Path(server).write_text(script)
        root = tmp_path / f"root{runs}"
        done = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "bash", str(PARTIES), str(volume), str(root),
             str(STANDIN), server, str(tmp_path / "init.sh"), permitted, "unsquashed" if unsquashed else "", *users],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        steps = {}
        for line in done.stdout.splitlines():
            if line.startswith("step "):
                name, _, outcome = line[5:].partition(" ")
                steps[name] = outcome
        return steps

    return run


def test_a_new_drive_serves_its_first_users(parties: Callable[..., dict[str, str]]) -> None:
    steps = parties("alice", "bob")
    assert steps["server-start"].startswith("OK: serving: /exports 192.168.0.0/16(rw,fsid=0,sync,"), steps
    assert (
        steps["export"]
        == f"OK: /exports 192.168.0.0/16(rw,fsid=0,sync,no_subtree_check,no_auth_nlm,{SQUASHED})"
    )
    for step in (
        "kubelet-mkdir-alice",
        "kubelet-mkdir-_shared",
        "init-alice",
        "kubelet-mkdir-bob",
        "init-bob",
    ):
        assert steps[step] == "OK: ", step
    assert steps["export-root"] == "OK: 1000:100 755"
    assert steps["write-alice"] == "OK: hello" and steps["write-bob"] == "OK: hello", steps
    assert steps["home-alice"] == steps["home-bob"] == "OK: 1000:100 750"
    assert sorted(steps["tree"].removeprefix("OK: ").split(" | ")) == [
        "_shared 1000:100 755",
        "alice 1000:100 750",
        "alice/hello-alice.txt 1000:100 644",
        "bob 1000:100 750",
        "bob/hello-bob.txt 1000:100 644",
    ]


def test_a_drive_made_under_the_older_export_keeps_its_homes_and_takes_new_users(
    parties: Callable[..., dict[str, str]],
) -> None:
    # The older export (no_root_squash): kubelet and the init container acted as root.
    before = parties("alice", chart=None, unsquashed=True)
    assert before["export-root"] == "OK: 0:0 755"
    assert before["write-alice"] == "OK: hello" and before["home-alice"] == "OK: 1000:100 750", before
    steps = parties("alice", "carol")
    assert steps["export-root"] == "OK: 1000:100 755"
    assert steps["init-alice"] == steps["init-carol"] == "OK: ", steps
    assert steps["write-alice"] == steps["write-carol"] == "OK: hello", steps
    assert sorted(steps["tree"].removeprefix("OK: ").split(" | ")) == [
        "_shared 1000:100 755",
        "alice 1000:100 750",
        "alice/hello-alice.txt 1000:100 644",
        "carol 1000:100 750",
        "carol/hello-carol.txt 1000:100 644",
    ]
