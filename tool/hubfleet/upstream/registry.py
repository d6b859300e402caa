"""Upstream, images: what digest a tag names now, asked of the registry through the OCI
distribution API (the edge that `hubfleet images lock` calls; nothing else here talks to one).

One HEAD of `/v2/<repository>/manifests/<tag>`, accepting an image index, a Docker manifest list
and the single-image manifests of both, and the `Docker-Content-Digest` the registry answers:
the digest of the very bytes a runtime pulls by that tag (for a multi-architecture image, the
index). A registry that answers without that header is asked again with GET, and the bytes are
hashed.

Authentication follows the distribution spec's challenge: a 401 with `Bearer realm=...,service=...,
scope=...` sends hubfleet to the realm for a token (anonymously, as public registries allow, or
with the registry's credentials from the user's Docker config), a `Basic` challenge takes those
credentials directly. Credential helpers (`credsStore`) are not run; their registries need an
`auths` entry or a mirror. A mirror (`HUBFLEET_REGISTRY_MIRROR`: a registry that holds every
image under `<registry>/<repository>`, as an air-gapped site's does) is asked instead of each
image's own registry.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.images import DIGEST, ImageRef
from ..errors import LocalError, RemoteError, UsageError
from ..system.settings import REGISTRY_MIRROR_ENV

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
TIMEOUT = 20
#: The distribution spec's limit for a manifest a registry must accept (4 MiB).
MAX_MANIFEST = 4 * 1024 * 1024
CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')

Credentials = Mapping[str, tuple[str, str]]


def docker_credentials(config_dir: Path) -> dict[str, tuple[str, str]]:
    """Registry -> (user, password) from `<config_dir>/config.json`'s `auths` (as `docker login`
    writes them); {} when there is no such file."""
    path = config_dir / "config.json"
    if not path.is_file():
        return {}
    try:
        auths = json.loads(path.read_text(encoding="utf-8")).get("auths") or {}
        found = {}
        for registry, entry in auths.items():
            token = entry.get("auth") if isinstance(entry, dict) else None
            if token:
                user, _, password = base64.b64decode(token).decode().partition(":")
                found[config_host(registry)] = (user, password)
        return found
    except (ValueError, AttributeError, UnicodeDecodeError) as error:
        raise LocalError(str(path), f"cannot read its auths: {error}") from None


#: The names `docker login` files Docker Hub's login under; images name it docker.io.
DOCKER_HUB_KEYS = frozenset({"index.docker.io", "registry-1.docker.io", "docker.io"})


def config_host(key: str) -> str:
    """The registry an `auths` key names: `https://index.docker.io/v1/` is Docker Hub (docker.io),
    `quay.io` and `https://ghcr.io` their hosts."""
    host = urllib.parse.urlparse(key).netloc if "://" in key else key.split("/")[0]
    return "docker.io" if host.lower() in DOCKER_HUB_KEYS else host.lower()


def shown(url: str) -> str:
    """A URL's host and port for a message, never a user:password it carries."""
    return urllib.parse.urlparse(url).netloc.rpartition("@")[2]


def _challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, params = header.partition(" ")
    return scheme.lower(), dict(CHALLENGE_PARAM.findall(params))


