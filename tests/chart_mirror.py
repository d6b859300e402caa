"""The chart mirror the tests validate against: ../shared/upstream/charts served on loopback.

`hubfleet validate` fetches every upstream chart package at its pinned version. The
tests never reach the internet: they start one HTTP server per session over the
reference chart repository (index.yaml plus packages) and point HUBFLEET_CHART_MIRROR
at it, exactly as an air-gapped site points at its own mirror. Fetched packages go to
a cache folder of the session, so each is downloaded once.
"""

from __future__ import annotations

import functools
import sys
import tempfile
from pathlib import Path

from conftest import require

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tool" / "scripts"))
from serve_charts import serve_in_background  # noqa: E402 (the script folder is not a package)

CHARTS = REPO.parent / "shared" / "upstream" / "charts"


def serve(folder: Path) -> str:
    """The URL of an HTTP server over `folder` on a free loopback port, in a daemon thread."""
    return serve_in_background(str(folder))


@functools.cache
def mirror_url() -> str:
    require((CHARTS / "index.yaml").is_file(), f"the reference chart repository is missing: {CHARTS}")
    return serve(CHARTS)


@functools.cache
def chart_cache() -> str:
    return tempfile.mkdtemp(prefix="hubfleet-test-charts-")


def chart_environment() -> dict[str, str]:
    """What `hubfleet validate` needs to expand charts in a test: the mirror and a session cache."""
    return {"HUBFLEET_CHART_MIRROR": mirror_url(), "HUBFLEET_CHART_CACHE": chart_cache()}
