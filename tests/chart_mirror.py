"""The chart mirror the tests validate against, as an air-gapped site points at its own.

`hubfleet validate` fetches every upstream chart package at its pinned version. The tests
never reach the internet: they use HUBFLEET_CHART_MIRROR when it is set (.ci/run serves the
reference chart repository there), else they serve the reference folder's charts/
(HUBFLEET_UPSTREAM) on loopback. Fetched packages go to a cache folder of the session, so
each is downloaded once.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from pathlib import Path

from conftest import upstream_path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tool" / "scripts"))
from serve_charts import serve_in_background  # noqa: E402 (the script folder is not a package)


def serve(folder: Path) -> str:
    """The URL of an HTTP server over `folder` on a free loopback port, in a daemon thread."""
    return serve_in_background(str(folder))


def reference_charts() -> Path:
    """The reference chart repository folder (index.yaml plus packages)."""
    return upstream_path("charts", "index.yaml").parent


@functools.cache
def mirror_url() -> str:
    return os.environ.get("HUBFLEET_CHART_MIRROR") or serve(reference_charts())


@functools.cache
def chart_cache() -> str:
    return tempfile.mkdtemp(prefix="hubfleet-test-charts-")


def chart_environment() -> dict[str, str]:
    """What `hubfleet validate` needs to expand charts in a test: the mirror and a session cache."""
    return {"HUBFLEET_CHART_MIRROR": mirror_url(), "HUBFLEET_CHART_CACHE": chart_cache()}
