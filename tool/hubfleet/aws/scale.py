"""`aws scale`: change a node group's sizes in cluster.yaml and in its Auto Scaling group, together.

Git is the source of truth, so the YAML and AWS must never disagree because a
command stopped half way. The order is:

1. edit the text in memory (byte for byte, comments kept; see `hubfleet.inputs.edit`) and
   run it through the same checks as `render`; a bad size stops here;
2. find the Auto Scaling group by eksctl's tags (missing or ambiguous stops here);
3. stage the new text in a temporary file beside cluster.yaml, so the one local
   step left after AWS is an atomic rename that cannot run out of space;
4. call UpdateAutoScalingGroup; if AWS refuses, the staged file is deleted and
   cluster.yaml was never touched. If the connection drops after the request may
   have been sent, the outcome is unknown: the group is read back, and the command
   goes on only if AWS shows the requested sizes; otherwise it says which sizes AWS
   shows (or that it could not tell) and that cluster.yaml was not changed;
5. rename the staged file over cluster.yaml (if even that fails, the AWS change
   is rolled back), then re-render the cluster's tree.

Writing the YAML first and restoring it on refusal would touch the file and
gitops/ twice and could leave the new sizes in git if restoring failed. A local
step that fails after AWS changed (the rename, the render) is a `LocalError`:
exit 2, like every local problem, with what was and was not changed.

MinSize and MaxSize are always sent as the YAML says; DesiredCapacity only when
asked for (`--desired`), because the cluster autoscaler owns it at run time and
AWS moves it into a new [min, max] by itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import ConnectionError as AwsConnectionError
from botocore.exceptions import HTTPClientError
from botocore.parsers import ResponseParserError

from ..core.schema_errors import dotted
from ..errors import AwsError, HubfleetError, LocalError, UsageError
from ..inputs.edit import EditPath, edit_text, read_exact
from ..inputs.load import Source, parse_text
from ..inputs.model.cluster import Cluster
from ..inputs.pipeline import Scope, load_cluster
from ..system.files import stage_beside
from ..system.lock import writing_inputs
from ..system.project import Project
from ..write.pipeline import render_project
from ..write.tree import Plan
from .session import aws_errors, one_line

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_autoscaling.type_defs import AutoScalingGroupTypeDef, UpdateAutoScalingGroupTypeTypeDef

FIELDS = ("minSize", "maxSize", "desiredCapacity")
MAIN_GROUPS = ("tools", "core", "user")


@dataclass(frozen=True)
class Sizes:
    min_size: int
    max_size: int
    desired_capacity: int

    def by_field(self) -> dict[str, int]:
        return dict(zip(FIELDS, (self.min_size, self.max_size, self.desired_capacity), strict=True))


@dataclass(frozen=True)
class SizeChange:
    """The sizes a person asked for; None leaves a size as it is."""

    min_size: int | None = None
    max_size: int | None = None
    desired_capacity: int | None = None

    def by_field(self) -> dict[str, int]:
        values = (self.min_size, self.max_size, self.desired_capacity)
        return {name: value for name, value in zip(FIELDS, values, strict=True) if value is not None}


@dataclass(frozen=True)
class SizeEdit:
    """The edited cluster.yaml of one node group, checked but not written."""

    cluster: str
    nodegroup: str
    path: Path
    file: str
    field_path: EditPath
    old_text: str
    new_text: str
    before: Sizes
    after: Sizes
    change: SizeChange


@dataclass(frozen=True)
class ScalePlan:
    """Everything `aws scale` will change, computed and checked before anything is."""

    edit: SizeEdit
    group_name: str
    aws_now: Sizes

    def request(self, sizes: Sizes) -> UpdateAutoScalingGroupTypeTypeDef:
        """UpdateAutoScalingGroup parameters for `sizes` (desired only if the person asked to set it)."""
        request: UpdateAutoScalingGroupTypeTypeDef = {
            "AutoScalingGroupName": self.group_name,
            "MinSize": sizes.min_size,
            "MaxSize": sizes.max_size,
        }
        if self.edit.change.desired_capacity is not None:
            request["DesiredCapacity"] = sizes.desired_capacity
        return request

    @property
    def aws_agrees(self) -> bool:
        now, after = self.aws_now, self.edit.after
        desired_ok = self.edit.change.desired_capacity in (None, now.desired_capacity)
        return (now.min_size, now.max_size) == (after.min_size, after.max_size) and desired_ok

    def describe(self) -> list[str]:
        edit = self.edit
        lines = [f"{edit.cluster} node group {edit.nodegroup}, Auto Scaling group {self.group_name}:"]
        before, after, now = edit.before.by_field(), edit.after.by_field(), self.aws_now.by_field()
        for name in FIELDS:
            change = f"{before[name]} -> {after[name]}" if before[name] != after[name] else f"{after[name]}"
            aws = f"AWS now {now[name]}"
            if name == "desiredCapacity" and edit.change.desired_capacity is None:
                aws += ", left to the cluster autoscaler"
            lines.append(f"  {name:<16} {change:<10} ({aws})")
        edited = "unchanged" if edit.old_text == edit.new_text else f"{dotted(edit.field_path)} edited"
        lines.append(f"  {edit.file}: {edited}")
        lines.append(f"  AWS: {'already agrees' if self.aws_agrees else 'UpdateAutoScalingGroup'}")
        return lines


def field_path(source: Source, cluster: Cluster, nodegroup: str) -> EditPath:
    """Where a node group's sizes live in cluster.yaml: a mapping key, or an entry of extraUser."""
    names = [group.name for group in cluster.node_groups]
    if nodegroup not in names:
        raise UsageError(
            "NODEGROUP", f"{cluster.name} has no node group '{nodegroup}' (node groups: {', '.join(names)})"
        )
    if nodegroup in MAIN_GROUPS:
        return ("nodeGroups", nodegroup)
    extra = source.data["nodeGroups"].get("extraUser", [])
    index = next(i for i, entry in enumerate(extra) if entry["name"] == nodegroup)
    return ("nodeGroups", "extraUser", index)


