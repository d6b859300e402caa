"""Shared layer: container image references, read the way container runtimes read them.

`busybox:1.36` is `docker.io/library/busybox:1.36`; the first path component names a registry
only when it looks like a host (a dot, a port, or `localhost`). Docker Hub's API answers at
`registry-1.docker.io`. A reference may carry a tag, a digest, or both (`repo:tag@sha256:...`,
the form render pins images in: the tag for people, the digest for the runtime).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
#: A repository path component and a tag, as the OCI distribution spec allows them.
COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True, order=True)
class ImageRef:
    registry: str
    repository: str
    tag: str
    digest: str = ""

    @property
    def name(self) -> str:
        """`registry/repository`, the key a lock file and a mirror use."""
        return f"{self.registry}/{self.repository}"

    @property
    def tagged(self) -> str:
        return f"{self.name}:{self.tag}"

    @property
    def api_host(self) -> str:
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    def pinned(self, digest: str) -> str:
        return f"{self.tagged}@{digest}"


def parse_image(text: str) -> ImageRef:
    """The reference `text` names, or ValueError saying what is wrong with it."""
    rest, _, digest = text.partition("@")
    if digest and not DIGEST.fullmatch(digest):
        raise ValueError(f"'{digest}' is not a sha256 digest (sha256: and 64 hex digits)")
    slash, colon = rest.rfind("/"), rest.rfind(":")
    name, tag = (rest[:colon], rest[colon + 1 :]) if colon > slash else (rest, "")
    if not tag and not digest:
        raise ValueError("has neither a tag nor a digest; pin one (a tag can move, `latest` always does)")
    if tag and not TAG.fullmatch(tag):
        raise ValueError(f"'{tag}' is not a valid tag")
    first, _, remainder = name.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, remainder
    else:
        registry, repository = DOCKER_HUB, name
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    if not all(COMPONENT.fullmatch(part) for part in repository.split("/")):
        raise ValueError(f"'{repository}' is not a valid repository name (lower case, digits, . _ -)")
    return ImageRef(registry.lower(), repository, tag, digest)
