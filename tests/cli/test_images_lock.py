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

from conftest import require
from hubfleet.cli import main
from hubfleet.core.images import parse_image
from hubfleet.upstream.image_lock import read_image_lock
from support.chart_mirror import chart_environment
from support.registry import free_port, oci_layout, push, registry
from support.validate import TOOLS, copy_example, findings, require_environment, run_validate
from tiers.test_hub_tier import HUB_PYTHON


def images(root: Path, *args: str, mirror: str | None = None, **extra: str | None) -> Result:
    env = {
        **chart_environment(),
        "HUBFLEET_SCHEMA_LOCATION": None,
        "HUBFLEET_HUB_PYTHON": str(HUB_PYTHON),
        "HUBFLEET_REGISTRY_MIRROR": mirror,
        "DOCKER_CONFIG": str(root / ".no-docker-config"),
        "PATH": f"{TOOLS}{os.pathsep}{os.environ.get('PATH', '')}",
        **extra,
    }
    return CliRunner().invoke(main, ["--root", str(root), "images", "lock", *args], env=env)


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[tuple[Path, str, dict[str, str]]]:
    """The example, and a registry holding an image (of its own content) for each image it runs."""
    require_environment()
    require(HUB_PYTHON.exists(), f"{HUB_PYTHON} is missing: run `make hub-venv`")
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
    assert CliRunner().invoke(main, ["--root", str(root), "render", "clusterA"]).exit_code == 0
    result = images(root, mirror=url)
    assert result.exit_code == 3
    host = url.removeprefix("http://")
    assert result.stderr == (
        "1 of 27 images could not be resolved; images.lock was not changed:\n"
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


def test_check_says_what_it_could_not_check(fleet: tuple[Path, str, dict[str, str]]) -> None:
    """An unresolved lock has nothing to compare: --check fails rather than pass on nothing."""
    root, url, _ = fleet
    result = images(root, "--check", mirror=url)
    assert result.exit_code == 1
    assert result.stderr.startswith("27 image(s) have no locked digest to check: docker.io/bitnami/")


def test_the_user_pods_images_need_the_hub_python(tmp_path: Path) -> None:
    """Without it the lock would miss what KubeSpawner adds to every user pod, which validate
    with --hub-python then refuses."""
    root = copy_example(tmp_path / "project", render=False)
    env = {"HUBFLEET_HUB_PYTHON": None}
    result = CliRunner().invoke(main, ["--root", str(root), "images", "lock", "--unresolved"], env=env)
    assert (result.exit_code, result.stderr) == (
        2,
        "--hub-python: is needed (or $HUBFLEET_HUB_PYTHON): every user pod runs the init containers KubeSpawner "
        "adds, and validate with --hub-python checks them against the lock (`make hub-venv`: "
        ".venv-hub/bin/python)\n",
    )


def test_no_lock_is_written_from_an_expansion_that_failed(
    fleet: tuple[Path, str, dict[str, str]], tmp_path: Path
) -> None:
    """Charts that cannot be had leave what the clusters run unknown: the lock is not shrunk to
    the rest."""
    root, url, _ = fleet
    before = (root / "images.lock").read_bytes()
    closed = f"http://127.0.0.1:{free_port()}"
    result = images(
        root, mirror=url, HUBFLEET_CHART_MIRROR=closed, HUBFLEET_CHART_CACHE=str(tmp_path / "empty-cache")
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("images.lock: not changed: ")
    assert "check(s) of the charts failed" in result.stderr
    assert (root / "images.lock").read_bytes() == before
