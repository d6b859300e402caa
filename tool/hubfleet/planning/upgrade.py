"""Planning: `hubfleet upgrade plan CLUSTER --to X.Y`, whether a cluster can move to the next Kubernetes
minor, and the ordered runbook that does it, with what users notice at each step.

Checks: EKS upgrades one minor at a time and never down; the target is one the version policy
allows (core/kubernetes.py); every chart the cluster deploys accepts it (its `kubeVersion`, read
from the locked package through the chart cache, or from our own chart); hubfleet pins the
images that follow the minor; and the new core nodes can take every hub's pods and volumes as
the old ones drain (planning/capacity.py, core/capacity.py). The runbook is data, laid out as text,
Markdown (an issue or a pull request) or JSON.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from typing import Any

from ruamel.yaml.error import YAMLError

from ..core.capacity import VolumeFit, instance_type
from ..core.charts import MINOR_PINNED_IMAGES
from ..core.kubernetes import (
    eks_versions,
    extended_support_warning,
    minor,
    minor_step,
    support,
    version_problem,
)
from ..core.layout import CHART_FILE, Layout
from ..core.names import HUBS, INFRA_CONTROLLERS, NODE_GROUP_LABEL, UNVERSIONED, generation_name
from ..core.package_data import shipped_charts
from ..core.risks import guard
from ..core.version_ranges import satisfies
from ..errors import Diagnostic, LocalError, UsageError
from ..inputs.model.cluster import Cluster
from ..system.project import Project
from ..system.yaml_reader import load_one
from ..upstream.cache import ChartRef, ChartSource, FetchError, read_lock
from ..upstream.packages import chart_metadata, chart_yaml, kube_version_constraint
from .capacity import core_shortfall, plan_cluster
from .revisions import git, toplevel


def upgrade_check(name: str, ok: bool, detail: str) -> Diagnostic:
    """One check of an upgrade: what was checked (`name`), what was found, and whether it passed
    (a failed check is an error; a passed one, news)."""
    return Diagnostic("", subject=name, message=detail, severity="info" if ok else "error")


def passed(check: Diagnostic) -> bool:
    return check.severity != "error"


def check_line(check: Diagnostic) -> str:
    """The check as the text output shows it."""
    return f"  {'ok' if passed(check) else 'FAIL':4} {check.subject}: {check.message}"


@dataclass(frozen=True)
class Step:
    title: str
    commands: tuple[str, ...]
    users: str


@dataclass
class UpgradePlan:
    cluster: str
    current: str
    target: str
    checks: list[Diagnostic] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    #: The generation the node groups are in now (the value `nodeGroups.retiring` takes).
    running: str = ""

    @property
    def ok(self) -> bool:
        return all(passed(check) for check in self.checks)


def refuse(cluster: Cluster, target: str, on: date) -> None:
    """A usage error for a target EKS cannot reach from here in one step."""
    current, option = cluster.kubernetes_version, f"--to {target}"
    if minor(target) < 0:
        raise UsageError(option, "give a Kubernetes minor version such as 1.35")
    if target == current:
        raise UsageError(option, f"{cluster.name} already runs Kubernetes {current}")
    if minor(target) < minor(current):
        raise UsageError(
            option, guard("kubernetes-downgrade", "upgrade", cluster=cluster.name, old=current, new=target)
        )
    if minor(target) > minor(current) + 1:
        step = minor_step(current, 1)
        raise UsageError(
            option, guard("kubernetes-skip", "upgrade", cluster=cluster.name, old=current, step=step)
        )
    problem = version_problem(target, on)
    if problem:
        raise UsageError(option, problem)
    if cluster.retiring is not None:
        config = Layout().eksctl_config(cluster.name)
        raise UsageError(option, f"{cluster.name} is still retiring its {cluster.retiring} node groups: once "
                         "their nodes are drained, remove nodeGroups.retiring, merge, and run `eksctl delete "
                         f"nodegroup -f {config} --only-missing --approve` first")  # fmt: skip


def _package_kube_version(source: ChartSource, ref: ChartRef, digest: str) -> str | None:
    return kube_version_constraint(chart_yaml(source.package(ref, digest)))


def _shipped_kube_version(text: bytes) -> str | None:
    return kube_version_constraint(chart_metadata(text))


def _chart_check(name: str, read: Callable[[], str | None], target: str) -> Diagnostic:
    try:
        constraint = read()
    except (FetchError, OSError, ValueError, tarfile.TarError) as error:
        return upgrade_check(f"chart {name}", False, f"could not be read: {error}")
    if constraint is None:
        return upgrade_check(f"chart {name}", True, "sets no kubeVersion")
    # EKS reports a pre-release (v1.35.2-eks-...): Helm then needs a `-0` in the constraint.
    if satisfies(f"{target}.0", constraint, prerelease=True):
        return upgrade_check(f"chart {name}", True, f"kubeVersion {constraint} accepts {target}")
    plain = satisfies(f"{target}.0", constraint)
    why = " (as EKS reports it, a pre-release; the constraint needs a -0 suffix)" if plain else ""
    return upgrade_check(f"chart {name}", False, f"kubeVersion {constraint} does not accept {target}{why}")


def chart_checks(project: Project, cluster: Cluster, target: str, source: ChartSource) -> list[Diagnostic]:
    checks = []
    try:
        lock = read_lock(project.charts_lock)
    except FetchError as error:
        return [upgrade_check("charts.lock", False, str(error))]
    for chart in cluster.deployed_charts:
        ref = ChartRef(chart.repository.url, chart.chart, cluster.charts.of(chart))
        label = f"{chart.chart} {ref.version}"
        digest = lock.get(ref)
        if digest is None:
            checks.append(
                upgrade_check(f"chart {label}", False, "not in charts.lock; run `hubfleet charts lock`")
            )
            continue
        checks.append(_chart_check(label, partial(_package_kube_version, source, ref, digest), target))
    # The charts this hubfleet ships are what the next render puts in the tree (render/charts.py).
    for path, text in sorted(shipped_charts().items()):
        folder, _, name = path.partition("/")
        if name == CHART_FILE:
            checks.append(_chart_check(f"charts/{folder}", partial(_shipped_kube_version, text), target))
    return checks


def capacity_checks(cluster: Cluster, target: str) -> list[Diagnostic]:
    """The new core group alone must take every hub's core pods and volumes, old nodes drained."""
    moved = replace(cluster, kubernetes_version=target)
    shortfall = core_shortfall(plan_cluster(moved))
    checks = [
        upgrade_check("core pods", shortfall is None, shortfall or "the new core group at maxSize holds them")
    ]
    core = cluster.node_group("core")
    facts = instance_type(core.instance_type)
    if facts is not None:
        fit = VolumeFit(len(cluster.hubs), cluster.core_volumes, core.max_size, facts)
        checks.append(upgrade_check("core volumes", fit.fits, fit.describe()))
    return checks


