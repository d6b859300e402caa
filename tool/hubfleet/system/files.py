"""System layer: reading a file people point us at, safely: only regular files, never more than a limit,
never through a symlink that leaves the project.

Inputs, key and certificate files and the files validate scans all come through here, so
the three promises hold everywhere: a FIFO cannot hang a command (it is opened without
waiting for a writer, then refused), /dev/zero cannot exhaust memory (the limit is applied
to the bytes actually read, not to what stat claims), and a symlink to a file outside the
repository is refused by its path before one byte of the target is read, so an error
message can never echo someone's ~/.ssh/id_rsa.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


class Refused(Exception):
    """A file that is not read, with the reason as a person should see it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


OUTSIDE_LINK = (
    "is a symlink to a place outside the project; hubfleet reads only files inside it (copy the file in)"
)


def leaves(path: Path, root: Path) -> bool:
    """True when `path` (or a folder on the way to it) is a symlink that resolves outside `root`."""
    try:
        return not path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop resolves nowhere
        return True


def read_regular(path: Path, limit: int, root: Path | None = None) -> bytes:
    """The bytes of `path`, at most `limit` of them, or Refused saying why not.

    With `root`, a path that resolves outside it is refused before it is opened.
    """
    if root is not None and leaves(path, root):
        raise Refused(OUTSIDE_LINK)
    try:
        with open_regular(path) as stream:
            data = stream.read(limit + 1)
    except OSError as error:
        raise Refused(f"cannot read: {error.strerror}") from None
    if len(data) > limit:
        raise Refused(f"file is larger than {_size(limit)}")
    return data


@contextmanager
def open_regular(path: Path) -> Iterator[BinaryIO]:
    """`path` opened for reading if it is a regular file, else Refused (a FIFO is opened without
    waiting for a writer, then refused). For readers that stream a file of any size."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before we can refuse it.
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise Refused("file not found") from None
    except IsADirectoryError:
        raise Refused("is a folder; expected a file") from None
    except OSError as error:
        raise Refused(f"cannot read: {error.strerror}") from None
    try:
        mode = os.fstat(handle).st_mode
        if stat.S_ISDIR(mode):
            raise Refused("is a folder; expected a file")
        if not stat.S_ISREG(mode):
            raise Refused("not a regular file (a device, FIFO or socket)")
        with os.fdopen(handle, "rb", closefd=False) as stream:
            yield stream
    finally:
        os.close(handle)


def _size(limit: int) -> str:
    return f"{limit // 1024 // 1024} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def list_folder(folder: Path) -> list[Path]:
    """The entries of `folder`, sorted; [] when it does not exist. Refused when it exists but
    cannot be listed: an unreadable hubs/ is never "no hubs" (render would remove every hub)."""
    try:
        with os.scandir(folder) as entries:
            return sorted(Path(entry.path) for entry in entries)
    except FileNotFoundError:
        return []
    except OSError as error:
        raise Refused(f"cannot list the folder: {error.strerror}") from None


# A name git ignores (`.hubfleet-staging-*` in .gitignore): a command killed between staging and
# the rename leaves nothing `git add` would pick up.
STAGING_PREFIX = ".hubfleet-staging-"


def _umask() -> int:
    """The process's umask (read by setting it and putting it back), so a new file gets the mode
    any other program would give it."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def stage_beside(path: Path, text: str) -> Path:
    """Write `text` byte for byte to a temporary file beside `path`, with its mode; return it.

    Renaming the result over `path` is atomic. Callers that must do something between
    staging and replacing (`aws scale` calls AWS there) use this directly.
    """
    # A name git ignores (`.hubfleet-staging-*` in .gitignore): a
    # command killed between staging and the rename leaves nothing `git add` would pick up.
    handle, name = tempfile.mkstemp(prefix=f"{STAGING_PREFIX}{path.name}.", dir=path.parent)
    staged = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(staged, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text`, byte for byte, through a temporary file beside it."""
    staged = stage_beside(path, text)
    try:
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
