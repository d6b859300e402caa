"""`hubfleet charts lock`: record the sha256 of every upstream chart package the clusters use.

The digests come from each repository's index (or the mirror's, with HUBFLEET_CHART_MIRROR);
a package whose index gives no digest is downloaded and hashed. The file is written only
when it changes, under the project's writer lock, and read back by `validate`.
"""

from __future__ import annotations

import click

from ..errors import LocalError, RemoteError
from ..inputs.pipeline import Scope, load_project
from ..system.lock import write_input
from ..upstream.cache import ChartSource, FetchError, lock_text, read_lock, wanted_charts
from .context import Context, pass_context


class FetchFailed(RemoteError):
    """A repository that cannot be reached or read (exit 3: a remote service refused)."""


@click.group()
def charts() -> None:
    """Upstream chart packages: the lock file validate checks them against."""


@charts.command("lock")
@click.option(
    "--chart-mirror",
    help="One Helm repository to read instead of each chart's own (or HUBFLEET_CHART_MIRROR).",
)
@pass_context
def lock_command(ctx: Context, chart_mirror: str | None) -> None:
    """Write charts.lock with the digest of every chart package the clusters deploy."""
    project = ctx.project
    clusters = load_project(project, Scope.select(project, (), True))
    source = ChartSource.from_environment(chart_mirror)
    path = project.charts_lock
    try:
        old = read_lock(path)
    except FetchError as error:
        raise LocalError(project.relative(path), str(error)) from None
    entries = {}
    for ref in sorted(wanted_charts(clusters), key=lambda r: (r.chart, r.version, r.repository)):
        try:
            _, digest = source.index_digest(ref)
        except FetchError as error:
            raise FetchFailed(f"{error}; {project.relative(path)} was not changed") from None
        entries[ref] = digest
        state = "unchanged" if old.get(ref) == digest else ("changed" if ref in old else "added")
        click.echo(f"{state:9} {ref.chart} {ref.version} sha256:{digest[:16]}...")
    text = lock_text(entries)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        click.echo(f"{project.relative(path)} is up to date")
        return
    write_input(project, path, text)
    click.echo(f"wrote {project.relative(path)}: commit it")