def image_checks(target: str) -> list[Diagnostic]:
    return [
        upgrade_check(f"image {image}", target in tags, f"pinned {tags[target]}" if target in tags
              else f"hubfleet pins no tag for {target}; add one to core/charts.py")
        for image, tags in MINOR_PINNED_IMAGES.items()
    ]  # fmt: skip


def _committed_config(project: Project, cluster: Cluster) -> tuple[bytes, str]:
    """The cluster's ClusterConfig as last committed (what eksctl last applied, most likely), else
    as in the work tree (a render run since must not hide plain-named groups), and which it was."""
    relative = Layout().eksctl_config(cluster.name)
    try:
        top, prefix = toplevel(project.root)
        return git(top, "show", f"HEAD:{prefix}{relative}", what="git"), f"{relative} as committed"
    except (UsageError, LocalError) as error:
        why = error.message.splitlines()[0] if error.message else "git failed"
        return (project.root / relative).read_bytes(), f"{relative} in the work tree (not from git: {why})"


def running_generation(project: Project, cluster: Cluster) -> tuple[str, str]:
    """The generation the cluster's node groups are in now, and where that was read: UNVERSIONED
    when the committed ClusterConfig's groups carry plain names (made before hubfleet named
    generations), else the cluster's Kubernetes version."""
    try:
        text, where = _committed_config(project, cluster)
        loaded = load_one(text.decode("utf-8"))
    except (OSError, YAMLError, UnicodeDecodeError):
        return (
            cluster.kubernetes_version,
            f"{Layout().eksctl_config(cluster.name)} could not be read: assumed",
        )
    groups = loaded.get("nodeGroups") if isinstance(loaded, dict) else None
    names = [g.get("name") for g in groups if isinstance(g, dict)] if isinstance(groups, list) else []
    plain = {g.name for g in cluster.node_groups} & {n for n in names if isinstance(n, str)}
    return (UNVERSIONED if plain else cluster.kubernetes_version), where


def _in(groups: list[str]) -> str:
    """A label selector for nodes of the named eksctl groups."""
    return f"'{NODE_GROUP_LABEL} in ({','.join(groups)})'"


