"""Crash test (not part of `make test`): kill renders at random moments, race two renders.

    .venv/bin/python tool/scripts/crash_test.py [--clusters 10] [--hubs 40] [--kills 100] [--races 20]

On a synthetic fleet (tool/scripts/fleet.py) it renders an "old" tree, changes the inputs
(hubs resized, added and deleted, so files are added, changed and removed), and renders the
"new" tree once as the reference. Then:

- kills: each trial starts from the old tree, starts `hubfleet render --all`, sends SIGKILL
  after a random delay (--earliest to 1.1x one render's time; every other trial instead waits
  for the journal to appear, the commit point, and kills within --swap-window seconds), runs `hubfleet render --all --check`
  (which settles an interrupted commit first), and classifies the tree as exactly old,
  exactly new, or other; it also counts staging folders and empty folders left behind.
- races: each trial starts from the old tree and starts two renders at once; both must exit
  0 (the second waits for the lock) and the tree must be exactly new, with no traceback.

"other", leftovers, failed races and tracebacks must all be 0; the script exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fleet import make_fleet

STATE = ".hubfleet"
#: What the state folder holds between renders: the lock and the render record (fingerprints).
KEPT = (".gitignore", "lock", "fingerprints.json")


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and STATE not in p.relative_to(root).parts
    }


def empty_folders(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_dir() and STATE not in p.parts and not any(p.iterdir()))


def change_inputs(root: Path) -> None:
    """Resize every third hub, delete every seventh, add two per cluster."""
    for cluster in sorted((root / "clusters").iterdir()):
        hubs = sorted((cluster / "hubs").glob("*.yaml"))
        for index, hub in enumerate(hubs):
            if index % 7 == 3:
                hub.unlink()
            elif index % 3 == 0:
                hub.write_text(hub.read_text().replace("size: ", "size: 9"))
        for extra in ("added-one", "added-two"):
            (cluster / "hubs" / f"{extra}.yaml").write_text(
                f"name: {extra}\ndrive: {{size: 5Gi}}\nauth: {{type: native, admins: [a]}}\n"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--hubs", type=int, default=40)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--races", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--swap-window",
        type=float,
        default=0.3,
        help="Odd-numbered kills wait for the journal, then up to this many seconds (aims at the swap).",
    )
    parser.add_argument(
        "--dir", type=Path, help="Where to build the fleet (default: the system temp folder)."
    )
    parser.add_argument(
        "--earliest",
        type=float,
        default=0.0,
        help="Earliest kill, as a fraction of one render's time (0.6 aims at the swap, not the planning).",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    hubfleet = str(Path(sys.executable).with_name("hubfleet"))
    env = {**os.environ, "HUBFLEET_LOCK_WAIT": "120"}
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp) / "project"
        make_fleet(root, args.clusters, args.hubs)
        render = [hubfleet, "--root", str(root), "render", "--all"]
        subprocess.run(render, check=True, capture_output=True, env=env)
        gitops = root / "gitops"
        saved_old = Path(tmp) / "old"
        shutil.copytree(gitops, saved_old, ignore=shutil.ignore_patterns(STATE))
        old = tree(gitops)
        change_inputs(root)
        start = time.perf_counter()
        subprocess.run(render, check=True, capture_output=True, env=env)
        seconds = time.perf_counter() - start
        new = tree(gitops)

        def reset() -> None:
            shutil.rmtree(gitops)
            shutil.copytree(saved_old, gitops)

        counts = {"old": 0, "new": 0, "other": 0}
        staging = empties = tracebacks = mid_swap = 0
        for trial in range(args.kills):
            reset()
            child = subprocess.Popen(render, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            if trial % 2:  # aimed at the swap: wait for the journal (the commit point), then kill soon after
                journal = gitops / STATE / "journal.json"
                deadline = time.monotonic() + 3 * seconds
                while not journal.exists() and child.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.0005)
                time.sleep(rng.uniform(0, args.swap_window))
            else:
                time.sleep(rng.uniform(args.earliest * seconds, 1.1 * seconds))
            child.send_signal(signal.SIGKILL)
            child.wait()
            mid_swap += (gitops / STATE / "journal.json").exists()
            check = subprocess.run([*render, "--check"], capture_output=True, text=True, env=env)
            tracebacks += "Traceback" in check.stderr
            now = tree(gitops)
            counts["old" if now == old else "new" if now == new else "other"] += 1
            state = gitops / STATE
            empties += empty_folders(gitops)
            staging += sum(1 for p in (state.iterdir() if state.is_dir() else []) if p.name not in KEPT)
        race_failures = 0
        for _ in range(args.races):
            reset()
            children = [
                subprocess.Popen(
                    render, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
                )
                for _ in range(2)
            ]
            errors = [child.communicate()[1] for child in children]
            tracebacks += sum("Traceback" in e for e in errors)
            race_failures += any(child.returncode for child in children) or tree(gitops) != new
    files = len(new)
    print(f"fleet: {args.clusters} clusters x {args.hubs} hubs, {files} files; one render {seconds:.2f} s")
    print(
        f"kill -9 at a random moment, {args.kills} trials: {counts['old']} old, {counts['new']} new, "
        f"{counts['other']} other ({mid_swap} killed mid-swap, settled by the next command); "
        f"staging folders left: {staging}, empty folders left: {empties}"
    )
    print(
        f"two renders at once, {args.races} trials: {args.races - race_failures} ended new with both exiting 0, "
        f"{race_failures} did not; tracebacks: {tracebacks}"
    )
    return 1 if counts["other"] or staging or empties or race_failures or tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
