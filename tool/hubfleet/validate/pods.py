"""Every pod a hub's users can get, built by the hub image's own JupyterHub and KubeSpawner.

With `--hub-python` (or HUBFLEET_HUB_PYTHON): a Python whose environment holds the packages
of z2jh's hub image (`make hub-venv`). For each active hub, the hub container's files are taken
from `helm template` of the real chart (its ConfigMap and Secret, sealed values as
placeholders), z2jh's own `jupyterhub_config.py` runs in that Python, and every user a hub has
(an ordinary user, each admin, LTI instructors and TAs) is spawned through JupyterHub with each
choice of KubeSpawner's options form (validate/spawn_pods.py). A form KubeSpawner cannot turn
into a pod, or a pod the cluster's Kubernetes would refuse, is a finding naming the hub, the
profile and the role, with KubeSpawner's or the schema's own message.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from ..core.auth import (
    GRADERS,
    LTI_CONTEXT_CLAIM,
    LTI_DEPLOYMENT_CLAIM,
    LTI_MEMBERSHIP,
    LTI_ROLES_CLAIM,
    secret_keys,
)
from ..core.charts import JUPYTERHUB
from ..errors import ToolError, UsageError
from ..inputs.model.cluster import Cluster, Hub
from ..system import settings
from ..upstream.packages import chart_files
from .charts import ChartRelease
from .findings import Tally
from .manifests import Manifest
from .schemas import JsonSchemaChecker, schema_issues

#: The pods KubeSpawner built, by (cluster, hub namespace).
UserPods = dict[tuple[str, str], list[dict[str, Any]]]
SPAWN_SCRIPT = Path(__file__).with_name("spawn_pods.py")
#: Where z2jh's hub image reads its configuration (every hub mount is staged under the folder).
Z2JH_ETC = "/usr/local/etc/jupyterhub"
Z2JH_FILES = ("jupyterhub_config.py", "z2jh.py")
#: Seconds one hub's JupyterHub may take to build every pod of every user.
SPAWN_TIMEOUT = 300
#: The LTI course roles a hub's users are tried with (besides an ordinary user and each admin).
TRIED_LTI_ROLES = ("Instructor", "Learner", "TeachingAssistant")


def hub_python(option: str | None) -> str | None:
    """The hub-side Python given by --hub-python or the environment; UsageError if it is not one."""
    given = option or settings.hub_python()
    if not given:
        return None
    path = Path(given)
    if not path.is_file() or not os.access(path, os.X_OK):
        raise UsageError("--hub-python", f"{given} is not an executable Python (e.g. .venv-hub/bin/python)")
    return str(path)


def z2jh_files(chart: Path) -> dict[str, str]:
    """z2jh's hub configuration files, from the chart package or folder helm templated."""
    wanted = {f"files/hub/{name}": name for name in Z2JH_FILES}
    found = chart_files(chart, lambda inside: inside in wanted)
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise ToolError(str(chart), f"has no {missing[0]}: it is not the z2jh chart hubfleet templates")
    return {wanted[inside]: text.decode() for inside, text in sorted(found.items())}


def rehome(text: str, mounts: Iterable[str], root: Path) -> str:
    for mount in sorted(mounts, key=len, reverse=True):
        text = text.replace(mount, f"{root}{mount}")
    return text


def users_of(values: dict[str, Any], hub: Hub) -> list[dict[str, Any]]:
    """An ordinary user, every configured admin and grader, and for an LTI 1.3 hub an instructor
    and a TA launched from the hub's own deployment and course."""
    config = values["hub"]["config"]
    users: list[dict[str, Any]] = [{"name": "student-1", "role": "user"}]
    users += [
        {"name": name, "role": "admin"} for name in config.get("Authenticator", {}).get("admin_users", [])
    ]
    graders = values["hub"].get("loadRoles", {}).get(GRADERS, {}).get("users", [])
    users += [{"name": name, "role": "grader"} for name in graders]
    # A member of each group a profile names, with the groups a login would give them.
    gated = sorted({group for profile in hub.profiles for group in profile.groups})
    users += [
        {"name": f"member-{index}", "role": "user", "groups": [group]} for index, group in enumerate(gated, 1)
    ]
    platform = hub.auth.lti13
    if "LTI13Authenticator" in config and platform is not None:
        accepted: dict[str, Any] = {}
        if platform.deployment_ids:
            accepted[LTI_DEPLOYMENT_CLAIM] = platform.deployment_ids[0]
        if platform.context_ids:
            accepted[LTI_CONTEXT_CLAIM] = {"id": platform.context_ids[0]}
        for role in TRIED_LTI_ROLES:
            claims = {**accepted, LTI_ROLES_CLAIM: [f"{LTI_MEMBERSHIP}#{role}"]}
            users.append({"name": f"lti-{role.lower()}", "role": role, "auth_state": claims})
    return users