def runbook(cluster: Cluster, target: str, running: str) -> list[Step]:
    """The steps from `cluster`'s version to `target`, its groups now in generation `running`."""
    name, config = cluster.name, Layout().repo_path(Layout().eksctl_file(cluster.name))
    old = (
        cluster.kubernetes_version
        if running != UNVERSIONED
        else f"{cluster.kubernetes_version} ({UNVERSIONED})"
    )
    fixed = [generation_name(group.name, running) for group in cluster.node_groups if group.role != "user"]
    users = [generation_name(group.name, running) for group in cluster.node_groups if group.role == "user"]
    drain = "--ignore-daemonsets --delete-emptydir-data"
    return [
        Step(f'On a branch, set kubernetesVersion: "{target}" and nodeGroups.retiring: "{running}" in '
             f"clusters/{name}/cluster.yaml (`upgrade start` does both) and render: the ClusterConfig gains a "
             f"{target} generation of every node group beside the {old} one",
             (f"hubfleet upgrade start {name} --to {target}", f"hubfleet render {name}", "hubfleet plan",
              f"git commit -am 'Kubernetes {target}'"),
             "nothing yet: the branch is not merged"),
        Step("Raise the control plane, from the branch, before merging",
             (f"eksctl upgrade cluster -f {config} --approve",),
             "nothing: hubs and servers keep running (about 10 minutes; kubectl may retry)"),
        Step(f"Create the {target} node groups, from the branch (--only-missing leaves the {old} ones as they are)",
             (f"eksctl create nodegroup -f {config} --only-missing",),
             "nothing: new nodes join beside the old ones"),
        Step(f"Cordon the {old} core and tools nodes, so that pods restarted from here on start on new ones",
             (f"kubectl cordon -l {_in(fixed)}",),
             "nothing: running pods stay"),
        Step("Merge: Flux moves the cluster autoscaler and every hub's user-scheduler to the new minor, and new "
             f"servers to the {target} groups; the autoscaler now grows only those",
             ("git push (then merge the pull request)",
              f"flux reconcile kustomization {INFRA_CONTROLLERS} --with-source",
              f"flux reconcile kustomization {HUBS} --with-source"),
             "running servers are untouched; each hub restarts on a new core node, its database volume moving "
             "with it (logins pause for about a minute), and new servers start on new nodes"),
        Step("Update the add-ons (EBS CSI driver, kube-proxy, CoreDNS: the newest for the new minor; the VPC CNI "
             "stays at hubfleet's pin)",
             (f"eksctl update addon -f {config}",),
             "nothing: networking and DNS roll one pod at a time"),
        Step(f"Drain the {old} core and tools nodes one at a time",
             (f"kubectl drain -l {_in(fixed)} {drain}",),
             "core: each drive's NFS server moves to a new core node in the same zone within a minute or two; "
             "file access pauses (hard mounts) and resumes, nothing is lost; logins fail for about a minute as "
             "the hub moves. tools: the two ingress replicas move one at a time, hubs stay reachable"),
        Step(f"Empty the {old} user nodes: list the servers still on them (the NODE column), let the idle culler "
             "stop them, or drain the nodes outside teaching hours (--force: a user's server has no controller "
             "to recreate it elsewhere)",
             (f"kubectl cordon -l {_in(users)}", "kubectl get pods -A -l component=singleuser-server -o wide",
              f"kubectl drain -l {_in(users)} {drain} --force"),
             "servers still on these nodes stop; users start them again, on new nodes"),
        Step(f"Retire the {old} generation once no hub pod or server runs on its nodes (they stay up, empty, "
             "until deleted): on a new branch remove nodeGroups.retiring (`upgrade finish`), render and merge, "
             "then delete them",
             (f"hubfleet upgrade finish {name}", f"hubfleet render {name}", "hubfleet plan",
              f"git commit -am 'Retire the {old} node groups'",
              f"eksctl delete nodegroup -f {config} --only-missing --approve", f"hubfleet aws drift {name}"),
             "nothing: their nodes are empty"),
    ]  # fmt: skip


def plan_upgrade(
    project: Project, cluster: Cluster, target: str, source: ChartSource, on: date
) -> UpgradePlan:
    refuse(cluster, target, on)
    plan = UpgradePlan(cluster.name, cluster.kubernetes_version, target)
    found = eks_versions()[target]
    state = support(target, on)
    until = found.end_of_standard if state == "standard" else found.end_of_extended
    plan.checks.append(upgrade_check("version", True, f"{target} is in EKS {state} support until {until}"))
    warning = extended_support_warning(cluster.kubernetes_version, on)
    if warning:
        plan.checks.append(upgrade_check("today", True, warning))
    plan.checks += image_checks(target)
    plan.checks += chart_checks(project, cluster, target, source)
    plan.checks += capacity_checks(cluster, target)
    plan.running, where = running_generation(project, cluster)
    plan.checks.append(upgrade_check("node groups", True, f"in generation {plan.running}, from {where}"))
    plan.steps = runbook(cluster, target, plan.running)
    return plan


def plan_json(plan: UpgradePlan) -> dict[str, Any]:
    return {
        "cluster": plan.cluster,
        "from": plan.current,
        "to": plan.target,
        "ok": plan.ok,
        "checks": [{"name": c.subject, "ok": passed(c), "detail": c.message} for c in plan.checks],
        "steps": [{"title": s.title, "commands": list(s.commands), "users": s.users} for s in plan.steps],
    }


def text_lines(plan: UpgradePlan, markdown: bool = False) -> list[str]:
    head = f"{plan.cluster}: Kubernetes {plan.current} -> {plan.target}"
    lines = [f"## {head}" if markdown else head, ""]
    lines.append("### Checks" if markdown else "checks:")
    for check in plan.checks:
        mark = "ok" if passed(check) else "FAIL"
        lines.append(f"- **{mark}** {check.subject}: {check.message}" if markdown else check_line(check))
    lines += ["", "### Runbook" if markdown else "runbook:"]
    for number, step in enumerate(plan.steps, 1):
        lines.append(f"{number}. {step.title}" if markdown else f"  {number}. {step.title}")
        lines += [f"   - `{c}`" if markdown else f"       $ {c}" for c in step.commands]
        lines.append(f"   - users: {step.users}" if markdown else f"       users: {step.users}")
    return lines  # fmt: skip
