"""The drive as hubs see it: the shared folder, the kept hub database, and drive releases that
only upgrade when the chart does (rendered objects; the chart itself is in test_chart_nfs_drive.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from builders import make_cluster
from conftest import REPO, load_docs


def values_of(root: Path, hub: str, file: str = "jupyterhub.yaml") -> dict[str, Any]:
    (release,) = load_docs(root / f"gitops/hubs/clusterA/{hub}/{file}")
    return dict(release["spec"])


def test_the_shared_folder_is_read_only_for_users_and_handed_to_uid_1000() -> None:
    values = values_of(REPO, "physics101")["values"]
    assert values["singleuser"]["storage"]["extraVolumeMounts"] == [
        {"name": "home", "mountPath": "/home/jovyan/shared", "subPath": "_shared", "readOnly": True}
    ]
    (owner,) = values["singleuser"]["initContainers"]
    assert {"name": "home", "mountPath": "/srv/shared", "subPath": "_shared"} in owner["volumeMounts"]
    assert "chown 1000:100 /srv/shared" in owner["command"][-1]
    # What admins get is tested against the hook's real behaviour in test_hub_side.py.
    assert "hubfleet-shared-readwrite" in values["hub"]["extraConfig"]


def test_without_a_shared_folder_nothing_is_mounted(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, hubs={"course": {"drive.shared": False}})
    assert run(root, "render", "clusterA").exit_code == 0
    values = values_of(root, "course")["values"]
    assert "extraVolumeMounts" not in values["singleuser"]["storage"]
    assert sorted(values["hub"]["extraConfig"]) == ["hubfleet-native-admins"]  # minimal_hub is native
    (owner,) = values["singleuser"]["initContainers"]
    assert owner["volumeMounts"] == [{"name": "home", "mountPath": "/home/jovyan", "subPath": "{username}"}]


def test_the_hub_database_claim_outlives_its_release() -> None:
    db = values_of(REPO, "bio150")["values"]["hub"]["db"]["pvc"]
    assert db["annotations"] == {"helm.sh/resource-policy": "keep"}


def test_drive_releases_reconcile_on_the_chart_version() -> None:
    chart = values_of(REPO, "physics101", "drive.yaml")["chart"]["spec"]
    assert "reconcileStrategy" not in chart  # Flux's default, ChartVersion
    assert chart["chart"] == "./charts/nfs-drive"
