"""The hub tier: what z2jh's JupyterHub and KubeSpawner really build from the values we render.

For every hub of the example and of every golden case: `helm template` of the real chart
package (z2jh 4.4.0, from the chart mirror) with the HelmRelease's values and its valuesFrom
filled from test secrets; the hub container's mounts and environment taken from that output;
then z2jh's own `files/hub/jupyterhub_config.py` run by JupyterHub in .venv-hub (the hub
image's pins), and every pod a user can get built by KubeSpawner through JupyterHub's own
spawn (hubfleet/validate/spawn_pods.py, staged by validate/pods.py as `validate --hub-python` does): each profile and image choice of the real options
form, for an ordinary user, each configured admin, and LTI instructors and TAs. Each pod is
checked against the Kubernetes schema of the cluster's version, strictly, and for what the
hub promises: the home, the shared folder (read-only for users, read-write for admins), the
node group, tolerations, requests, limits and GPUs.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from conftest import REPO, load_docs, require
from hubfleet.core.capacity import instance_type
from hubfleet.core.kubernetes import kube_version
from hubfleet.core.names import GPU_RESOURCE, NODE_GROUP_LABEL
from hubfleet.inputs.model.cluster import DEFAULT_SPAWN, MAIN_USER_GROUP, Cluster, Hub, SpawnTimeouts
from hubfleet.inputs.pipeline import load_cluster
from hubfleet.render.hub import LOW_PORTS_SYSCTL
from hubfleet.render.notebook import IPYTHON_CONFIG_FILE, SERVER_CONFIG_FILE, SHM_MOUNT, quantity
from hubfleet.system.programs import run
from hubfleet.system.project import Project
from hubfleet.system.settings import CHART_CACHE_ENV, CHART_MIRROR_ENV
from hubfleet.upstream.cache import ChartSource, read_lock
from hubfleet.validate.packaged import packaged_sources
from hubfleet.validate.pods import SPAWN_SCRIPT, stage_hub, users_of
from hubfleet.validate.schemas import JsonSchemaChecker, ValidatorCache, schema_issues
from hubfleet.validate.values_from import set_target_path
from support.chart_mirror import chart_environment
from support.validate import TOOLS

HUB_PYTHON = REPO / ".venv-hub" / "bin" / "python"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HOME = "/home/jovyan"
SHARED = {"name": "home", "mountPath": f"{HOME}/shared", "subPath": "_shared", "readOnly": True}
SHARED_RW = {"name": "home", "mountPath": f"{HOME}/shared-readwrite", "subPath": "_shared"}


@dataclass(frozen=True)
class HubCase:
    """One hub's JupyterHub HelmRelease in a rendered tree, and the cluster's Kubernetes version."""

    label: str
    release: Path
    tree: Path
    kubernetes: str


def trees() -> Iterator[tuple[str, Path]]:
    yield "gitops", REPO / "gitops"
    for case in sorted(FIXTURES.iterdir()):
        if case.name != "example" and (case / "expected" / "hubs").is_dir():
            yield case.name, case / "expected"


def hub_cases() -> list[HubCase]:
    found = []
    for name, tree in trees():
        for release in sorted((tree / "hubs").glob("*/*/jupyterhub.yaml")):
            cluster, hub = release.parent.parent.name, release.parent.name
            (config,) = load_docs(tree / "eksctl" / f"{cluster}.yaml")
            found.append(
                HubCase(f"{name}/{cluster}/{hub}", release, tree, str(config["metadata"]["version"]))
            )
    return found


CASES = hub_cases()


def stand_in_secret(key: str) -> str:
    """The stand-in for a sealed value: long enough for every password rule."""
    return f"test-{key}-" + "x" * 40


def helm_values(case: HubCase) -> tuple[dict[str, Any], str, str]:
    """The values helm-controller would pass (spec.values, valuesFrom from test secrets), the
    release name and namespace."""
    (release,) = load_docs(case.release)
    values = json.loads(json.dumps(release["spec"]["values"]))
    for entry in release["spec"].get("valuesFrom", []):
        assert entry["kind"] == "Secret" and entry.get("targetPath"), entry
        set_target_path(values, entry["targetPath"], stand_in_secret(entry["valuesKey"]))
    namespace = release["spec"].get("targetNamespace") or release["metadata"]["namespace"]
    return values, release["spec"].get("releaseName") or release["metadata"]["name"], namespace


@cache
def z2jh_package() -> Path:
    """The z2jh chart package the example locks, verified, through the chart mirror and cache."""
    ((ref, digest),) = [
        (ref, digest) for ref, digest in read_lock(REPO / "charts.lock").items() if ref.chart == "jupyterhub"
    ]
    found = chart_environment()
    return ChartSource(Path(found[CHART_CACHE_ENV]), found.get(CHART_MIRROR_ENV)).package(ref, digest)


def prepare(case: HubCase, folder: Path) -> dict[str, Any]:
    """The hub's folder for spawn_pods.py, staged by validate's own code from the real chart's
    output; returns the helm values."""
    values, release_name, namespace = helm_values(case)
    folder.mkdir(parents=True)
    (folder / "values.json").write_text(json.dumps(values))
    done = run([str(TOOLS / "helm"), "template", release_name, str(z2jh_package()), "--namespace", namespace,
                "--kube-version", kube_version(case.kubernetes), "-f", str(folder / "values.json")])  # fmt: skip
    assert done.ok, done.stderr
    objects = [d for d in YAML(typ="safe").load_all(done.stdout) if d]
    _, hub = model_of(case)
    stage_hub(objects, values, namespace, z2jh_package(), stand_in_secret, hub, folder)
    return values


def spawn(case: HubCase, folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    values = prepare(case, folder)
    done = subprocess.run(
        [str(HUB_PYTHON), str(SPAWN_SCRIPT), str(folder)], capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder)},
    )  # fmt: skip
    assert done.returncode == 0, f"{case.label}: {done.stderr[-4000:]}"
    return values, json.loads((folder / "report.json").read_text())


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    require(HUB_PYTHON.exists(), f"{HUB_PYTHON} is missing: run `make hub-venv`")
    require((TOOLS / "helm").is_file(), "helm not found; run `make tools`")
    chart_environment()
    root = tmp_path_factory.mktemp("hubs")
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        results = pool.map(lambda c: spawn(c[1], root / str(c[0])), enumerate(CASES))
        return {case.label: result for case, result in zip(CASES, results, strict=True)}


UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def byte_count(text: str) -> int:
    """z2jh's memory sizes (KubeSpawner's ByteSpecification: K, M, G and T are powers of 1024)."""
    return int(float(text[:-1]) * UNITS[text[-1]]) if text[-1] in UNITS else int(text)


@cache
def pod_validator(kubernetes: str) -> Any:
    checker = JsonSchemaChecker(packaged_sources(), ValidatorCache())
    path = checker.schema_path("v1", "Pod", kube_version(kubernetes))
    assert path is not None, f"no Pod schema for Kubernetes {kubernetes}"
    return checker.cache.validator(path)


def model_of(case: HubCase) -> tuple[Cluster, Hub]:
    root = REPO if case.tree == REPO / "gitops" else case.tree.parent
    cluster = load_cluster(Project(root), case.release.parent.parent.name)
    (hub,) = [h for h in cluster.hubs if h.name == case.release.parent.name]
    return cluster, hub


def node_groups(case: HubCase) -> dict[str, dict[str, Any]]:
    (config,) = load_docs(case.tree / "eksctl" / f"{case.release.parent.parent.name}.yaml")
    return {g["name"]: g for g in [*config.get("managedNodeGroups", []), *config.get("nodeGroups", [])]}


def tolerated(taint: dict[str, Any], tolerations: list[dict[str, Any]]) -> bool:
    return any(
        t.get("key") == taint["key"]
        and t.get("effect") in (None, taint["effect"])
        and (t.get("operator") == "Exists" or t.get("value") == taint.get("value"))
        for t in tolerations
    )


def pods(report: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for name, user in report["users"].items():
        for built in user["pods"]:
            yield name, user, built


def test_every_hub_starts_and_every_user_gets_a_pod(reports: dict[str, Any]) -> None:
    assert sorted(reports) == sorted(case.label for case in CASES)
    failed = {
        f"{label} {name} {built['form']}": built["error"]
        for label, (_, report) in reports.items()
        for name, _, built in pods(report)
        if "error" in built
    }
    assert failed == {}
    assert all(report["spawner"] == "KubeSpawner" for _, report in reports.values())


def test_every_pod_is_valid_for_the_clusters_kubernetes(reports: dict[str, Any]) -> None:
    problems = {}
    for case in CASES:
        for name, _, built in pods(reports[case.label][1]):
            issues = schema_issues(pod_validator(case.kubernetes), built["pod"])
            if issues:
                problems[f"{case.label} {name} {built['form']}"] = [f"{i.field}: {i.message}" for i in issues]
    assert problems == {}


def test_roles_admins_and_the_shared_folder(reports: dict[str, Any]) -> None:
    """The home at the user's folder; the shared folder read-only for everyone and read-write
    for admins only, whichever way a user is an admin (admin_users, native, an LTI role)."""
    lti_admins = 0
    for case in CASES:
        _, hub = model_of(case)
        for name, user, built in pods(reports[case.label][1]):
            role = next(u["role"] for u in users_of(reports[case.label][0], hub) if u["name"] == name)
            if role in ("user", "admin", "grader"):
                assert user["admin"] is (role == "admin"), (case.label, name)
            lti_admins += role in ("Instructor", "TeachingAssistant") and user["admin"]
            (notebook, *_) = built["pod"]["spec"]["containers"]
            assert notebook["name"] == "notebook"
            mounts = notebook["volumeMounts"]
            (home,) = [m for m in mounts if m["mountPath"] == HOME]
            assert home["name"] == "home" and "/" not in home["subPath"] and home["subPath"] != "_shared"
            if name.replace(".", "").replace("-", "").isalnum() and name.islower():
                assert home["subPath"] == name
            shared = [m for m in mounts if m.get("subPath") == "_shared"]
            wanted = [SHARED, SHARED_RW] if user["admin"] else [SHARED]
            assert shared == (wanted if hub.shared else []), (case.label, name)
    assert lti_admins > 0


def test_graders_open_students_servers_and_change_no_one(reports: dict[str, Any]) -> None:
    """JupyterHub's own RBAC, from z2jh's load_roles and the groups each LTI launch sets: bio150's
    TAs are graders (access to every server, no admin scope), its instructors admins."""
    (case,) = [c for c in CASES if c.label == "gitops/clusterA/bio150"]
    users = reports[case.label][1]["users"]
    ta, instructor, student = users["lti-teachingassistant"], users["lti-instructor"], users["student-1"]
    learner = users["lti-learner"]
    assert (ta["admin"], instructor["admin"], student["admin"], learner["admin"]) == (
        False,
        True,
        False,
        False,
    )
    # The course's students' servers only (an admin's holds the shared folder read-write).
    assert {"access:servers!group=Learner", "read:servers!group=Learner", "list:users", "admin-ui"} <= set(
        ta["scopes"]
    )
    own = "access:servers!user=lti-teachingassistant"  # every user's own server (JupyterHub's user role)
    assert [scope for scope in ta["scopes"] if scope.startswith("access:servers")] == [
        "access:servers!group=Learner",
        own,
    ]
    assert (learner["groups"], ta["groups"], instructor["groups"]) == (
        ["Learner"],
        ["TeachingAssistant", "graders"],
        ["Instructor"],
    )
    assert not [scope for scope in ta["scopes"] if scope.startswith("admin:")]
    assert "admin:users" in instructor["scopes"]
    assert not [
        scope for scope in student["scopes"] if scope.startswith("access:servers") and "!user" not in scope
    ]


def test_a_profile_with_groups_is_offered_to_and_started_by_its_groups_only(reports: dict[str, Any]) -> None:
    """physics101's large profile names a GitHub team: a member sees and starts it; anyone else
    is offered the small one only, and naming the large one in the form is refused by KubeSpawner."""
    (case,) = [c for c in CASES if c.label == "gitops/clusterA/physics101"]
    users = reports[case.label][1]["users"]

    def offered(name: str) -> list[str]:
        return sorted({built["form"]["profile"][0] for built in users[name]["pods"]})

    assert offered("member-1") == ["large", "small"]
    assert users["member-1"]["hidden"] == {}
    for name in ("student-1", "prof-lee"):
        assert offered(name) == ["small"]
        assert list(users[name]["hidden"]) == ["large"]
        assert users[name]["hidden"]["large"].startswith("ValueError: No such profile: large"), users[name]


def test_every_hub_offers_each_user_the_profiles_of_their_groups(reports: dict[str, Any]) -> None:
    """For every hub with profiles by group (GitHub teams in the example; an OIDC group and LTI 1.3
    course roles in the auth-types case, the LTI users' groups set by the hub's own launch hook):
    each user is offered the profiles without groups and those of their groups, and no other."""
    gated_hubs = 0
    for case in CASES:
        _, hub = model_of(case)
        if not any(profile.groups for profile in hub.profiles):
            continue
        gated_hubs += 1
        for name, user in reports[case.label][1]["users"].items():
            mine = set(user["groups"])
            visible = sorted(p.name for p in hub.profiles if not p.groups or mine & set(p.groups))
            offered = sorted({built["form"]["profile"][0] for built in user["pods"]})
            assert offered == visible, (case.label, name, user["groups"])
            assert sorted(user["hidden"]) == sorted({p.name for p in hub.profiles} - set(visible))
            assert all(error.startswith("ValueError: No such profile") for error in user["hidden"].values())
    assert gated_hubs == 3


def test_each_profile_and_image_runs_where_and_as_big_as_the_hub_says(reports: dict[str, Any]) -> None:
    for case in CASES:
        cluster, hub = model_of(case)
        groups = node_groups(case)
        seen: dict[str, set[str]] = {}
        for _, _, built in pods(reports[case.label][1]):
            chosen = built["form"].get("profile", [None])[0]
            profile = next((p for p in hub.profiles if p.name == chosen), None)
            assert (profile is None) == (not hub.profiles), (case.label, built["form"])
            resources = profile.resources if profile else hub.resources
            group = profile.node_group if profile else MAIN_USER_GROUP
            images = profile.images if profile else (hub.image,)
            gpus = profile.gpus if profile else 0
            spec = built["pod"]["spec"]
            (notebook, *_) = spec["containers"]
            assert notebook["image"] in {f"{i.name}:{i.tag}" for i in images}
            seen.setdefault(chosen or "", set()).add(notebook["image"])
            assert spec["nodeSelector"] == {NODE_GROUP_LABEL: cluster.eksctl_name(group)}
            node_group = groups[cluster.eksctl_name(group)]
            for taint in node_group.get("taints", []):
                assert tolerated(taint, spec.get("tolerations", [])), (case.label, chosen, taint)
            wanted_limits: dict[str, Any] = {
                "cpu": resources.cpu_limit,
                "memory": byte_count(resources.memory_limit),
            }
            if gpus:
                wanted_limits[GPU_RESOURCE] = str(gpus)
            assert notebook["resources"] == {
                "requests": {
                    "cpu": resources.cpu_guarantee,
                    "memory": byte_count(resources.memory_guarantee),
                },
                "limits": wanted_limits,
            }, (case.label, chosen)
            machine = instance_type(node_group["instanceType"])
            assert machine is not None and machine.gpus >= gpus
            assert byte_count(resources.memory_limit) <= machine.memory_mib * 1024**2
        for profile in hub.profiles or ():
            assert seen[profile.name] == {f"{i.name}:{i.tag}" for i in profile.images}, (
                case.label,
                profile.name,
            )


def test_each_hub_is_served_where_its_cluster_says_and_its_login_cookie_stays_at_hub(
    reports: dict[str, Any],
) -> None:
    """JupyterHub's own base URL and login cookie: with urls: host the hub is at / of its own host,
    with urls: path at /<hub>/; in both the login cookie is scoped to the hub's /hub/ prefix, never
    to / where every user's server lives (a __Host- cookie would have to be; see render/hub.py)."""
    schemes = set()
    for case in CASES:
        cluster, hub = model_of(case)
        report = reports[case.label][1]
        schemes.add(cluster.urls)
        site = cluster.hub_site(hub.name)
        assert report["base_url"] == site.path, case.label
        assert (report["cookie"], report["cookie_path"]) == ("jupyterhub-hub-login", f"{site.path}hub/"), (
            case.label
        )
    assert schemes == {"path", "host"}


