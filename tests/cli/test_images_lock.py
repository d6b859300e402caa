"""`hubfleet images lock` on the example, against a real registry: Debian's docker-registry on
loopback as the site's mirror (HUBFLEET_REGISTRY_MIRROR), holding a small image, pushed by skopeo,
for every image the example runs. skopeo's own `inspect` gives the digests the lock must hold."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hubfleet.cli import main
from hubfleet.core.images import parse_image
from hubfleet.upstream.image_lock import read_image_lock
from support.chart_mirror import chart_environment
from support.registry import oci_layout, push, registry
from support.validate import TOOLS, copy_example, findings, require_environment, run_validate


def images(root: Path, *args: str, mirror: str | None = None) -> Result:
    env = {
        **chart_environment(),
        "HUBFLEET_SCHEMA_LOCATION": None,
        "HUBFLEET_HUB_PYTHON": None,
        "HUBFLEET_REGISTRY_MIRROR": mirror,
        "DOCKER_CONFIG": str(root / ".no-docker-config"),
        "PATH": f"{TOOLS}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return CliRunner().invoke(main, ["--root", str(root), "images", "lock", *args], env=env)


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[tuple[Path, str, dict[str, str]]]:
    """The example, and a registry holding an image (of its own content) for each image it runs."""
    require_environment()
    root = copy_example(tmp_path / "project")
    (root / "images.lock").unlink(missing_ok=True)
    listed = images(root, "--unresolved")
    assert listed.exit_code == 0, listed.output
    wanted = sorted(read_image_lock(root / "images.lock", "images.lock"))
    with registry(tmp_path / "registry") as url:
        pushed = {}
        for index, image in enumerate(wanted):
            layout = oci_layout(tmp_path / "layouts" / str(index), f"{image}\n".encode())
            pushed[image] = push(layout, url, parse_image(image).tagged)
        yield root, url, pushed


def test_the_lock_holds_what_each_tag_names_and_catches_a_moved_tag(
    fleet: tuple[Path, str, dict[str, str]], tmp_path: Path
) -> None:
    root, url, pushed = fleet
    started = time.monotonic()
    result = images(root, mirror=url)
    took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith(f"wrote images.lock ({len(pushed)} images, ")
    locked = read_image_lock(root / "images.lock", "images.lock")
    assert {image: entry.digest for image, entry in locked.items()} == pushed
    print(f"\nimages lock: {len(pushed)} images against the loopback registry in {took:.1f} s")
    checked = run_validate(root)
    assert checked.exit_code == 0, checked.output
    assert not [line for line in findings(checked) if "images.lock" in line]

    again = images(root, "--check", mirror=url)
    assert again.exit_code == 0, again.output
    image = "quay.io/jupyterhub/k8s-hub:4.4.0"
    moved = push(oci_layout(tmp_path / "moved", b"moved\n"), url, image)
    assert moved != pushed[image]
    caught = images(root, "--check", mirror=url)
    assert caught.exit_code == 1
    assert caught.stderr.startswith(f"1 tag(s) moved since the lock: {image} (")
    assert read_image_lock(root / "images.lock", "images.lock")[image].digest == pushed[image]


def test_a_lookup_that_fails_changes_nothing(fleet: tuple[Path, str, dict[str, str]]) -> None:
    root, url, _ = fleet
    before = (root / "images.lock").read_bytes()
    cluster = root / "clusters/clusterA/cluster.yaml"
    cluster.write_text(cluster.read_text().replace('tag: "2025-11-10"', 'tag: "2025-12-01"'))
    result = images(root, mirror=url)
    assert result.exit_code == 3
    host = url.removeprefix("http://")
    assert result.stderr == (
        "1 of 25 images could not be resolved; images.lock was not changed:\n"
        f"  quay.io/jupyter/scipy-notebook:2025-12-01: {host} has no such tag (404)\n"
    )
    assert (root / "images.lock").read_bytes() == before


def test_validate_holds_the_fleet_to_its_lock(fleet: tuple[Path, str, dict[str, str]]) -> None:
    root, _, _ = fleet
    cluster = root / "clusters/clusterA/cluster.yaml"
    cluster.write_text(cluster.read_text().replace('tag: "2025-11-10"', 'tag: "2025-12-01"'))
    CliRunner().invoke(main, ["--root", str(root), "render", "clusterA"])
    result = run_validate(root)
    assert result.exit_code == 1
    assert (
        "images.lock: quay.io/jupyter/scipy-notebook:2025-12-01 (gitops) is not in images.lock; run "
        "`hubfleet images lock` and commit it" in findings(result)
    )
    lock = root / "images.lock"
    lock.write_text(lock.read_text().replace("\n    digest: null", "\n    digest: sha256:abc", 1))
    result = run_validate(root)
    assert (
        "images.lock: images[0]: digest 'sha256:abc' is not sha256: and 64 hex digits (or null: not resolved yet)"
        in findings(result)
    )