def edit_sizes(project: Project, cluster: Cluster, nodegroup: str, change: SizeChange) -> SizeEdit:
    """The edited cluster.yaml, checked like `render` checks it."""
    values = change.by_field()
    if not values:
        raise UsageError("--min/--max/--desired", "give at least one of them")
    path = project.cluster_file(cluster.name)
    file = project.relative(path)
    old_text = read_exact(path)
    source = parse_text(old_text, file)
    where = field_path(source, cluster, nodegroup)
    # edit_text refuses any edit that would change more than these fields.
    new_text = edit_text(old_text, file, {(*where, name): value for name, value in values.items()})
    # Every check `render` runs, hubs and sealed secrets included, on the text not yet written.
    edited = load_cluster(project, cluster.name, pending=(path, new_text))
    group = next(g for g in cluster.node_groups if g.name == nodegroup)
    new_group = next(g for g in edited.node_groups if g.name == nodegroup)
    return SizeEdit(
        cluster=cluster.name,
        nodegroup=nodegroup,
        path=path,
        file=file,
        field_path=where,
        old_text=old_text,
        new_text=new_text,
        before=Sizes(group.min_size, group.max_size, group.desired_capacity),
        after=Sizes(new_group.min_size, new_group.max_size, new_group.desired_capacity),
        change=change,
    )


def plan_scale(edit: SizeEdit, group: AutoScalingGroupTypeDef) -> ScalePlan:
    """The edit together with the Auto Scaling group it will update and that group's sizes now."""
    with aws_errors("reading the Auto Scaling group's sizes"):
        now = Sizes(group["MinSize"], group["MaxSize"], group["DesiredCapacity"])
        return ScalePlan(edit=edit, group_name=group["AutoScalingGroupName"], aws_now=now)


def apply_scale(project: Project, plan: ScalePlan, autoscaling: AutoScalingClient) -> Plan | None:
    """Update AWS, then cluster.yaml, then gitops/; returns the render plan (None if YAML unchanged).
    Under the project's writer lock, so a render or another scale cannot interleave."""
    with writing_inputs(project):
        return _apply_scale(project, plan, autoscaling)


