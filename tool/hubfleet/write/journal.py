"""Stage 5, the writer's commit: all of a render's changes land, or none do, even under kill -9.

A commit has two phases.

1. Stage. Every new file is written into `<tree>/.hubfleet/txn-*/new/`, inside the tree,
   so each later rename stays on one file system (a gitops/ that is its own mount works).
   Nothing in the tree has changed yet; a crash here leaves only a staging folder, which the
   next command deletes.
2. Swap. A journal naming every file to put and to remove is written, flushed to disk and
   renamed into place: that rename is the commit point. Then each old file is moved aside
   into `txn-*/old/` and the new one renamed over it, and files to remove are moved aside.

If the process dies after the commit point, the next hubfleet command that reads or writes
the tree (`recover`, under the writer's lock) replays the journal forward: every step is
idempotent, so a replay that is itself killed is simply replayed again. If a step fails
with an error Python can see (a read-only folder, a file where a folder should be), the
journal is first turned to "back" and the swap undone from `old/`, so the tree is the old one
and a crash during the undo is finished the same way. Either way the tree ends exactly old or
exactly new, with no staging folder and no folder left empty.

os.sync() runs once before the commit point, so the staged bytes are on disk before the
journal says to use them (one call, not one fsync per file: on a 6,000-file fleet that is the
difference between milliseconds and seconds).

The journal is state of this checkout, never of a commit (a hostile branch can commit one):
before a step is replayed, every path in it is checked to stay inside the tree, outside the
state folder and off any symlink, the transaction folder must be one `stage` names, and the
journal and the state folder are opened without following links. A journal that fails any
check is refused, never partly replayed.

Why hand-written: the atomic-write libraries on PyPI (atomicwrites, which is archived, and
python-atomicwrites forks) replace one file at a time; none commits a set of files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from ..core.layout import STATE_DIR

JOURNAL = "journal.json"
TXN_PREFIX = "txn-"
FORWARD, BACK = "forward", "back"
#: What tempfile.mkdtemp makes of TXN_PREFIX: the only transaction folders a journal may name.
_TXN_NAME = re.compile(rf"^{TXN_PREFIX}[A-Za-z0-9_]{{1,64}}$")
#: A journal names every file of one render; a fleet of thousands of hubs stays far below this.
JOURNAL_LIMIT = 64 * 1024 * 1024


class ForeignJournal(ValueError):
    """A journal hubfleet did not write here: refused, nothing replayed."""


def confined(tree: Path, path: str) -> Path:
    """`tree / path` for a journal entry, or ForeignJournal when the path could reach outside the
    tree or into the state folder, or passes through a symlink on the way."""
    pure = PurePosixPath(path)
    if (
        not path
        or "\0" in path
        or pure.is_absolute()
        or any(part in ("", ".", "..") for part in path.split("/"))
        or pure.parts[0] == STATE_DIR
    ):
        raise ForeignJournal(f"the journal names {path!r}, which is not a file of the tree")
    folder = tree
    for part in pure.parts[:-1]:
        folder = folder / part
        try:
            if stat.S_ISLNK(folder.lstat().st_mode):
                raise ForeignJournal(f"the journal names {path!r}, which passes through the symlink {folder}")
        except FileNotFoundError:
            break
    return tree / path


def read_journal(tree: Path) -> dict[str, Any] | None:
    """The pending journal of `tree`, checked (ForeignJournal otherwise); None when there is none."""
    state = tree / STATE_DIR
    try:
        handle = os.open(state / JOURNAL, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ForeignJournal(f"{state / JOURNAL} is not a regular file ({error.strerror})") from None
    with os.fdopen(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise ForeignJournal(f"{state / JOURNAL} is not a regular file")
        raw = stream.read(JOURNAL_LIMIT + 1)
    if len(raw) > JOURNAL_LIMIT:
        raise ForeignJournal(f"{state / JOURNAL} is larger than any journal hubfleet writes")
    try:
        entry = json.loads(raw)
    except ValueError:
        raise ForeignJournal(f"{state / JOURNAL} is not JSON") from None
    lists = ("added", "changed", "removed")
    if (
        not isinstance(entry, dict)
        or not isinstance(entry.get("txn"), str)
        or not _TXN_NAME.fullmatch(entry["txn"])
        or entry.get("direction") not in (FORWARD, BACK)
        or not all(isinstance(entry.get(key), list) for key in lists)
        or not all(isinstance(path, str) for key in lists for path in entry[key])
    ):
        raise ForeignJournal(f"{state / JOURNAL} is not a hubfleet journal")
    for key in lists:
        for path in entry[key]:
            confined(tree, path)
    work = state / entry["txn"]
    if os.path.lexists(work) and not stat.S_ISDIR(work.lstat().st_mode):
        raise ForeignJournal(f"{work} is not a transaction folder")
    return entry


def stage(tree: Path, put: Mapping[str, bytes]) -> Path:
    """Phase 1: write every new file under a fresh transaction folder; return the folder."""
    work = Path(tempfile.mkdtemp(prefix=TXN_PREFIX, dir=tree / STATE_DIR))
    try:
        staged = work / "new"
        # Each folder once: on a fleet, repeated mkdir calls cost more than the writes.
        for folder in sorted({(staged / path).parent for path in put}):
            folder.mkdir(parents=True, exist_ok=True)
        for path, content in put.items():
            (staged / path).write_bytes(content)
    except Exception:  # not on Ctrl-C: like a kill, the next command cleans up (recover)
        shutil.rmtree(work, ignore_errors=True)
        raise
    return work


def swap(
    tree: Path, work: Path, added: Iterable[str], changed: Iterable[str], removed: Iterable[str]
) -> None:
    """Phase 2: write the journal (the commit point), then apply it; undo on an error."""
    entry = {
        "txn": work.name,
        "direction": FORWARD,
        "added": sorted(added),
        "changed": sorted(changed),
        "removed": sorted(removed),
    }
    try:
        os.sync()
        _write_journal(tree, entry)
    except Exception:  # not on Ctrl-C: like a kill, the next command cleans up (recover)
        shutil.rmtree(work, ignore_errors=True)
        raise
    try:
        _forward(tree, work, entry)
    except Exception:
        entry["direction"] = BACK
        try:
            _write_journal(tree, entry)
            _back(tree, work, entry)
            _finish(tree, work)
        except Exception:
            pass  # the journal stays; the next command settles the commit (recover)
        raise
    _finish(tree, work)


def recover(tree: Path) -> bool:
    """Complete or undo a commit that was interrupted; remove abandoned staging. Call it with the
    writer's lock held. True if there was anything to do."""
    state = tree / STATE_DIR
    if not os.path.lexists(state):
        return False
    if not stat.S_ISDIR(state.lstat().st_mode):
        raise ForeignJournal(f"{state} is not a folder (a symlink could lead out of the tree)")
    did = False
    entry = read_journal(tree)
    if entry is not None:
        work = state / entry["txn"]
        (_forward if entry["direction"] == FORWARD else _back)(tree, work, entry)
        _finish(tree, work)
        did = True
    for abandoned in state.glob(f"{TXN_PREFIX}*"):
        if abandoned.is_symlink():
            abandoned.unlink()
        else:
            shutil.rmtree(abandoned, ignore_errors=True)
        did = True
    for partial in state.glob(f"{JOURNAL}.*"):
        partial.unlink(missing_ok=True)
    return did


