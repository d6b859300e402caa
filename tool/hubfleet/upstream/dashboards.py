"""Upstream: the JupyterHub Grafana dashboards, compiled from their jsonnet sources (an edge of render).

The sources ship inside the package as the archive upstream's own build reads
(jupyterhub/grafana-dashboards at a pinned commit, grafonnet vendored in it; provenance in
`data/README.md`), so a render needs no network and no jsonnet binary: the PyPI `jsonnet`
binding compiles them in-process. Compiling takes about 30 s on this kind of machine (grafonnet
is large), so the result is cached by the archive's digest and the binding's version in
hubfleet's cache folder; a damaged or missing cache entry is simply compiled again. The
renderer gets the compiled dashboards as data and stays pure.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import tarfile
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import LocalError
from ..inputs.model.cluster import GrafanaDashboard
from ..system.files import write_atomic
from ..system.progress import waiting
from ..system.settings import dashboard_cache

ARCHIVE = "grafana-dashboards-ef44b4ed.tar.gz"
#: sha256 of the archive, as ../shared/upstream/charts/README.md records it for the reference copy.
ARCHIVE_SHA256 = "f341cbfa41ff35afccef0881d0933ae926ca954ae07e37950ff34b49153d1ccc"
TOP = "grafana-dashboards-ef44b4ed"
#: Raised when the way compiled dashboards are post-processed changes, so old cache entries go.
FORMAT = 1
#: Upstream dashboards hubfleet leaves out, and why: their panels read exporters or pod names of
#: 2i2c's deployments that hubfleet does not have, so they would show nothing.
LEFT_OUT = {
    "homedirs": "needs the dirsize exporter",
    "group": "needs the jupyterhub_user_group_info metric",
    "support": "selects 2i2c's home-nfs pods and volumes by name",
}
#: Where the compiled dashboards are kept; beside the chart packages by default.


def cache_folder() -> Path:
    return dashboard_cache()


def _archive() -> bytes:
    data = resources.files("hubfleet").joinpath(f"data/{ARCHIVE}").read_bytes()
    if hashlib.sha256(data).hexdigest() != ARCHIVE_SHA256:
        raise LocalError(
            f"hubfleet/data/{ARCHIVE}", "is not the pinned archive (its sha256 differs); reinstall hubfleet"
        )
    return data


def _jsonnet_version() -> str:
    import _jsonnet  # the binding is only loaded when there is something to compile

    return str(getattr(_jsonnet, "version", "unknown"))


def _finish(name: str, compiled: dict[str, Any]) -> dict[str, Any]:
    """Upstream's deploy script gives each dashboard a uid when it uploads it; provisioned from a
    ConfigMap it needs a fixed one, or every Grafana restart makes new links."""
    compiled.pop("id", None)
    compiled["uid"] = f"jupyterhub-{name}"
    return compiled


def _compile(archive: bytes) -> dict[str, str]:
    import _jsonnet

    found: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="hubfleet-dashboards-") as scratch:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            # The data filter refuses absolute paths, links out of the folder and devices.
            tar.extractall(scratch, filter="data")
        root = Path(scratch) / TOP
        for source in sorted((root / "dashboards").glob("*.jsonnet")):
            text = _jsonnet.evaluate_file(str(source), jpathdir=[str(root / "vendor")])
            found[source.stem] = json.dumps(_finish(source.stem, json.loads(text)), indent=2, sort_keys=True)
    return found


def _read_cached(path: Path) -> dict[str, str] | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or not found or not all(isinstance(v, str) for v in found.values()):
        return None
    try:
        for text in found.values():
            json.loads(text)
    except ValueError:
        return None
    return found


def _write_cached(path: Path, compiled: dict[str, str]) -> None:
    """Atomically, or not at all: a cache that cannot be written only costs the next compile."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(compiled))


@cache
def upstream_dashboards() -> tuple[GrafanaDashboard, ...]:
    """Every dashboard of the pinned jupyterhub/grafana-dashboards, compiled (or from the cache)."""
    archive = _archive()
    key = hashlib.sha256(f"{ARCHIVE_SHA256}\0{_jsonnet_version()}\0{FORMAT}".encode()).hexdigest()[:32]
    path = cache_folder() / f"{key}.json"
    compiled = _read_cached(path)
    if compiled is None:
        with waiting(f"compiling the Grafana dashboards (once; cached in {cache_folder()})"):
            compiled = _compile(archive)
        _write_cached(path, compiled)
    return tuple(
        GrafanaDashboard(name, str(json.loads(text).get("title", name)), text)
        for name, text in sorted(compiled.items())
        if name not in LEFT_OUT
    )
