"""`hubfleet plan [CLUSTER...]` (what a change does) and `hubfleet plan comment FILE` (post it on
the pull request). `plan capacity` lives beside them in plan_command.py."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..context import Context, pass_context
from ..core.files import Refused, read_regular
from ..edit import write_atomic
from ..errors import FindingsError, LocalError, os_error
from .changes import plan_changes
from .github import from_environment, post_plan
from .report import COMMENT_LIMIT, markdown_report, plan_json, text_report
from .revisions import WORKTREE

#: A plan file `plan --format github` writes is cut to COMMENT_LIMIT; anything far larger is not one.
MAX_PLAN = 16 * 1024 * 1024

FORMATS = ("text", "json", "markdown", "github")


@click.command("changes")
@click.argument("clusters", nargs=-1)
@click.option(
    "--base",
    default="main",
    show_default=True,
    help="The revision the change goes into; the plan starts where the head left it (their merge base).",
)
@click.option(
    "--head",
    default=WORKTREE,
    show_default=True,
    help=f"A revision, or `{WORKTREE}`: the files as they are now, committed or not.",
)
@click.option("--format", "output", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--no-expand",
    is_flag=True,
    help="Do not expand changed HelmReleases through their charts (no helm, no chart packages).",
)
@click.option(
    "--artifact",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the whole plan here: JSON for a .json name, Markdown otherwise.",
)
@pass_context
def changes(
    ctx: Context,
    clusters: tuple[str, ...],
    base: str,
    head: str,
    output: str,
    no_expand: bool,
    artifact: Path | None,
) -> None:
    """What the change does to each cluster: objects added, changed and removed (secret values
    never shown), HelmReleases Flux will upgrade, hubs affected, and risk flags. Exit 1 when a
    flag is blocking (a change that would lose data), 2 on bad input or an unknown revision."""
    plan = plan_changes(ctx.project, base, head, clusters, expand=not no_expand)
    if artifact is not None:
        full = (
            json.dumps(plan_json(plan), indent=2) + "\n"
            if artifact.suffix == ".json"
            else markdown_report(plan)
        )
        try:
            write_atomic(artifact, full)
        except OSError as error:
            raise os_error(error, str, "write the plan") from None
    if output == "json":
        click.echo(json.dumps(plan_json(plan), indent=2))
    elif output == "text":
        click.echo("\n".join(text_report(plan)))
    else:
        limit = COMMENT_LIMIT if output == "github" else None
        click.echo(markdown_report(plan, limit, marker=output == "github"), nl=False)
    if plan.blocking:
        count = len(plan.blocking)
        raise FindingsError(f"{count} blocking risk flag{'s' if count != 1 else ''}: see above")


@click.command("comment")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def comment(file: Path) -> None:
    """Post FILE (from `plan --format github`) as the pull request's plan comment, or update the
    one posted before. Reads GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH and GITHUB_API_URL."""
    try:
        body = read_regular(file, MAX_PLAN).decode("utf-8")
    except Refused as refused:
        raise LocalError(str(file), refused.reason) from None
    except UnicodeDecodeError:
        raise LocalError(str(file), "is not UTF-8 text") from None
    click.echo(post_plan(from_environment(), body))
