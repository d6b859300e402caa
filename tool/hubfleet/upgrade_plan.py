"""`hubfleet upgrade plan CLUSTER --to X.Y`: whether a cluster can move to the next Kubernetes
minor, and the ordered runbook that does it, with what users notice at each step.

Checks: EKS upgrades one minor at a time and never down; the target is one the version policy
allows (core/kubernetes.py); every chart the cluster deploys accepts it (its `kubeVersion`, read
from the locked package through the chart cache, or from our own chart); hubfleet pins the
images that follow the minor; and the new core nodes can take every hub's pods and volumes as
the old ones drain (capacity_plan, core/capacity). The runbook is data, laid out as text,
Markdown (an issue or a pull request) or JSON.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .capacity_plan import core_shortfall, plan_cluster
from .chartcache import ChartRef, ChartSource, FetchError, read_lock
from .core.capacity import VolumeFit, instance_type
from .core.charts import MINOR_PINNED_IMAGES, MONITORING_CHARTS, UPSTREAM_CHARTS
from .core.kubernetes import eks_versions, extended_support_warning, minor, support, version_problem
from .core.version_ranges import satisfies
from .errors import UsageError
from .model import Cluster
from .project import Project


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


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
    checks: list[Check] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def refuse(cluster: Cluster, target: str, on: date) -> None:
    """A usage error for a target EKS cannot reach from here in one step."""
    current, option = cluster.kubernetes_version, f"--to {target}"
    if minor(target) < 0:
        raise UsageError(option, "give a Kubernetes minor version such as 1.35")
    if target == current:
        raise UsageError(option, f"{cluster.name} already runs Kubernetes {current}")
    if minor(target) < minor(current):
        raise UsageError(
            option, f"{cluster.name} runs {current}; EKS cannot take a control plane back to {target}"
        )
    if minor(target) > minor(current) + 1:
        step = f"1.{minor(current) + 1}"
        raise UsageError(option, f"{cluster.name} runs {current}; EKS upgrades one minor version at a time: plan "
                         f"{step} first")  # fmt: skip
    problem = version_problem(target, on)
    if problem:
        raise UsageError(option, problem)


def _kube_version(package: Path) -> str | None:
    """The `kubeVersion` of a chart package or folder, None when it has none."""
    if package.is_dir():
        text = (package / "Chart.yaml").read_text(encoding="utf-8")
    else:
        with tarfile.open(package) as tar:
            member = next(m for m in tar if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml"))
            handle = tar.extractfile(member)
            text = handle.read().decode() if handle else ""
    try:
        data = YAML(typ="safe").load(io.StringIO(text))
    except (YAMLError, ValueError):
        return None
    found = data.get("kubeVersion") if isinstance(data, dict) else None
    return str(found) if found else None


def _chart_check(name: str, constraint: str | None, target: str) -> Check:
    if constraint is None:
        return Check(f"chart {name}", True, "sets no kubeVersion")
    ok = satisfies(f"{target}.0", constraint)
    verdict = "accepts" if ok else "does not accept"
    return Check(f"chart {name}", ok, f"kubeVersion {constraint} {verdict} {target}")


def chart_checks(project: Project, cluster: Cluster, target: str, source: ChartSource) -> list[Check]:
    checks = []
    try:
        lock = read_lock(project.charts_lock)
    except FetchError as error:
        return [Check("charts.lock", False, str(error))]
    for chart in UPSTREAM_CHARTS:
        if chart in MONITORING_CHARTS and cluster.monitoring is None:
            continue
        ref = ChartRef(chart.repository.url, chart.chart, cluster.charts.of(chart))
        label = f"{chart.chart} {ref.version}"
        digest = lock.get(ref)
        if digest is None:
            checks.append(Check(f"chart {label}", False, "not in charts.lock; run `hubfleet charts lock`"))
            continue
        try:
            checks.append(_chart_check(label, _kube_version(source.package(ref, digest)), target))
        except (FetchError, OSError, StopIteration, tarfile.TarError) as error:
            checks.append(Check(f"chart {label}", False, f"could not be read ({error or 'no Chart.yaml'})"))
    for folder in sorted(p.parent for p in (project.root / "charts").glob("*/Chart.yaml")):
        checks.append(_chart_check(f"charts/{folder.name}", _kube_version(folder), target))
    return checks


def capacity_checks(cluster: Cluster, target: str) -> list[Check]:
    """The new core group alone must take every hub's core pods and volumes, old nodes drained."""
    moved = replace(cluster, kubernetes_version=target)
    shortfall = core_shortfall(plan_cluster(moved))
    checks = [Check("core pods", shortfall is None, shortfall or "the new core group at maxSize holds them")]
    core = cluster.node_group("core")
    facts = instance_type(core.instance_type)
    if facts is not None:
        fit = VolumeFit(len(cluster.hubs), cluster.core_volumes, core.max_size, facts)
        checks.append(Check("core volumes", fit.fits, fit.describe()))
    return checks


