"""The server tier: what a user server really does with the files z2jh mounts into it.

The hub tier (test_hub_tier.py) builds each pod with KubeSpawner from z2jh's own config; here
the files of that pod's `singleuser` Secret (from `helm template` of the real chart) are
mounted at the pod's own mount paths in a private mount namespace, and the real Jupyter server
(with jupyter-server-fileid and the collaboration extension) and a real IPython kernel start on
them as the notebook user (.venv-server: tests/server_side/requirements.txt). They must hold
the kernel culler's settings and keep their SQLite databases under /tmp, not in the home on
NFS; a hub with `localDatabases: false` keeps the upstream defaults, in the home.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, require
from hubfleet.render.notebook import KERNEL_CULL_INTERVAL, LOCAL_DATABASES
from tiers.test_hub_tier import CASES, HUB_PYTHON, HubCase, model_of, spawn

SERVER_PYTHON = REPO / ".venv-server" / "bin" / "python"
SIDE = Path(__file__).resolve().parents[1] / "server_side"
#: The example's GPU hub (local databases, default kernel culling) and a hub that turns both its own way.
LABELS = ("gitops/clusterA/datalab", "extra-user-groups/scalelab/bigdata")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def work() -> Iterator[Path]:
    """A folder the notebook user (1000:100) can reach: pytest's own is private to its user."""
    folder = Path(tempfile.mkdtemp(prefix="hubfleet-server-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def pod_files(pod: dict[str, Any], files: dict[str, str], folder: Path) -> list[str]:
    """(source, mount path) pairs for every mount of the notebook container from the Secret."""
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    (notebook, *_) = pod["spec"]["containers"]
    pairs = []
    for mount in notebook["volumeMounts"]:
        secret = volumes[mount["name"]].get("secret", {})
        if secret.get("secretName") == "singleuser":
            source = folder / mount["subPath"]
            source.write_text(files[mount["subPath"]])
            source.chmod(0o644)
            pairs += [str(source), mount["mountPath"]]
    return pairs


def run_server(case: HubCase, folder: Path, work: Path) -> dict[str, Any]:
    _, report = spawn(case, folder)
    files = json.loads((folder / "singleuser-files.json").read_text())
    (built, *_) = report["users"]["student-1"]["pods"]
    pairs = pod_files(built["pod"], files, work)
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "bash", str(SIDE / "pod_files.sh"), str(work / "pod"),
         str(SERVER_PYTHON), str(SIDE / "read_settings.py"), str(free_port()), *pairs],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("label", LABELS)
def test_the_server_culls_kernels_and_keeps_sqlite_off_the_home(
    label: str, tmp_path: Path, work: Path
) -> None:
    require(SERVER_PYTHON.exists(), f"{SERVER_PYTHON} is missing: run `make server-venv`")
    require(HUB_PYTHON.exists(), f"{HUB_PYTHON} is missing: run `make hub-venv`")
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, text=True, check=False)
    require(probe.returncode == 0, f"cannot make a mount namespace here: {probe.stderr.strip()}")
    (case,) = [c for c in CASES if c.label == label]
    _, hub = model_of(case)
    found = run_server(case, tmp_path / "hub", work)
    kernels = hub.culling.kernels
    assert found["kernels"] == {
        "cull_idle_timeout": kernels.idle_timeout,
        "cull_interval": KERNEL_CULL_INTERVAL,
        "cull_connected": kernels.connected,
        "cull_busy": False,
    }
    home = work / "pod" / "home"
    if hub.local_databases:
        assert {key: found[key] for key in LOCAL_DATABASES} == LOCAL_DATABASES
        assert found["home_databases"] == []
    else:
        # Upstream's defaults: all three in the home (and so on the drive).
        assert Path(found["history"]).is_relative_to(home)
        assert Path(found["file_ids"]).is_relative_to(home)
        assert found["collaboration"] == ".jupyter_ystore.db"  # the working directory: the home
        assert found["home_databases"] == [
            ".ipython/profile_default/history.sqlite",
            ".local/share/jupyter/file_id_manager.db",
        ]
