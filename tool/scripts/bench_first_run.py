"""Benchmark (not a test): the newcomer's first render and validate, with every cache empty.

    .venv/bin/python tool/scripts/bench_first_run.py

Copies the example fleet's inputs (clusters/, charts.lock) into a temporary folder and times,
each in a fresh process with an empty dashboard cache and an empty chart cache:

- the first `hubfleet render` (it compiles the Grafana dashboards). Target: at most 60 s on a
  2-core machine.
- the first `hubfleet validate` after it (it fetches every chart package, from
  HUBFLEET_CHART_MIRROR, or from the reference folder HUBFLEET_UPSTREAM served on loopback).
- a second render and validate, caches warm, for comparison.

Reported, never asserted: a timing in a test would fail on a busy machine, not on slow code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))
from serve_charts import serve_in_background  # noqa: E402

HUBFLEET = REPO / ".venv" / "bin" / "hubfleet"
TARGET_RENDER_S = 60.0


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return took


def main() -> int:
    mirror = os.environ.get("HUBFLEET_CHART_MIRROR")
    upstream = os.environ.get("HUBFLEET_UPSTREAM")
    if not mirror and upstream:
        mirror = serve_in_background(str(Path(upstream) / "charts"))
    with tempfile.TemporaryDirectory(prefix="hubfleet-first-run-") as scratch:
        fleet = Path(scratch) / "fleet"
        shutil.copytree(REPO / "clusters", fleet / "clusters")
        shutil.copy(REPO / "charts.lock", fleet / "charts.lock")
        env = {
            **os.environ,
            "PATH": f"{REPO / '.tools' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "HUBFLEET_DASHBOARD_CACHE": str(Path(scratch) / "dashboards"),
            "HUBFLEET_CHART_CACHE": str(Path(scratch) / "charts"),
        }
        if mirror:
            env["HUBFLEET_CHART_MIRROR"] = mirror
        cold_render = timed([str(HUBFLEET), "render"], fleet, env)
        cold_validate = timed([str(HUBFLEET), "validate"], fleet, env)
        shutil.rmtree(fleet / "gitops")
        warm_render = timed([str(HUBFLEET), "render"], fleet, env)
        warm_validate = timed([str(HUBFLEET), "validate"], fleet, env)
    print(f"first run of the example, {os.cpu_count()} cores, charts from {mirror or 'their repositories'}:")
    verdict = "met" if cold_render <= TARGET_RENDER_S else "MISSED"
    print(f"  render,   empty caches: {cold_render:6.1f} s  (target <= {TARGET_RENDER_S:.0f} s: {verdict})")
    print(f"  validate, empty chart cache: {cold_validate:6.1f} s")
    print(f"  render,   warm caches:  {warm_render:6.1f} s")
    print(f"  validate, warm caches:  {warm_validate:6.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
