"""The system layer: every setting hubfleet takes from its environment, and its clock, in one module.

A setting is read where a command starts and handed down as a value (a `ChartSource`, a date, a
path); nothing below reads `os.environ` or the clock on its own, so one run sees one value of
each. The names are the documented interface (README, "Settings"); tests set them to reproduce a
run: HUBFLEET_TODAY fixes the date the Kubernetes support table is read at.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

from ..core.kubernetes import TODAY_ENV
from ..errors import UsageError

LOCK_WAIT_ENV = "HUBFLEET_LOCK_WAIT"
CHART_MIRROR_ENV = "HUBFLEET_CHART_MIRROR"
CHART_CACHE_ENV = "HUBFLEET_CHART_CACHE"
DASHBOARD_CACHE_ENV = "HUBFLEET_DASHBOARD_CACHE"
HUB_PYTHON_ENV = "HUBFLEET_HUB_PYTHON"
REGISTRY_MIRROR_ENV = "HUBFLEET_REGISTRY_MIRROR"
DOCKER_CONFIG_ENV = "DOCKER_CONFIG"
#: How long a writer waits for another's lock unless HUBFLEET_LOCK_WAIT says otherwise.
DEFAULT_LOCK_WAIT = 60.0


def now() -> datetime:
    """The one clock: this moment, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date, or HUBFLEET_TODAY (YYYY-MM-DD) when a run must be reproduced."""
    fixed = os.environ.get(TODAY_ENV)
    if not fixed:
        return now().date()
    try:
        return datetime.strptime(fixed, "%Y-%m-%d").date()
    except ValueError:
        raise UsageError(TODAY_ENV, f"'{fixed}' is not a date; give one as YYYY-MM-DD, or unset it") from None


def lock_wait() -> float:
    """Seconds a writer waits for the lock (HUBFLEET_LOCK_WAIT); the default when it is not a number."""
    try:
        return max(0.0, float(os.environ.get(LOCK_WAIT_ENV, DEFAULT_LOCK_WAIT)))
    except ValueError:
        return DEFAULT_LOCK_WAIT


def chart_mirror() -> str | None:
    """A Helm repository that mirrors every upstream chart (HUBFLEET_CHART_MIRROR), if one is set."""
    return os.environ.get(CHART_MIRROR_ENV) or None


def chart_cache() -> Path:
    """Where chart packages are cached: HUBFLEET_CHART_CACHE, else the user's cache folder."""
    explicit = os.environ.get(CHART_CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hubfleet" / "charts"


def dashboard_cache() -> Path:
    """Where compiled dashboards are kept: HUBFLEET_DASHBOARD_CACHE, else beside the chart packages."""
    explicit = os.environ.get(DASHBOARD_CACHE_ENV)
    return Path(explicit) if explicit else chart_cache() / "dashboards"


def hub_python() -> str | None:
    """The hub-side Python named by HUBFLEET_HUB_PYTHON, if any (`--hub-python` wins over it)."""
    return os.environ.get(HUB_PYTHON_ENV) or None


def registry_mirror() -> str | None:
    """A registry holding every image under `<registry>/<repository>` (HUBFLEET_REGISTRY_MIRROR)."""
    return os.environ.get(REGISTRY_MIRROR_ENV) or None


def docker_config() -> Path:
    """The folder of Docker's config.json: DOCKER_CONFIG, else ~/.docker (as the docker CLI reads it)."""
    explicit = os.environ.get(DOCKER_CONFIG_ENV)
    return Path(explicit) if explicit else Path.home() / ".docker"


def search_path() -> str:
    """PATH, for the child processes that get a clean environment."""
    return os.environ.get("PATH", "/usr/bin:/bin")
