"""System layer, one writer at a time: an advisory lock on a file in the output tree's state folder.

Two renders into one tree, or a render racing `seal` or `aws scale`, would interleave their
plans and commits. Every command that writes the tree or the inputs holds this lock around
its plan and its commit; a second one waits a bounded time, then stops with a message that
names the other process, so a person knows whom to wait for.

The lock is an flock taken by `filelock` (the maintained library: O_NOFOLLOW, the descriptor
kept for the hold, the file kept on release), not a lock file that exists or not: the kernel
releases an flock when its holder dies, even under kill -9, so a crashed render never leaves a
lock someone must remove by hand. The holder writes its pid and command line into the file, for
the "held by" message only. The lock is re-entrant within one process (`aws scale` holds it and
then renders). Earlier filelock releases truncated the file on every attempt, which would have
erased the holder's line; 4.x leaves the contents to the holder.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..core.layout import STATE_DIR
from ..errors import LocalError, os_error
from .files import write_atomic
from .project import Project
from .settings import lock_wait, now

LOCK_FILE = "lock"
_POLL = 0.05


class StateLinkError(OSError):
    """The state folder or one of its files is a symlink (it could lead out of the project)."""


def state_folder(tree: Path) -> Path:
    """The tree's state folder, created with a `.gitignore` that keeps it out of every commit.
    Neither the folder nor its `.gitignore` may be a symlink: writing through one would write
    wherever it points."""
    state = tree / STATE_DIR
    if os.path.islink(state):
        raise StateLinkError(
            errno.EINVAL, "is a symlink (it could lead out of the project); make it a real folder", str(state)
        )
    if not state.is_dir():
        state.mkdir(parents=True, exist_ok=True)
    ignore = state / ".gitignore"
    if os.path.islink(ignore):
        raise StateLinkError(
            errno.EINVAL, "is a symlink; hubfleet writes this file itself: remove it", str(ignore)
        )
    if not ignore.exists():
        handle = os.open(ignore, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(handle, "w") as stream:
            stream.write("# hubfleet's lock, journal and fingerprints: never committed\n*\n")
    return state


@contextmanager
def holding(tree: Path, display: str, shown: Callable[[str], str] | None = None) -> Iterator[None]:
    """Hold the writer's lock of `tree` (an output folder) for the body of the `with`; re-entrant
    within a process (one FileLock per path: `is_singleton`)."""
    try:
        path = state_folder(tree) / LOCK_FILE
        # Never through a link (a planted `lock -> ~/.bashrc`), and only a regular file: checked
        # here, with the words people get for either, before filelock opens it.
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
        regular = stat.S_ISREG(os.fstat(handle).st_mode)
        os.close(handle)
        if not regular:
            raise StateLinkError(errno.EINVAL, "is not a regular file", str(path))
        # filelock opens with O_NOFOLLOW (a planted `lock -> ~/.bashrc` is never written) and keeps
        # the file on release, so the holder's line stays readable by whoever waits.
        lock = FileLock(
            path, mode=0o644, is_singleton=True, preserve_lock_file=True, fallback_to_soft=False,
            poll_interval=_POLL, on_acquired=_announce,
        )  # fmt: skip
        lock.acquire(timeout=lock_wait())
    except Timeout:
        raise LocalError(display, _busy_message(path)) from None
    except OSError as error:
        raise os_error(error, shown or str, "lock the folder for writing", "nothing was written") from None
    try:
        yield
    finally:
        lock.release()


def _busy_message(path: Path) -> str:
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            holder = os.pread(handle, 4096, 0).decode("utf-8", "replace").strip()
        finally:
            os.close(handle)
    except OSError:
        holder = ""
    pid, _, rest = holder.partition("\t")
    since, _, command = rest.partition("\t")
    who = f"process {pid} (`{command}`, since {since})" if pid.isdigit() else "another hubfleet process"
    return (
        f"{who} is writing it; waited {lock_wait():g} s. Run the command again when it has "
        "finished (HUBFLEET_LOCK_WAIT sets how long to wait); nothing was written"
    )


def _announce(handle: int) -> None:
    """Who holds the lock, for the message a waiting process shows (never a secret: argv never
    carries one, see sealing). filelock calls this once per physical acquire, on its descriptor."""
    command = " ".join(["hubfleet", *sys.argv[1:]])[:200]
    since = now().strftime("%H:%M:%S UTC")
    os.ftruncate(handle, 0)
    os.pwrite(handle, f"{os.getpid()}\t{since}\t{command}\n".encode(), 0)


def check_tree_location(project: Project, tree: Path) -> None:
    """The project's gitops/ (and its state folder) stay inside the project: a symlink leading out
    would have render write and delete wherever it points."""
    root = project.root.resolve()
    if tree == project.gitops_dir and os.path.lexists(tree) and not tree.resolve().is_relative_to(root):
        raise LocalError(
            project.relative(tree),
            f"leads out of the project (to {tree.resolve()}); hubfleet writes gitops/ only inside the "
            "project: make it a real folder; nothing was read or written",
        )


@contextmanager
def writing_inputs(project: Project) -> Iterator[None]:
    """Hold the project's lock while a command writes inputs (seal, hub retire, aws scale, the
    scaffolds): the same lock as a render into gitops/, so neither sees the other half done."""
    check_tree_location(project, project.gitops_dir)
    with holding(project.gitops_dir, project.relative(project.gitops_dir), project.shown):
        yield


def write_input(project: Project, path: Path, text: str) -> None:
    """Write an input file the commands make (sealed secrets, restores) atomically, under the
    lock that keeps them from racing a render, its folder made if needed."""
    with writing_inputs(project):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
