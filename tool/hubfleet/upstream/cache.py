"""Upstream: chart packages fetched once, verified against the committed lock, cached by digest.

validate expands every HelmRelease through its real chart, so it needs each chart
package at its pinned version. Three rules keep that trustworthy and offline-friendly:

- **Locked.** `charts.lock` (committed, written by `hubfleet charts lock`) records the
  sha256 of every package the clusters use. A download that does not match is refused
  and never cached; a chart missing from the lock is reported, not trusted.
- **Cached by content.** Packages live in `<cache>/sha256/<digest>.tgz` (the XDG cache
  folder by default, `HUBFLEET_CHART_CACHE` to move it). A cached file is re-hashed
  before use, so a corrupted cache is refetched, not believed. `--offline` reads only
  the cache.
- **Mirrorable.** `HUBFLEET_CHART_MIRROR` (or `--chart-mirror`) names one Helm repository
  (`index.yaml` plus packages) consulted instead of every HelmRepository's own URL:
  air-gapped sites and the tests (a loopback server over a folder of packages) use it.

Network access is plain urllib: a GET of `index.yaml` and of a package, with a
timeout, nothing else; a heavier HTTP client would add nothing here.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from ..inputs.model.cluster import Cluster
from ..system.progress import waiting
from ..system.settings import CHART_CACHE_ENV, CHART_MIRROR_ENV, chart_cache, chart_mirror
from ..system.yaml_reader import load_one

TIMEOUT = 30.0
MAX_PACKAGE = 64 * 1024 * 1024
MAX_INDEX = 64 * 1024 * 1024


class FetchError(Exception):
    """A chart that cannot be had; the message is for a person (a finding, never a traceback)."""


class Unreachable(FetchError):
    """No source could be asked at all (no network, a name that does not resolve, --offline with
    an empty cache): the same for every chart, so validate says it once, with the ways out."""


def no_source_advice(cache: Path) -> str:
    """The three ways to give validate its chart packages, for a person who has none."""
    return (
        f"give them a source: set {CHART_MIRROR_ENV} (or --chart-mirror) to a Helm repository that mirrors "
        f"them; or fetch them once where the chart repositories are reachable into the chart cache "
        f"{cache} ({CHART_CACHE_ENV} moves it) and copy it here; or run with --offline to use the cache only "
        "and never the network"
    )


@dataclass(frozen=True, order=True)
class ChartRef:
    """One chart package: where Flux gets it (its HelmRepository URL), its name and version."""

    repository: str
    chart: str
    version: str

    def __str__(self) -> str:
        return f"{self.chart} {self.version} from {self.repository}"


@dataclass
class ChartSource:
    """Where packages come from: a cache folder, optionally a mirror, optionally offline."""

    cache: Path
    mirror: str | None = None
    offline: bool = False

    def __post_init__(self) -> None:
        self._indexes: dict[str, dict[str, Any]] = {}
        #: Repositories that could not be reached, asked once each: a black-holed network costs one
        #: timeout per repository, not one per release.
        self._unreachable: dict[str, Unreachable] = {}

    @classmethod
    def from_environment(
        cls, mirror: str | None = None, offline: bool = False, cache: Path | None = None
    ) -> ChartSource:
        return cls(cache or chart_cache(), mirror or chart_mirror(), offline)

    def repository_url(self, ref: ChartRef) -> str:
        return (self.mirror or ref.repository).rstrip("/") + "/"

    # The lock -------------------------------------------------------------------------------

    def index_digest(self, ref: ChartRef) -> tuple[str, str]:
        """The package URL and sha256 the repository's index gives for `ref` (for `charts lock`)."""
        entry = self._entry(ref)
        digest = str(entry.get("digest", ""))
        url = self._package_url(ref, entry)
        if len(digest) != 64:
            digest = hashlib.sha256(self._download(url, ref)).hexdigest()
        return url, digest

    # Packages -------------------------------------------------------------------------------

    def package(self, ref: ChartRef, digest: str) -> Path:
        """The verified package file of `ref`, fetched into the cache if needed."""
        cached = self.cache / "sha256" / f"{digest}.tgz"
        if cached.is_file() and _sha256_file(cached) == digest:
            return cached
        if self.offline:
            raise Unreachable(
                f"{ref} is not in the chart cache {self.cache} and --offline forbids fetching it"
            )
        with waiting(f"fetching {ref.chart} {ref.version}"):
            data = self._download(self._package_url(ref, self._entry(ref)), ref)
        found = hashlib.sha256(data).hexdigest()
        if found != digest:
            raise FetchError(
                f"{ref}: the downloaded package has sha256 {found}, but charts.lock says {digest}; refusing it "
                "(a changed upstream package or a tampered mirror; if the change is expected, run `hubfleet charts lock`)"
            )
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=".incoming-", dir=cached.parent)
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(name, cached)
        except OSError as error:
            raise FetchError(
                f"{ref}: cannot keep it in the chart cache {self.cache} ({error.strerror}); "
                f"set {CHART_CACHE_ENV} to a folder you can write"
            ) from None
        return cached

    def _entry(self, ref: ChartRef) -> dict[str, Any]:
        index = self._index(ref)
        entries = (index.get("entries") or {}).get(ref.chart) or []
        for entry in entries:
            if isinstance(entry, dict) and str(entry.get("version")) == ref.version:
                return entry
        known = ", ".join(str(e.get("version")) for e in entries[:8] if isinstance(e, dict)) or "none"
        raise FetchError(f"{ref}: no such version in {self.repository_url(ref)}index.yaml (it has: {known})")

    def _index(self, ref: ChartRef) -> dict[str, Any]:
        base = self.repository_url(ref)
        if base in self._unreachable:
            raise self._unreachable[base]
        if base not in self._indexes:
            if self.offline:
                raise Unreachable(f"{ref}: --offline, and the chart is not in the cache {self.cache}")
            try:
                raw = self._get(base + "index.yaml", MAX_INDEX, f"the index of {base}")
            except Unreachable as error:
                self._unreachable[base] = error
                raise
            try:
                loaded = load_one(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw)
            except YAMLError as error:
                raise FetchError(f"{base}index.yaml is not a Helm repository index ({error})") from None
            self._indexes[base] = loaded if isinstance(loaded, dict) else {}
        return self._indexes[base]

    def _package_url(self, ref: ChartRef, entry: dict[str, Any]) -> str:
        urls = entry.get("urls") or []
        if not urls:
            raise FetchError(f"{ref}: the index lists no URL for it")
        return urllib.parse.urljoin(self.repository_url(ref), str(urls[0]))

    def _download(self, url: str, ref: ChartRef) -> bytes:
        return self._get(url, MAX_PACKAGE, str(ref))

    @staticmethod
    def _get(url: str, limit: int, what: str) -> bytes:
        if urllib.parse.urlparse(url).scheme not in ("http", "https", "file"):
            raise FetchError(f"cannot fetch {what}: {url} is not an http(s) URL")
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
                data: bytes = response.read(limit + 1)
        except urllib.error.HTTPError as error:
            raise FetchError(f"cannot fetch {what}: {url} answered {error.code} {error.reason}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise Unreachable(f"cannot fetch {what}: {url}: {reason}") from None
        except ValueError as error:
            raise FetchError(f"cannot fetch {what}: {url}: {error}") from None
        if len(data) > limit:
            raise FetchError(f"cannot fetch {what}: {url} is larger than {limit // 1024 // 1024} MiB")
        return data


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


# The lock file ------------------------------------------------------------------------------

LOCK_HEADER = """\
# Written by `hubfleet charts lock`: the sha256 of every upstream chart package the clusters
# use. `hubfleet validate` expands each HelmRelease through exactly these packages and refuses
# one that does not match. Commit this file; run the command again after changing a chart pin.
"""


def read_lock(path: Path) -> dict[ChartRef, str]:
    """The locked digests, or FetchError saying why the file cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise FetchError(f"{path.name}: cannot read it ({error})") from None
    try:
        data = load_one(text) or {}
        entries = data.get("charts") or []
        return {
            ChartRef(str(e["repository"]), str(e["chart"]), str(e["version"])): str(e["sha256"])
            for e in entries
        }
    except (YAMLError, AttributeError, KeyError, TypeError) as error:
        raise FetchError(
            f"{path.name}: not a hubfleet charts lock ({error}); write it with `hubfleet charts lock`"
        ) from None


def lock_text(entries: dict[ChartRef, str]) -> str:
    lines = [LOCK_HEADER, "charts:\n"]
    for ref in sorted(entries, key=lambda r: (r.chart, r.version, r.repository)):
        lines.append(
            f'  - chart: {ref.chart}\n    version: "{ref.version}"\n    repository: {ref.repository}\n'
            f"    sha256: {entries[ref]}\n"
        )
    return "".join(lines)


def wanted_charts(clusters: Iterable[Cluster]) -> set[ChartRef]:
    """Every upstream chart package the clusters deploy, at their pinned versions."""
    return {
        ChartRef(chart.repository.url, chart.chart, cluster.charts.of(chart))
        for cluster in clusters
        for chart in cluster.deployed_charts
    }