def _secret_data(secret: dict[str, Any]) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    return {**data, **(secret.get("stringData") or {})}


def stage_hub(
    objects: list[dict[str, Any]],
    values: dict[str, Any],
    namespace: str,
    chart: Path,
    sealed: Callable[[str], str],
    hub: Hub,
    folder: Path,
) -> None:
    """The folder spawn_pods.py reads: the hub container's mounts and environment from the chart's
    output (`sealed(key)` stands in for each value of the hub's sealed login Secret)."""
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in objects}
    pod = by_kind[("Deployment", "hub")]["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == "hub"]
    hub_secret = _secret_data(by_kind[("Secret", "hub")])
    (folder / "singleuser-files.json").write_text(
        json.dumps(_secret_data(by_kind.get(("Secret", "singleuser"), {})))
    )
    volumes = {v["name"]: v for v in pod["volumes"]}
    root = folder / "root"
    mounts = []
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        target = root / mount["mountPath"].lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        mounts.append(mount["mountPath"])
        files: dict[str, str] = {}
        if "configMap" in volume:
            files = by_kind[("ConfigMap", volume["configMap"]["name"])]["data"]
        elif "secret" in volume and volume["secret"]["secretName"] == "hub":
            files = hub_secret
        elif "secret" in volume:
            files = {key: sealed(key) for key in secret_keys(hub.auth_type, hub.admins)}
        for key, text in files.items():
            (target / key).write_text(text)
    # The hub's extraConfig reads its own mounts (the native admins' initial passwords).
    secret_values = root / Z2JH_ETC.lstrip("/") / "secret" / "values.yaml"
    secret_values.write_text(
        rehome(secret_values.read_text(), [m for m in mounts if not m.startswith(Z2JH_ETC)], root)
    )
    (folder / "z2jh").mkdir()
    for name, text in z2jh_files(chart).items():
        (folder / "z2jh" / name).write_text(rehome(text, [Z2JH_ETC], root))
    env = {}
    for item in container.get("env", []):
        source = item.get("valueFrom", {})
        if "value" in item:
            env[item["name"]] = str(item["value"])
        elif "fieldRef" in source:
            env[item["name"]] = namespace  # the one field z2jh reads: metadata.namespace
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            env[item["name"]] = hub_secret[ref["key"]] if ref["name"] == "hub" else sealed(ref["key"])
    # kubelet's service links (enableServiceLinks): every Service of the namespace.
    for index, service in enumerate(d for d in objects if d["kind"] == "Service"):
        prefix = service["metadata"]["name"].upper().replace("-", "_")
        env[f"{prefix}_SERVICE_HOST"] = f"10.100.0.{index + 1}"
        env[f"{prefix}_SERVICE_PORT"] = str(service["spec"]["ports"][0]["port"])
    kubeconfig = folder / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "stand-in",
        "clusters": [{"name": "stand-in", "cluster": {"server": "https://127.0.0.1:9"}}],
        "contexts": [{"name": "stand-in", "context": {"cluster": "stand-in", "user": "u", "namespace": namespace}}],
        "users": [{"name": "u", "user": {"token": "never-used"}}],
    }))  # fmt: skip
    env["KUBECONFIG"] = str(kubeconfig)
    (folder / "work").mkdir()
    profiles = [profile.name for profile in hub.profiles]
    (folder / "request.json").write_text(
        json.dumps({"env": env, "users": users_of(values, hub), "profiles": profiles})
    )


