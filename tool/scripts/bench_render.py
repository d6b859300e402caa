"""Benchmark (not a test): render a synthetic fleet, side by side with what the disk costs anyway.

    .venv/bin/python tool/scripts/bench_render.py [--clusters 30] [--hubs 50] [--repeat 3] [--dir build/bench]

Builds clusters x hubs inputs in a temporary folder (tool/scripts/fleet.py) and times, each in
a fresh process and as the median of --repeat runs:

- full render: `hubfleet render --all` into an empty gitops/, against the write floor: a
  minimal script that writes the same files (folders and bytes, nothing else) into an empty
  folder. Target: at most 3x the floor.
- no-op render: `hubfleet render --all` again, against the read floor: a minimal script that
  reads every input and output file. Target: at most 0.4 s, writing no file.
- one-hub change: one hub's drive resized, then `render --all`. Target: at most 0.4 s.
- `render --all --check`, which never skips (for reference; validate and --check recompute
  everything by design).

The floors run in their own processes and time only their loops, so they are the least any
writer or reader of these files could cost on this disk, measured in the same minute.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fleet import make_fleet

WRITE_FLOOR = """
import os, sys, time
from pathlib import Path
source, target = Path(sys.argv[1]), Path(sys.argv[2])
files = {p.relative_to(source): p.read_bytes() for p in source.rglob("*.yaml")}
start = time.perf_counter()
for folder in sorted({(target / p).parent for p in files}):
    folder.mkdir(parents=True, exist_ok=True)
for path, data in files.items():
    (target / path).write_bytes(data)
print(time.perf_counter() - start)
"""

READ_FLOOR = """
import sys, time
from pathlib import Path
start = time.perf_counter()
total = 0
for folder in sys.argv[1:]:
    for path in Path(folder).rglob("*.yaml"):
        total += len(path.read_bytes())
print(time.perf_counter() - start)
"""


def timed(args: list[str], before: Callable[[], None] = lambda: None) -> tuple[float, str]:
    """Wall seconds of one fresh process, and the last line it printed."""
    before()
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    return seconds, (result.stdout.strip().splitlines() or [""])[-1]


def median(runs: int, args: list[str], before: Callable[[], None] = lambda: None) -> tuple[float, str]:
    results = [timed(args, before) for _ in range(runs)]
    return statistics.median(r[0] for r in results), results[-1][1]


def floor(runs: int, script: str, *args: str, before: Callable[[], None] = lambda: None) -> float:
    values = []
    for _ in range(runs):
        before()
        done = subprocess.run(
            [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
        )
        values.append(float(done.stdout))
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=30)
    parser.add_argument("--hubs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--dir", type=Path, help="Where to build the fleet (default: the system temp folder)."
    )
    args = parser.parse_args()
    hubfleet = str(Path(sys.executable).with_name("hubfleet"))
    runs = args.repeat
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp) / "project"
        make_fleet(root, args.clusters, args.hubs)
        gitops, copy = root / "gitops", Path(tmp) / "floor"
        render = [hubfleet, "--root", str(root), "render", "--all"]

        def empty_tree() -> None:
            shutil.rmtree(gitops, ignore_errors=True)

        full, full_out = median(runs, render, empty_tree)
        files = sorted(gitops.rglob("*.yaml"))
        write_floor = floor(
            runs, WRITE_FLOOR, str(gitops), str(copy), before=lambda: shutil.rmtree(copy, True)
        )
        mtimes = [p.stat().st_mtime_ns for p in files]
        noop, noop_out = median(runs, render)
        touched = sum(1 for p, m in zip(files, mtimes, strict=True) if p.stat().st_mtime_ns != m)
        read_floor = floor(runs, READ_FLOOR, str(root / "clusters"), str(gitops))
        hub = root / "clusters" / "fleet00" / "hubs" / "hub000.yaml"
        original = hub.read_text()
        sizes = iter(range(1000))

        def change_one_hub() -> None:
            hub.write_text(original.replace("size: 10Gi", f"size: {200 + next(sizes)}Gi"))

        one_hub, one_out = median(runs, render, change_one_hub)
        check, _ = median(1, [*render, "--check"])
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"fleet: {args.clusters} clusters x {args.hubs} hubs = {args.clusters * args.hubs} hubs, {len(files)} files"
    )
    print(f"(median of {runs} fresh processes each; peak memory of any child {peak:.0f} MB)")
    print(
        f"full render      {full:6.2f} s   write floor {write_floor:5.2f} s   ratio {full / write_floor:4.1f}x (target <= 3x)"
    )
    print(
        f"no-op render     {noop:6.2f} s   read floor  {read_floor:5.2f} s   (target <= 0.40 s; files rewritten: {touched})"
    )
    print(f"one-hub change   {one_hub:6.2f} s   (target <= 0.40 s; {one_out.rsplit(': ', 1)[-1]})")
    print(f"render --check   {check:6.2f} s   (never skips)")
    print(f"  full: {full_out.rsplit(': ', 1)[-1]}\n  no-op: {noop_out.rsplit(': ', 1)[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