def test_spawns_wait_as_long_as_the_hub_says(reports: dict[str, Any]) -> None:
    """KubeSpawner's own start and HTTP timeouts, as z2jh's config sets them from our values."""
    overridden = 0
    for case in CASES:
        _, hub = model_of(case)
        overridden += hub.spawn != DEFAULT_SPAWN
        for user in reports[case.label][1]["users"].values():
            assert user["timeouts"] == {"start": hub.spawn.start, "http": hub.spawn.http}, case.label
    assert overridden and SpawnTimeouts(start=600, http=120) == DEFAULT_SPAWN


def test_no_user_pod_can_bind_a_low_port_unless_its_hub_says_why(reports: dict[str, Any]) -> None:
    """KubeSpawner merges the sysctl into the pod's securityContext beside z2jh's fsGroup; a hub
    with `lowPorts.reason` gets none (the extra-user-groups case opts out)."""
    seen = set()
    for case in CASES:
        _, hub = model_of(case)
        for name, _, built in pods(reports[case.label][1]):
            context = built["pod"]["spec"]["securityContext"]
            assert context["fsGroup"] == 100, (case.label, name)
            wanted = [] if hub.low_ports_reason else [LOW_PORTS_SYSCTL]
            assert context.get("sysctls", []) == wanted, (case.label, name)
            seen.add(bool(wanted))
    assert seen == {True, False}