def _apply_scale(project: Project, plan: ScalePlan, autoscaling: AutoScalingClient) -> Plan | None:
    edit = plan.edit
    if read_exact(edit.path) != edit.old_text:
        raise LocalError(edit.file, "changed while hubfleet was planning; nothing was changed, run again")
    staged = stage_beside(edit.path, edit.new_text) if edit.new_text != edit.old_text else None
    try:
        if not plan.aws_agrees:
            _update(plan, autoscaling)
    except BaseException:
        if staged is not None:
            staged.unlink(missing_ok=True)
        raise
    if staged is None:
        return None
    try:
        os.replace(staged, edit.path)
    except OSError as error:
        staged.unlink(missing_ok=True)
        undone = "was set back" if _roll_back(plan, autoscaling) else "could NOT be set back: fix it by hand"
        raise LocalError(edit.file, f"cannot write it ({error}); the Auto Scaling group {undone}") from None
    try:
        return render_project(project, Scope((edit.cluster,), False))
    except (HubfleetError, OSError) as error:
        raise LocalError(
            edit.file,
            f"scaled {plan.group_name} and wrote it, but rendering failed ({one_line(str(error))}); "
            f"run `hubfleet render {edit.cluster}`",
        ) from None


def _update(plan: ScalePlan, autoscaling: AutoScalingClient) -> None:
    """UpdateAutoScalingGroup. When the connection drops after the request may have been sent, the
    outcome is unknown: read the group back and go on only if AWS shows the requested sizes."""
    doing = f"updating Auto Scaling group {plan.group_name}"
    file = plan.edit.file
    with aws_errors(doing):
        try:
            autoscaling.update_auto_scaling_group(**plan.request(plan.edit.after))
            dropped = ""
        except (AwsConnectionError, HTTPClientError, ResponseParserError) as error:
            # The request may have been applied: the answer was lost or unreadable.
            dropped = one_line(str(error))[:200]
    now = _read_back(plan, autoscaling)
    if not dropped:
        # A success is believed only once the group shows it: a 200 from a proxy or a truncated
        # reply would otherwise put sizes in git that AWS never took.
        if now is not None and _shows(now, plan, plan.edit.after):
            return
        shown = (
            "could not be read back"
            if now is None
            else (f"shows min {now.min_size}, max {now.max_size}, desired {now.desired_capacity}")
        )
        raise AwsError(
            f"AWS answered the update of {plan.group_name} as done, but the group {shown}: the update is "
            f"not confirmed; {file} was not changed. See `hubfleet aws drift {plan.edit.cluster}`, then run "
            "the command again"
        )
    if now is None:
        raise AwsError(
            f"the connection dropped while {doing} ({dropped}) and the group could not be read back: AWS may or "
            f"may not have applied it; {file} was not changed. See `hubfleet aws drift {plan.edit.cluster}`, "
            "then run the command again"
        )
    if _shows(now, plan, plan.edit.after):
        return  # applied: cluster.yaml follows
    state = (
        "the update was not applied"
        if _shows(now, plan, plan.aws_now)
        else "neither the old nor the new sizes"
    )
    raise AwsError(
        f"the connection dropped while {doing} ({dropped}); read back, AWS shows min {now.min_size}, max "
        f"{now.max_size}, desired {now.desired_capacity}: {state}; {file} was not changed, run the command again"
    )


def _read_back(plan: ScalePlan, autoscaling: AutoScalingClient) -> Sizes | None:
    try:
        groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[plan.group_name])[
            "AutoScalingGroups"
        ]
        if len(groups) != 1:
            return None
        group = groups[0]
        return Sizes(int(group["MinSize"]), int(group["MaxSize"]), int(group["DesiredCapacity"]))
    except Exception:  # an answer that is not one: the outcome stays unknown, and is said to be
        return None


def _shows(now: Sizes, plan: ScalePlan, sizes: Sizes) -> bool:
    """AWS shows `sizes` (desired counts only when the command sets it)."""
    desired_ok = plan.edit.change.desired_capacity is None or now.desired_capacity == sizes.desired_capacity
    return (now.min_size, now.max_size) == (sizes.min_size, sizes.max_size) and desired_ok


def _roll_back(plan: ScalePlan, autoscaling: AutoScalingClient) -> bool:
    """Put the group back to the sizes it had; True if AWS accepted."""
    try:
        autoscaling.update_auto_scaling_group(**plan.request(plan.aws_now))
    except Exception:
        return False
    return True
