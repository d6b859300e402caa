"""Where the tests get chart packages, as a site would: a mirror, the reference folder, or the
charts' own repositories.

`hubfleet validate` fetches every upstream chart package at its pinned version. The tests take
them, in this order, from HUBFLEET_CHART_MIRROR (a Helm repository; .ci/run serves the reference
folder's there), from the reference folder HUBFLEET_UPSTREAM (its charts/ served on loopback),
or from each chart's own repository through the user's chart cache when those answer (a machine
with internet). With none of them the tests that need charts skip, summarised in one line by
conftest.py, and fail under CI. HUBFLEET_TEST_OFFLINE=1 treats the chart repositories as
unreachable (to see the skips on a machine with internet).
"""

from __future__ import annotations

import functools
import os
import socket
import sys
import tempfile
import urllib.parse
from pathlib import Path

from conftest import UPSTREAM_ENV, require, upstream_path
from hubfleet.core.charts import UPSTREAM_CHARTS
from hubfleet.system.settings import CHART_CACHE_ENV, CHART_MIRROR_ENV, chart_cache

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tool" / "scripts"))
from serve_charts import serve_in_background  # noqa: E402 (the script folder is not a package)

#: The one reason every test that needs charts gives when there are none.
NO_CHART_SOURCE = (
    f"no chart source: set {CHART_MIRROR_ENV} (a Helm repository) or {UPSTREAM_ENV} (the reference folder), "
    "or run where the chart repositories answer"
)
OFFLINE_ENV = "HUBFLEET_TEST_OFFLINE"


def serve(folder: Path) -> str:
    """The URL of an HTTP server over `folder` on a free loopback port, in a daemon thread."""
    return serve_in_background(str(folder))


def reference_charts() -> Path:
    """The reference chart repository folder (index.yaml plus packages)."""
    return upstream_path("charts", "index.yaml").parent


@functools.cache
def repositories_answer() -> bool:
    """Whether the first chart repository takes a connection within a few seconds."""
    if os.environ.get(OFFLINE_ENV) == "1":
        return False
    host = urllib.parse.urlparse(UPSTREAM_CHARTS[0].repository.url).hostname or ""
    try:
        socket.create_connection((host, 443), timeout=3).close()
    except OSError:
        return False
    return True


@functools.cache
def _source() -> tuple[str | None, str]:
    """(mirror URL or None for the charts' own repositories, cache folder)."""
    mirror = os.environ.get(CHART_MIRROR_ENV)
    if mirror:
        return mirror, tempfile.mkdtemp(prefix="hubfleet-test-charts-")
    given = os.environ.get(UPSTREAM_ENV)
    if given and (Path(given) / "charts" / "index.yaml").is_file():
        return serve(Path(given) / "charts"), tempfile.mkdtemp(prefix="hubfleet-test-charts-")
    if repositories_answer():
        return None, str(chart_cache())
    return None, ""


def chart_environment() -> dict[str, str]:
    """What `hubfleet validate` needs to expand charts in a test: the source and a cache. Skips
    (fails under CI) when there is no source."""
    mirror, cache = _source()
    require(bool(cache), NO_CHART_SOURCE)
    return {CHART_CACHE_ENV: cache, **({CHART_MIRROR_ENV: mirror} if mirror else {})}