def spawn(python: str, folder: Path) -> dict[str, Any] | str:
    """spawn_pods.py's report, or why it did not finish (its last lines)."""
    try:
        done = subprocess.run(
            [python, str(SPAWN_SCRIPT), str(folder)], capture_output=True, text=True, timeout=SPAWN_TIMEOUT,
            check=False, env={"PATH": settings.search_path(), "HOME": str(folder)},
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"the hub could not be started: {error}"
    if done.returncode != 0:
        last = [line for line in done.stderr.splitlines() if line.strip()][-1:] or ["no message"]
        return f"z2jh's configuration did not start JupyterHub: {last[0]}"
    report: dict[str, Any] = json.loads((folder / "report.json").read_text())
    return report


def form_name(form: dict[str, list[str]]) -> str:
    """How a person names a choice of the options form: the profile, and an option's value."""
    profile = form.get("profile", [""])[0]
    options = [value for name, values in form.items() if name != "profile" for value in values]
    return (f"profile {profile}" if profile else "the hub's server") + "".join(f", {o}" for o in options)


def pod_findings(
    report: dict[str, Any] | str,
    roles: dict[str, str],
    checker: JsonSchemaChecker,
    kubernetes: str,
    hub: Hub,
    tally: Tally,
    built_pods: list[dict[str, Any]],
) -> int:
    """Findings for one hub's report; the number of pods checked. Every pod built is added to
    `built_pods` (the reachability check's user pods)."""
    check = f"pods:{hub.name}"
    tally.checked(check)
    if isinstance(report, str):
        tally.fail(check, hub.source_file, 0, f"hub {hub.name}", report)
        return 0
    path = checker.schema_path("v1", "Pod", kubernetes)
    validator = checker.cache.validator(path) if path is not None else None
    count = 0
    for name, user in report["users"].items():
        role = roles.get(name, "user")
        for built in user["pods"]:
            subject = f"hub {hub.name}, {form_name(built['form'])}, {role}"
            if "error" in built:
                tally.fail(
                    check,
                    hub.source_file,
                    0,
                    subject,
                    f"KubeSpawner cannot build the server: {built['error']}",
                )
                continue
            count += 1
            built_pods.append(built["pod"])
            for issue in schema_issues(validator, built["pod"]) if validator is not None else []:
                tally.fail(
                    check,
                    hub.source_file,
                    0,
                    subject,
                    f"the server's pod is not valid for Kubernetes {kubernetes}: {issue.field}: {issue.message}",
                )
    return count


def hub_of_release(clusters: Iterable[Cluster], release_path: str) -> tuple[Cluster, Hub] | None:
    """The cluster and hub whose JupyterHub HelmRelease is at gitops/hubs/<cluster>/<hub>/..."""
    parts = Path(release_path).parts
    for cluster in clusters:
        for hub in cluster.hubs:
            if len(parts) >= 3 and parts[-3:-1] == (cluster.name, hub.name):
                return cluster, hub
    return None


def check_pods(
    found: Iterable[tuple[ChartRelease, Manifest]],
    clusters: Iterable[Cluster],
    python: str,
    checker: JsonSchemaChecker,
    pool: Executor,
    workdir: Path,
    tally: Tally,
) -> UserPods:
    """Build and check every pod of every active hub's JupyterHub release; the pods built, by
    cluster and the hub's namespace."""
    outputs: dict[str, tuple[ChartRelease, list[dict[str, Any]]]] = {}
    for release, manifest in found:
        if release.chart.startswith(f"{JUPYTERHUB.chart} "):
            outputs.setdefault(release.manifest.path, (release, []))[1].append(manifest.data)
    jobs = []
    for index, (path, (release, objects)) in enumerate(sorted(outputs.items())):
        owner = hub_of_release(clusters, path)
        if owner is None:
            continue
        cluster, hub = owner
        folder = workdir / f"pods-{index}"
        folder.mkdir()
        stage_hub(objects, release.values, release.namespace, release.chart_dir, stand_in, hub, folder)
        roles = {u["name"]: str(u["role"]) for u in users_of(release.values, hub)}
        where = (cluster.name, release.namespace)
        jobs.append((hub, where, release.version, roles, pool.submit(spawn, python, folder)))
    built: UserPods = {}
    for hub, where, version, roles, future in jobs:
        pod_findings(future.result(), roles, checker, version, hub, tally, built.setdefault(where, []))
    return built


def stand_in(key: str) -> str:
    """A sealed value's stand-in: long enough for every password rule hubfleet and JupyterHub apply."""
    return f"sealed-{key}-" + "x" * 40
