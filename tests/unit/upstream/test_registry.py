"""Tags resolved to digests through the OCI distribution API, against a real registry: Debian's
docker-registry on loopback, images pushed by skopeo from OCI layouts built here. skopeo's own
`inspect` gives the digest each answer is compared with."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from hubfleet.core.images import parse_image
from hubfleet.errors import RemoteError, UsageError
from hubfleet.upstream.registry import Registry, docker_credentials
from support.registry import LOGIN, free_port, oci_layout, push, registry


def test_a_tag_resolves_to_the_digest_a_runtime_pulls_and_a_moved_tag_is_seen(tmp_path: Path) -> None:
    with registry(tmp_path / "registry") as url:
        first = push(oci_layout(tmp_path / "v1", b"one\n"), url, "quay.io/jupyter/scipy-notebook:2025-11-10")
        ref = parse_image("quay.io/jupyter/scipy-notebook:2025-11-10")
        assert Registry(mirror=url).digest(ref) == first
        moved = push(oci_layout(tmp_path / "v2", b"two\n"), url, "quay.io/jupyter/scipy-notebook:2025-11-10")
        assert moved != first
        assert Registry(mirror=url).digest(ref) == moved


def test_a_docker_hub_short_name_is_looked_up_as_library(tmp_path: Path) -> None:
    with registry(tmp_path / "registry") as url:
        digest = push(oci_layout(tmp_path / "busybox", b"bb\n"), url, "docker.io/library/busybox:1.36")
        assert Registry(mirror=url).digest(parse_image("busybox:1.36")) == digest


def test_a_missing_tag_and_an_unreachable_registry_are_remote_errors(tmp_path: Path) -> None:
    with registry(tmp_path / "registry") as url:
        push(oci_layout(tmp_path / "img", b"x\n"), url, "quay.io/org/tool:1.0")
        with pytest.raises(RemoteError) as missing:
            Registry(mirror=url).digest(parse_image("quay.io/org/tool:2.0"))
    host = url.removeprefix("http://")
    assert str(missing.value) == f"quay.io/org/tool:2.0: {host} has no such tag (404)"
    closed = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RemoteError) as unreachable:
        Registry(mirror=closed).digest(parse_image("quay.io/org/tool:1.0"))
    assert str(unreachable.value).startswith(
        f"quay.io/org/tool:1.0: cannot reach {closed.removeprefix('http://')}: "
    )


def test_the_token_flow_anonymous_for_public_images_and_with_the_docker_login_for_others(
    tmp_path: Path,
) -> None:
    """The registry wants bearer tokens: anonymous ones serve public repositories; the site's
    login, read from a Docker config as `docker login` writes it, serves the rest."""
    config = tmp_path / "docker"
    config.mkdir()
    with registry(tmp_path / "registry", token=True) as url:
        host = url.removeprefix("http://")
        public = push(oci_layout(tmp_path / "pub", b"p\n"), url, "quay.io/public/notebook:1", LOGIN)
        private = push(oci_layout(tmp_path / "priv", b"q\n"), url, "quay.io/site/notebook:1", LOGIN)
        anonymous = Registry(mirror=url)
        assert anonymous.digest(parse_image("quay.io/public/notebook:1")) == public
        with pytest.raises(RemoteError) as refused:
            anonymous.digest(parse_image("quay.io/site/notebook:1"))
        auth = base64.b64encode(":".join(LOGIN).encode()).decode()
        (config / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
        logged_in = Registry(credentials=docker_credentials(config), mirror=url)
        assert logged_in.digest(parse_image("quay.io/site/notebook:1")) == private
    assert str(refused.value) == (
        f"quay.io/site/notebook:1: {host} refused access (401); log in with docker login {host}"
    )


def test_an_image_pinned_by_digest_is_locked_at_that_digest_without_asking(tmp_path: Path) -> None:
    """What the runtime pulls is the digest, whatever the tag now names; nothing is asked."""
    digest = "sha256:" + "b" * 64
    closed = Registry(mirror=f"http://127.0.0.1:{free_port()}")
    assert closed.digest(parse_image(f"quay.io/org/tool:1.0@{digest}")) == digest
    assert closed.digest(parse_image(f"quay.io/org/tool@{digest}")) == digest


def test_docker_logins_are_filed_under_the_registry_images_name(tmp_path: Path) -> None:
    token = base64.b64encode(b"robot:pw").decode()
    keys = ("https://index.docker.io/v1/", "quay.io", "https://ghcr.io", "registry.example.edu:5000")
    (tmp_path / "config.json").write_text(json.dumps({"auths": {key: {"auth": token} for key in keys}}))
    assert sorted(docker_credentials(tmp_path)) == [
        "docker.io",
        "ghcr.io",
        "quay.io",
        "registry.example.edu:5000",
    ]


def test_a_mirror_that_is_no_url_and_a_password_in_it_are_never_shown(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as error:
        Registry(mirror="registry.example.edu")
    assert (
        str(error.value)
        == "HUBFLEET_REGISTRY_MIRROR: 'registry.example.edu' is not an http(s) URL of a registry"
    )
    port = free_port()
    with pytest.raises(RemoteError) as refused:
        Registry(mirror=f"http://robot:S3CRET@127.0.0.1:{port}").digest(parse_image("quay.io/org/tool:1"))
    assert "S3CRET" not in str(refused.value)
    assert str(refused.value).startswith(f"quay.io/org/tool:1: cannot reach 127.0.0.1:{port}: ")