def image_checks(target: str) -> list[Check]:
    return [
        Check(f"image {image}", target in tags, f"pinned {tags[target]}" if target in tags
              else f"hubfleet pins no tag for {target}; add one to core/charts.py")
        for image, tags in MINOR_PINNED_IMAGES.items()
    ]  # fmt: skip


def runbook(cluster: Cluster, target: str) -> list[Step]:
    name, config = cluster.name, f"gitops/eksctl/{cluster.name}.yaml"
    groups = [group.name for group in cluster.node_groups]
    return [
        Step(f'On a branch, set kubernetesVersion: "{target}" in clusters/{name}/cluster.yaml and render',
             (f"make render CLUSTER={name}", "hubfleet plan", f"git commit -am 'Kubernetes {target}'"),
             "nothing yet: the branch is not merged"),
        Step("Raise the control plane, from the branch, before merging",
             (f"eksctl upgrade cluster -f {config} --approve",),
             "nothing: hubs and servers keep running (about 10 minutes; kubectl may retry)"),
        Step("Merge: Flux moves the cluster autoscaler and every hub's user-scheduler to the new minor",
             ("git push (then merge the pull request)", "flux reconcile kustomization infra-controllers --with-source"),
             "new servers start as before; a scheduler restarts in seconds"),
        Step("Update the add-ons to the new minor's versions",
             (f"eksctl update addon -f {config}", f"eksctl utils update-kube-proxy --cluster {name} --approve",
              f"eksctl utils update-coredns --cluster {name} --approve"),
             "nothing: DNS and networking roll one pod at a time"),
        Step("Replace each node group (unmanaged groups cannot change their AMI in place): create a copy "
             "under a new name, wait for its nodes, then drain and delete the old one",
             (f"eksctl create nodegroup -f <a copy of {config} whose groups are renamed, e.g. core-{target.replace('.', '')}>",
              "kubectl cordon NODE (every node of the old group)",
              "kubectl drain NODE --ignore-daemonsets --delete-emptydir-data (one node at a time)",
              *(f"eksctl delete nodegroup --cluster {name} --name {group} --approve" for group in groups)),
             "core: each drive's NFS server moves to a new core node in the same zone within a minute or two; "
             "file access pauses (hard mounts) and resumes, nothing is lost; logins fail for about a minute as "
             "the hub moves. user: draining stops the servers there: drain outside teaching hours, or let the "
             "idle culler empty the nodes. tools: the two ingress replicas move one at a time"),
    ]  # fmt: skip


def plan_upgrade(
    project: Project, cluster: Cluster, target: str, source: ChartSource, on: date
) -> UpgradePlan:
    refuse(cluster, target, on)
    plan = UpgradePlan(cluster.name, cluster.kubernetes_version, target)
    found = eks_versions()[target]
    state = support(target, on)
    until = found.end_of_standard if state == "standard" else found.end_of_extended
    plan.checks.append(Check("version", True, f"{target} is in EKS {state} support until {until}"))
    warning = extended_support_warning(cluster.kubernetes_version, on)
    if warning:
        plan.checks.append(Check("today", True, warning))
    plan.checks += image_checks(target)
    plan.checks += chart_checks(project, cluster, target, source)
    plan.checks += capacity_checks(cluster, target)
    plan.steps = runbook(cluster, target)
    return plan


def plan_json(plan: UpgradePlan) -> dict[str, Any]:
    return {
        "cluster": plan.cluster,
        "from": plan.current,
        "to": plan.target,
        "ok": plan.ok,
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in plan.checks],
        "steps": [{"title": s.title, "commands": list(s.commands), "users": s.users} for s in plan.steps],
    }


def text_lines(plan: UpgradePlan, markdown: bool = False) -> list[str]:
    head = f"{plan.cluster}: Kubernetes {plan.current} -> {plan.target}"
    lines = [f"## {head}" if markdown else head, ""]
    lines.append("### Checks" if markdown else "checks:")
    for check in plan.checks:
        mark = "ok" if check.ok else "FAIL"
        lines.append(
            f"- **{mark}** {check.name}: {check.detail}"
            if markdown
            else f"  {mark:4} {check.name}: {check.detail}"
        )
    lines += ["", "### Runbook" if markdown else "runbook:"]
    for number, step in enumerate(plan.steps, 1):
        lines.append(f"{number}. {step.title}" if markdown else f"  {number}. {step.title}")
        lines += [f"   - `{c}`" if markdown else f"       $ {c}" for c in step.commands]
        lines.append(f"   - users: {step.users}" if markdown else f"       users: {step.users}")
    return lines  # fmt: skip