def pending(tree: Path) -> bool:
    """True if an interrupted commit or its staging is waiting to be settled (cheap: no lock)."""
    state = tree / STATE_DIR
    if not os.path.lexists(state):
        return False
    if not state.is_dir() or state.is_symlink():
        return True  # not hubfleet's: settling it refuses, with the reason
    return any(p.name == JOURNAL or p.name.startswith(TXN_PREFIX) for p in state.iterdir())


def _write_journal(tree: Path, entry: dict[str, Any]) -> None:
    state = tree / STATE_DIR
    temporary = state / f"{JOURNAL}.{os.getpid()}"
    with temporary.open("w", encoding="utf-8") as stream:
        json.dump(entry, stream)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, state / JOURNAL)
    _fsync_folder(state)


def _fsync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _forward(tree: Path, work: Path, entry: dict[str, Any]) -> None:
    """Put every staged file in place and move removed files aside. Idempotent: a file already
    put has left `new/`, a file already removed is gone."""
    staged, aside = work / "new", work / "old"
    made: set[Path] = set()
    for path in [*entry["changed"], *entry["added"]]:
        source = staged / path
        if not source.exists():
            continue
        target = tree / path
        _make_parents(tree, target.parent, made)
        if os.path.lexists(target):
            _move(target, aside / path)
        os.replace(source, target)
    for path in entry["removed"]:
        target = tree / path
        if os.path.lexists(target):
            _move(target, aside / path)
    _prune(tree, [(tree / path).parent for path in entry["removed"]])


def _back(tree: Path, work: Path, entry: dict[str, Any]) -> None:
    """Restore every file moved aside and take out every file that was added. Idempotent."""
    staged, aside = work / "new", work / "old"
    for path in [*entry["changed"], *entry["removed"]]:
        if (aside / path).exists():
            os.replace(aside / path, tree / path)
    for path in entry["added"]:
        if not (staged / path).exists() and os.path.lexists(tree / path):
            (tree / path).unlink()
    _prune(tree, [(tree / path).parent for path in entry["added"]])


def _finish(tree: Path, work: Path) -> None:
    """The commit is settled: the journal goes first (so a crash now leaves only staging)."""
    (tree / STATE_DIR / JOURNAL).unlink(missing_ok=True)
    shutil.rmtree(work, ignore_errors=True)


def _make_parents(tree: Path, folder: Path, made: set[Path]) -> None:
    if folder in made:
        return
    folder.mkdir(parents=True, exist_ok=True)
    made.add(folder)


def _move(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)


def _prune(tree: Path, folders: Iterable[Path]) -> None:
    """Remove folders left empty, deepest first, never the tree itself."""
    for folder in sorted(set(folders), key=lambda p: len(p.parts), reverse=True):
        while (
            folder != tree and folder.is_relative_to(tree) and folder.is_dir() and not any(folder.iterdir())
        ):
            folder.rmdir()
            folder = folder.parent
