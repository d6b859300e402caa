"""Record the content digest of each chart under charts/ with its version (tests/fixtures/chart-digests.json).

    .venv/bin/python tool/scripts/chart_digest.py          # print the current digests
    .venv/bin/python tool/scripts/chart_digest.py --write  # record them, after bumping the version

Drive releases reconcile on the chart's version (Flux's ChartVersion strategy), so a chart
change without a version bump would never reach a cluster. tests/drive_chart/test_chart_nfs_drive.py
compares this digest with the record and fails when the files changed but the version did not.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RECORD = REPO / "tests" / "fixtures" / "chart-digests.json"


def chart_version(chart: Path) -> str:
    found = re.search(r"^version:\s*(\S+)", (chart / "Chart.yaml").read_text(), re.MULTILINE)
    assert found, f"{chart}/Chart.yaml has no version"
    return found.group(1)


def chart_digest(chart: Path) -> str:
    """SHA-256 over every file's path and bytes, the version line of Chart.yaml left out."""
    digest = hashlib.sha256()
    for path in sorted(p for p in chart.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name == "Chart.yaml":
            data = re.sub(rb"^version:.*$", b"", data, flags=re.MULTILINE)
        digest.update(str(path.relative_to(chart)).encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


def current() -> dict[str, dict[str, str]]:
    charts = sorted(p.parent for p in (REPO / "charts").glob("*/Chart.yaml"))
    return {chart.name: {"version": chart_version(chart), "digest": chart_digest(chart)} for chart in charts}


def main() -> int:
    found = current()
    if "--write" in sys.argv[1:]:
        RECORD.write_text(json.dumps(found, indent=2) + "\n")
        print(f"wrote {RECORD.relative_to(REPO)}")
    else:
        print(json.dumps(found, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