def _request(url: str, authorization: str | None, method: str) -> urllib.request.Request:
    """A manifest request; its credentials go to this URL's host only, never on to a redirect's."""
    request = urllib.request.Request(url, headers={"Accept": ", ".join(MANIFEST_TYPES)}, method=method)
    if authorization:
        request.add_unredirected_header("Authorization", authorization)
    return request


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass
class Registry:
    """Resolves tags to digests; `credentials` by registry host, `mirror` an http(s) base URL."""

    credentials: Credentials = field(default_factory=dict)
    mirror: str | None = None
    timeout: float = TIMEOUT
    #: Tokens by (realm, scope), reused across images of one repository.
    _tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mirror and urllib.parse.urlparse(self.mirror).scheme not in ("http", "https"):
            raise UsageError(REGISTRY_MIRROR_ENV, f"{self.mirror!r} is not an http(s) URL of a registry")

    def _url(self, ref: ImageRef) -> tuple[str, str]:
        """The manifest URL, and the host whose credentials apply."""
        if self.mirror:
            base = self.mirror.rstrip("/")
            return f"{base}/v2/{ref.name}/manifests/{ref.tag}", shown(base)
        return f"https://{ref.api_host}/v2/{ref.repository}/manifests/{ref.tag}", ref.registry

    def digest(self, ref: ImageRef) -> str:
        """The digest `ref`'s tag names now, or RemoteError saying what the registry answered. A
        reference pinned by digest already names what the runtime pulls, whatever its tag."""
        if ref.digest:
            return ref.digest
        url, host = self._url(ref)
        authorization: str | None = None
        for _attempt in range(2):
            try:
                return self._ask(url, authorization, ref)
            except urllib.error.HTTPError as error:
                error.close()  # it holds the answer's connection
                if error.code != 401 or authorization is not None:
                    raise RemoteError(self._refusal(ref, url, error)) from None
                authorization = self._authorize(error.headers.get("WWW-Authenticate", ""), host, ref)
            except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
                reason = getattr(error, "reason", error)
                raise RemoteError(f"{ref.tagged}: cannot reach {shown(url)}: {reason}") from None
        raise RemoteError(f"{ref.tagged}: {shown(url)} refused the credentials")

    def _ask(self, url: str, authorization: str | None, ref: ImageRef) -> str:
        with urllib.request.urlopen(_request(url, authorization, "HEAD"), timeout=self.timeout) as answer:
            digest = answer.headers.get("Docker-Content-Digest", "")
        if DIGEST.fullmatch(digest):
            return str(digest)
        with urllib.request.urlopen(_request(url, authorization, "GET"), timeout=self.timeout) as answer:
            kind = answer.headers.get_content_type()
            body = answer.read(MAX_MANIFEST + 1)
        if kind not in MANIFEST_TYPES:
            raise RemoteError(f"{ref.tagged}: {shown(url)} answered {kind}, not a manifest, and no digest")
        if len(body) > MAX_MANIFEST:
            raise RemoteError(
                f"{ref.tagged}: the manifest is over {MAX_MANIFEST // 1024 // 1024} MiB; not a manifest"
            )
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def _authorize(self, header: str, host: str, ref: ImageRef) -> str:
        scheme, params = _challenge(header)
        login = self.credentials.get(host)
        if scheme == "basic":
            if login is None:
                raise RemoteError(
                    f"{ref.tagged}: {host} asks for a login; add it to your Docker config (docker login {host})"
                )
            return _basic(*login)
        if scheme != "bearer" or "realm" not in params:
            raise RemoteError(
                f"{ref.tagged}: {host} asks for an authentication hubfleet does not speak ({header or 'none'})"
            )
        realm = urllib.parse.urlparse(params["realm"])
        if realm.scheme not in ("http", "https"):
            raise RemoteError(
                f"{ref.tagged}: {host} names a token service that is not http(s): {params['realm']}"
            )
        if realm.scheme == "http" and realm.hostname != urllib.parse.urlparse(f"//{host}").hostname:
            login = None  # a login goes in clear only to the registry's own host
        scope = params.get("scope", f"repository:{ref.repository}:pull")
        key = (params["realm"], scope)
        if key not in self._tokens:
            query = urllib.parse.urlencode(
                {k: v for k, v in (("service", params.get("service")), ("scope", scope)) if v}
            )
            joiner = "&" if realm.query else "?"
            request = urllib.request.Request(f"{params['realm']}{joiner}{query}")
            if login is not None:
                # Never carried on to another host a redirect names.
                request.add_unredirected_header("Authorization", _basic(*login))
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                    body = json.loads(answer.read())
            except urllib.error.HTTPError as error:
                error.close()
                raise RemoteError(
                    f"{ref.tagged}: the token service {params['realm']} answered {error.code}"
                ) from None
            except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
                raise RemoteError(f"{ref.tagged}: no token from {params['realm']}: {error}") from None
            token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
            if not token:
                raise RemoteError(f"{ref.tagged}: the token service {params['realm']} gave no token")
            self._tokens[key] = str(token)
        return f"Bearer {self._tokens[key]}"

    @staticmethod
    def _refusal(ref: ImageRef, url: str, error: urllib.error.HTTPError) -> str:
        host = shown(url)
        if error.code == 404:
            return f"{ref.tagged}: {host} has no such tag (404)"
        if error.code in (401, 403):
            return f"{ref.tagged}: {host} refused access ({error.code}); log in with docker login {host}"
        return f"{ref.tagged}: {host} answered {error.code} {error.reason}"
