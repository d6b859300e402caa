"""Benchmark (not a test): `hubfleet plan` on the synthetic 1,500-hub fleet.

    .venv/bin/python tool/scripts/bench_plan.py [--clusters 30] [--hubs 50] [--repeat 3]

Builds the fleet (tool/scripts/fleet.py), renders and commits it as the base, then times, each in
a fresh process and as the median of --repeat runs:

- one hub changed (its drive grown) in the work tree: `hubfleet plan`. Target: < 10 s warm.
- hubDefaults changed in one cluster (all 50 of its hubs' JupyterHub releases change). Target:
  < 30 s warm.

Changed HelmReleases are expanded through their charts (helm from .tools/bin, chart packages from
HUBFLEET_CHART_MIRROR, else HUBFLEET_UPSTREAM's charts/ served on loopback, cached in a scratch
folder after the cold run); each case is also timed with --no-expand.

"Cold" is the first run after the fleet is built (nothing cached by the OS or hubfleet); "warm" the
median of the runs after it. The floor beside them is `git archive` of the base's inputs and tree,
which every plan pays.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleet import make_fleet
from serve_charts import benchmark_mirror

REPO = Path(__file__).resolve().parents[2]
HUBFLEET = str(REPO / ".venv" / "bin" / "hubfleet")
GIT_ENV = ["-c", "user.name=bench", "-c", "user.email=bench@example.org"]


ENV: dict[str, str] = {}


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=False, capture_output=True, env={**os.environ, **ENV})
    return time.perf_counter() - start


def measure(label: str, command: list[str], cwd: Path, repeat: int) -> None:
    cold = timed(command, cwd)
    warm = [timed(command, cwd) for _ in range(repeat)]
    print(
        f"{label}: cold {cold:.2f} s, warm {statistics.median(warm):.2f} s (runs {', '.join(f'{t:.2f}' for t in warm)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clusters", type=int, default=30)
    parser.add_argument("--hubs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubfleet-bench-plan-") as scratch:
        ENV["HUBFLEET_CHART_MIRROR"] = benchmark_mirror()
        ENV["HUBFLEET_CHART_CACHE"] = str(Path(scratch) / "chart-cache")
        ENV["PATH"] = f"{REPO / '.tools' / 'bin'}:{os.environ['PATH']}"
        root = Path(scratch) / "fleet"
        names = make_fleet(root, args.clusters, args.hubs)
        shutil.copytree(REPO / "charts", root / "charts")
        shutil.copy(REPO / "charts.lock", root / "charts.lock")
        subprocess.run([HUBFLEET, "--root", str(root), "render", "--all"], check=True, capture_output=True)
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        subprocess.run(["git", *GIT_ENV, "commit", "-q", "-m", "base"], cwd=root, check=True)
        hubs = args.clusters * args.hubs
        print(f"fleet: {args.clusters} clusters x {args.hubs} hubs = {hubs} hubs")
        floor = [
            timed(["sh", "-c", "git archive --format=tar HEAD clusters gitops charts > /dev/null"], root)
            for _ in range(args.repeat)
        ]
        print(f"floor, git archive of the base: {statistics.median(floor):.2f} s")

        hub = root / "clusters" / names[0] / "hubs" / "hub000.yaml"
        hub.write_text(hub.read_text().replace("drive: {size: 10Gi}", "drive: {size: 11Gi}"))
        measure("one hub changed, hubfleet plan", [HUBFLEET, "plan"], root, args.repeat)
        measure("the same, --no-expand", [HUBFLEET, "plan", "--no-expand"], root, args.repeat)
        subprocess.run(["git", "checkout", "-q", "--", "."], cwd=root, check=True)

        cluster = root / "clusters" / names[0] / "cluster.yaml"
        cluster.write_text(cluster.read_text().replace("guarantee: 1G", "guarantee: 1500M"))
        measure(f"hubDefaults of {names[0]} changed, hubfleet plan", [HUBFLEET, "plan"], root, args.repeat)
        measure("the same, --no-expand", [HUBFLEET, "plan", "--no-expand"], root, args.repeat)
        measure(f"the same, hubfleet plan {names[0]}", [HUBFLEET, "plan", names[0]], root, args.repeat)


if __name__ == "__main__":
    main()