def test_dev_shm_and_the_servers_own_settings_reach_every_pod(reports: dict[str, Any]) -> None:
    """/dev/shm as big as the profile or hub says (a GPU profile's memory limit unless set), and
    the server's and IPython's settings files mounted where Jupyter server and IPython read them
    (tests/tiers/test_server_tier.py starts both on those files)."""
    sized = set()
    for case in CASES:
        _, hub = model_of(case)
        for _, _, built in pods(reports[case.label][1]):
            chosen = built["form"].get("profile", [None])[0]
            profile = next((p for p in hub.profiles if p.name == chosen), None)
            wanted = profile.shared_memory if profile else hub.shared_memory
            spec = built["pod"]["spec"]
            (notebook, *_) = spec["containers"]
            mounts = {m["mountPath"]: m for m in notebook["volumeMounts"]}
            volumes = {v["name"]: v for v in spec["volumes"]}
            if wanted is None:
                assert SHM_MOUNT not in mounts, (case.label, chosen)
            else:
                shm = volumes[mounts[SHM_MOUNT]["name"]]
                assert shm["emptyDir"] == {"medium": "Memory", "sizeLimit": quantity(wanted)}
                assert byte_count(wanted) <= byte_count(
                    profile.resources.memory_limit if profile else hub.resources.memory_limit
                )
                sized.add((wanted, bool(profile and profile.gpus)))
            files = {SERVER_CONFIG_FILE, *([IPYTHON_CONFIG_FILE] if hub.local_databases else [])}
            assert {path for path in mounts if "/etc/" in path} == files, (case.label, chosen)
            for path in files:
                assert volumes[mounts[path]["name"]]["secret"]["secretName"] == "singleuser"
    # a GPU profile's default, a hub's own size, and a profile that turned the hub's off
    assert ("14G", True) in sized and ("2G", False) in sized
