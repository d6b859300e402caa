"""`hubfleet images lock`: the digest of every image the fleet runs, from each image's registry.

Which images: validate's own expansion of the clusters (every container and init container of the
tree's objects and of each HelmRelease's chart, defaults included), so the lock covers exactly
what `validate` checks against it. Then one manifest lookup per image (upstream/registry.py).
Nothing is written when any lookup fails: the errors are listed together, and images.lock stays
as it was. `--check` changes nothing and exits 1 when a tag now names another digest than the
lock holds (a tag moved). `--unresolved` asks no registry and records the images with no digest,
for a checkout that cannot reach them.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..core.images import parse_image
from ..errors import FindingsError, InputError, LocalError, RemoteError, UsageError
from ..system.lock import write_input
from ..system.settings import HUB_PYTHON_ENV, docker_config, registry_mirror
from ..upstream.image_lock import LockedImage, image_lock_text, read_image_lock
from ..upstream.registry import Registry, docker_credentials
from ..validate.pipeline import Request, validate_project
from .context import Context, pass_context

#: validate's layers that do not add to what the clusters run.
NOT_NEEDED = frozenset({"freshness", "objects", "eksctl", "flux"})


@click.group()
def images() -> None:
    """Container images: the lock of the digest each tag names."""


@images.command("lock")
@click.argument("clusters", nargs=-1)
@click.option("--check", "check_only", is_flag=True, help="Change nothing; exit 1 when a tag moved.")
@click.option("--unresolved", is_flag=True, help="Ask no registry; record the images with digest: null.")
@click.option(
    "--hub-python",
    envvar=HUB_PYTHON_ENV,
    metavar="PYTHON",
    help=f"As for validate: build every user's pod, so their init containers' images are locked too (${HUB_PYTHON_ENV}).",
)
@pass_context
def lock_command(
    ctx: Context, clusters: tuple[str, ...], check_only: bool, unresolved: bool, hub_python: str | None
) -> None:
    """Write images.lock for CLUSTERS (default: all) with every image they run and its digest."""
    if check_only and unresolved:
        raise UsageError("--check", "asks the registries; --unresolved asks none: give one")
    if not hub_python:
        raise UsageError(
            "--hub-python",
            f"is needed (or ${HUB_PYTHON_ENV}): every user pod runs the init containers KubeSpawner adds, "
            "and validate with --hub-python checks them against the lock (`make hub-venv`: .venv-hub/bin/python)",
        )
    project = ctx.project
    shown = project.relative(project.images_lock)
    started = time.monotonic()
    report = validate_project(project, Request(clusters=clusters, skip=NOT_NEEDED, hub_python=hub_python))
    broken = sum(len(tally.failed) for tally in report.tallies if tally.layer in ("inputs", "charts"))
    if broken:
        raise LocalError(
            shown, f"not changed: {broken} check(s) of the charts failed, so what the clusters run is not "
            "known; run `hubfleet validate` and mend them first",
        )  # fmt: skip
    used = dict(report.images)
    old = _old_lock(project.images_lock, shown, whole=not clusters)
    registry = Registry(docker_credentials(docker_config()), registry_mirror())
    entries: dict[str, LockedImage] = {}
    failures: list[str] = []
    for image, runners in sorted(used.items()):
        digest = None
        try:
            ref = parse_image(image)
            if not unresolved:
                digest = registry.digest(ref)
        except ValueError as error:
            failures.append(f"  {image}: {error}")
            continue
        except RemoteError as error:
            failures.append(f"  {error}")
            continue
        entries[image] = LockedImage(digest, runners)
        before = old.get(image)
        state = "added" if before is None else "unchanged" if before == entries[image] else "changed"
        click.echo(f"{state:9} {image} {(digest or 'unresolved')[:23]}")
    if failures:
        raise RemoteError(
            f"{len(failures)} of {len(used)} images could not be resolved; {shown} was not changed:\n"
            + "\n".join(failures)
        )
    if not clusters:
        for image in sorted(old.keys() - entries.keys()):
            click.echo(f"{'removed':9} {image}")
    # Locking some clusters keeps the others' entries, and what they run of a shared image.
    kept = entries if not clusters else {**old, **{i: _joined(e, old.get(i)) for i, e in entries.items()}}
    took = f"{time.monotonic() - started:.1f} s"
    moved = sorted(i for i, e in entries.items() if i in old and old[i].digest and old[i].digest != e.digest)
    if check_only:
        unlocked = sorted(i for i in entries if i not in old or old[i].digest is None)
        if moved or unlocked:
            said = [f"{len(moved)} tag(s) moved since the lock: {', '.join(moved)}"] if moved else []
            said += (
                [f"{len(unlocked)} image(s) have no locked digest to check: {', '.join(unlocked)}"]
                if unlocked
                else []
            )
            raise FindingsError(f"{'; '.join(said)} ({took})")
        click.echo(f"every tag still names its locked digest ({len(entries)} images, {took})")
        return
    text = image_lock_text(kept)
    path = project.images_lock
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        click.echo(f"{project.relative(path)} is up to date ({len(entries)} images, {took})")
        return
    write_input(project, path, text)
    click.echo(f"wrote {project.relative(path)} ({len(entries)} images, {took}): commit it")


def _joined(entry: LockedImage, before: LockedImage | None) -> LockedImage:
    runners = set(entry.charts) | set(before.charts if before else ())
    return LockedImage(entry.digest, tuple(sorted(runners)))


def _old_lock(path: Path, shown: str, whole: bool) -> dict[str, LockedImage]:
    """The lock as it is. A lock that does not parse stops a partial run (it keeps the other
    clusters' entries) but not a whole one, which replaces every entry."""
    try:
        return read_image_lock(path, shown)
    except InputError:
        if not whole:
            raise
        click.echo(f"{shown} does not parse; every entry is written afresh")
        return {}
