"""Roles that fit a course, as input: what is refused, what is warned about, and what renders. What
the hub image's packages do with it is in test_hub_side.py (signed LTI launches, groups from
logins) and test_hub_tier.py (graders' scopes, profiles by group through KubeSpawner)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from conftest import load_docs
from support.builders import make_cluster

GITHUB = {"type": "github", "clientId": "Iv1.abc", "allowed": {"organizations": ["osu", "osu:ta"]}}
PROFILES = [
    {"name": "small", "default": True, "nodeGroup": "user"},
    {"name": "gpu", "nodeGroup": "user", "groups": ["osu:gpu", "mit:gpu", "gpu"]},
]


def lint_warnings(root: Path, run: Callable[..., Result]) -> list[str]:
    result = run(root, "validate", "clusterA", "--skip", "flux", "--skip", "charts", "--skip", "objects")
    return [line for line in result.output.splitlines() if "profiles." in line]


def test_a_profile_group_no_login_gives_is_a_warning(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, hubs={"course": {"auth": GITHUB, "profiles": PROFILES}})
    assert run(root, "render", "clusterA").exit_code == 0
    gives = "it gives teams of the allowed organisations, as org:team"
    assert lint_warnings(root, run) == [
        f"clusters/clusterA/hubs/course.yaml: warning: profiles.gpu.groups: no github login gives the group "
        f"{group!r} ({gives}), so no one would see this profile"
        for group in ("gpu", "mit:gpu")
    ]


def test_a_default_profile_with_groups_is_refused(tmp_path: Path, run: Callable[..., Result]) -> None:
    gated = [{**PROFILES[0], "groups": ["osu:ta"]}, PROFILES[1]]
    root = make_cluster(tmp_path, hubs={"course": {"auth": GITHUB, "profiles": gated}})
    result = run(root, "render", "clusterA")
    assert result.exit_code == 2
    (first, *_) = result.stderr.splitlines()
    assert first.endswith(
        "profiles[0].groups: the default profile is for everyone: a user in none of its groups would have no "
        "server to start; give groups to other profiles"
    )


def test_graders_get_a_role_that_changes_no_one(tmp_path: Path, run: Callable[..., Result]) -> None:
    auth: dict[str, Any] = {**GITHUB, "graders": ["ta-lee"]}
    root = make_cluster(tmp_path, hubs={"course": {"auth": auth}})
    assert run(root, "render", "clusterA").exit_code == 0
    (release,) = load_docs(root / "gitops/hubs/clusterA/course/jupyterhub.yaml")
    assert release["spec"]["values"]["hub"]["loadRoles"] == {
        "graders": {
            "name": "graders",
            "description": "List the hub's users and open their servers; change nothing.",
            "scopes": ["admin-ui", "list:users", "read:users", "read:servers", "access:servers"],
            "users": ["ta-lee"],
        }
    }
