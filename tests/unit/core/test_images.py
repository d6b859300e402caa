"""Image references read as container runtimes read them (core/images.py)."""

from __future__ import annotations

import pytest

from hubfleet.core.images import ImageRef, parse_image

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("busybox:1.37.0", ImageRef("docker.io", "library/busybox", "1.37.0")),
        ("nginx/nginx-ingress:5.5.4", ImageRef("docker.io", "nginx/nginx-ingress", "5.5.4")),
        (
            "quay.io/jupyter/scipy-notebook:2025-11-10",
            ImageRef("quay.io", "jupyter/scipy-notebook", "2025-11-10"),
        ),
        ("localhost:5000/tool:1", ImageRef("localhost:5000", "tool", "1")),
        (f"registry.k8s.io/pause:3.10.1@{DIGEST}", ImageRef("registry.k8s.io", "pause", "3.10.1", DIGEST)),
    ],
)
def test_references_read_as_runtimes_read_them(text: str, parsed: ImageRef) -> None:
    assert parse_image(text) == parsed
    assert parsed.api_host == ("registry-1.docker.io" if parsed.registry == "docker.io" else parsed.registry)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("busybox", "has neither a tag nor a digest; pin one (a tag can move, `latest` always does)"),
        ("busybox@sha256:abc", "'sha256:abc' is not a sha256 digest (sha256: and 64 hex digits)"),
        ("Quay.io/Jupyter/x:1", "'Jupyter/x' is not a valid repository name (lower case, digits, . _ -)"),
    ],
)
def test_a_reference_that_cannot_be_pinned_says_why(text: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_image(text)
    assert str(error.value) == message
