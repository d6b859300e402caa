"""Benchmark (not a test): render a synthetic fleet, then render it again as a no-op.

    .venv/bin/python tool/scripts/bench_render.py [--clusters 30] [--hubs 50]

Builds clusters x hubs inputs in a temporary folder, then times, each in a fresh
process, `hubfleet render --all` and a second, no-op render, with peak memory
(ru_maxrss of the child) and the number of files the no-op render touched.
Targets on a 2-core machine: full render < 10 s, no-op < 3 s writing no file, < 500 MB.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLUSTER = """\
name: {name}
region: us-west-2
accountId: "111122223333"
kubernetesVersion: "1.32"
domain: {name}.hubs.example.org
zones: [us-west-2a, us-west-2b, us-west-2c]
coreZone: us-west-2b
nodeGroups:
  tools: {{instanceType: t3a.medium, minSize: 1, maxSize: 4, volumeSize: 20}}
  core: {{instanceType: t3a.xlarge, minSize: 1, maxSize: 10, volumeSize: 30}}
  user: {{instanceType: t3a.large, minSize: 1, maxSize: 30, volumeSize: 30}}
flux: {{url: "ssh://git@github.com/example/fleet.git"}}
hubDefaults:
  user: {{memory: {{guarantee: 1G, limit: 2G}}}}
"""

HUB = """\
name: {name}
state: {state}
drive: {{size: {size}Gi}}
auth: {{type: {auth}, admins: [admin-{index}]}}
user: {{placeholders: {placeholders}}}
"""


def make_fleet(root: Path, clusters: int, hubs: int) -> list[str]:
    """Write `clusters` cluster folders of `hubs` hubs each under root/clusters; return cluster names."""
    names = []
    for c in range(clusters):
        name = f"fleet{c:02d}"
        names.append(name)
        folder = root / "clusters" / name / "hubs"
        folder.mkdir(parents=True)
        (folder.parent / "cluster.yaml").write_text(CLUSTER.format(name=name))
        for h in range(hubs):
            hub = f"hub{h:03d}"
            (folder / f"{hub}.yaml").write_text(
                HUB.format(
                    name=hub,
                    index=h,
                    state="retired" if h % 10 == 9 else "active",
                    size=10 + h,
                    auth="native" if h % 2 else "dummy",
                    placeholders=h % 4,
                )
            )
    return names


def timed(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS of the child in MB, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024, result.stdout.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=30)
    parser.add_argument("--hubs", type=int, default=50)
    args = parser.parse_args()
    hubfleet = str(Path(sys.executable).with_name("hubfleet"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_fleet(root, args.clusters, args.hubs)
        command = [hubfleet, "--root", str(root), "render", "--all"]
        full, full_mb, full_out = timed(command)
        files = sorted((root / "gitops").rglob("*.yaml"))
        mtimes = [p.stat().st_mtime_ns for p in files]
        noop, noop_mb, noop_out = timed(command)
        touched = sum(1 for p, m in zip(files, mtimes, strict=True) if p.stat().st_mtime_ns != m)
    print(
        f"fleet: {args.clusters} clusters x {args.hubs} hubs = {args.clusters * args.hubs} hubs, {len(files)} files"
    )
    print(f"full render:  {full:6.2f} s  peak {full_mb:6.0f} MB  ({full_out})")
    print(f"no-op render: {noop:6.2f} s  peak {noop_mb:6.0f} MB  files rewritten: {touched}  ({noop_out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
