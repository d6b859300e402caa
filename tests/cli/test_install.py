"""The built wheel works on its own: installed into a fresh venv, run with `python -I`.

A test that runs hubfleet from the development venv proves nothing about the wheel: the editable
install's finder supplies any package the wheel left out (that is how a wheel without
hubfleet.planning passed here). So the wheel is built from a copy of what the build reads,
installed with its dependencies into a new venv beside nothing of this working tree, and every
module, every command's help, render, validate and plan run from there.

The build uses pip's default build isolation (the venv's own setuptools, 65.5, is older than
pyproject's `setuptools>=68`); pip fetches the build backend and the dependencies from the
package index, which the machines and CI reach.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import require
from support.chart_mirror import chart_environment
from support.sealing import make_cert, rsa_key, tls_files
from support.validate import TOOLS, require_environment
from unit.planning.test_plan import GIT_ENV

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "tool" / "hubfleet"

# Run with the installed venv's `python -I`: every module the package holds, imported; every
# command's --help, through click as the console script calls it; where everything was found.
PROBE = """
import json, pkgutil
from importlib import import_module, resources

import click
from click.testing import CliRunner

import hubfleet, hubfleet.schemas
from hubfleet.cli import main

modules = sorted(m.name for m in pkgutil.walk_packages(hubfleet.__path__, "hubfleet."))
failed = {}
for name in (m for m in modules if m != "hubfleet.__main__"):  # __main__ runs the CLI
    try:
        import_module(name)
    except Exception as error:
        failed[name] = f"{type(error).__name__}: {error}"

def commands(group, path):
    yield path
    if isinstance(group, click.Group):
        context = click.Context(group)
        for name in group.list_commands(context):
            yield from commands(group.get_command(context, name), [*path, name])

helps = {}
for path in commands(main, []):
    result = CliRunner().invoke(main, [*path, "--help"])
    helps[" ".join(path)] = [result.exit_code, result.output.splitlines()[:1], repr(result.exception)]

print(json.dumps({
    "modules": modules,
    "failed": failed,
    "helps": helps,
    "hubfleet": hubfleet.__file__,
    "schema_files": str(resources.files("hubfleet.schemas")),
    "data_files": str(resources.files("hubfleet").joinpath("data")),
}))
"""


def outcome(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def build_source(target: Path) -> Path:
    """A copy of what the build reads, so that the in-tree build (build/, *.egg-info) leaves the
    working tree alone."""
    target.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(REPO / name, target / name)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    shutil.copytree(REPO / "tool", target / "tool", ignore=skip)
    shutil.copytree(REPO / "schemas", target / "schemas", ignore=skip)
    shutil.copytree(REPO / "charts", target / "charts", ignore=skip)
    return target


def run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv holding the built wheel and its dependencies, and nothing of this working tree."""
    root = tmp_path_factory.mktemp("install")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONFIG_FILE"):
        if name in os.environ:
            env[name] = os.environ[name]
    wheels = root / "dist"
    build = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                 str(build_source(root / "source"))], root, env)  # fmt: skip
    assert build.returncode == 0, outcome(build)
    (wheel,) = wheels.glob("hubfleet-*.whl")
    venv = root / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], root, env)
    assert made.returncode == 0, outcome(made)
    install = run([str(venv / "bin" / "python"), "-I", "-m", "pip", "install", "-q", str(wheel)], root, env)
    require(install.returncode == 0 or "No matching distribution" not in install.stderr,
            f"the wheel's dependencies could not be fetched: {install.stderr.strip()[-300:]}")  # fmt: skip
    assert install.returncode == 0, outcome(install)
    yield venv


def user_env(venv: Path, home: Path) -> dict[str, str]:
    """What a user's shell would have: the venv's bin, helm and kubectl, git; nothing of this tree."""
    return {
        **chart_environment(),
        **GIT_ENV,
        "PATH": f"{venv / 'bin'}{os.pathsep}{TOOLS}{os.pathsep}/usr/bin:/bin",
        "HOME": str(home),
        "HUBFLEET_TODAY": os.environ["HUBFLEET_TODAY"],
        "HUBFLEET_DASHBOARD_CACHE": os.environ["HUBFLEET_DASHBOARD_CACHE"],
    }


def test_every_module_imports_and_every_command_helps_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    probe = run(
        [str(installed / "bin" / "python"), "-I", "-c", PROBE], tmp_path, user_env(installed, tmp_path)
    )
    assert probe.returncode == 0, outcome(probe)
    found = json.loads(probe.stdout)
    assert found["failed"] == {}
    # Every module of the source tree is in the wheel (the input schemas join as hubfleet.schemas).
    source = {
        ".".join(("hubfleet", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        for path in PACKAGE.rglob("*.py")
    }
    assert sorted(source - {"hubfleet"} | {"hubfleet.schemas", "hubfleet.charts"}) == found["modules"]
    assert {command: help for command, help in found["helps"].items() if help[0] != 0} == {}
    assert len(found["helps"]) > 30 and "plan changes" in found["helps"] and "aws drift" in found["helps"]
    site = (installed / "lib").resolve()
    for key in ("hubfleet", "schema_files", "data_files"):
        assert Path(found[key]).resolve().is_relative_to(site), (
            f"{key} was found at {found[key]}, outside the venv"
        )
    for file in sorted((REPO / "schemas").glob("*.schema.json")):
        assert (Path(found["schema_files"]) / file.name).is_file(), f"schemas/{file.name} did not ship"
    for file in sorted((PACKAGE / "data").rglob("*.json")):
        relative = file.relative_to(PACKAGE / "data")
        assert (Path(found["data_files"]) / relative).is_file(), f"hubfleet/data/{relative} did not ship"
    script = run([str(installed / "bin" / "hubfleet"), "--help"], tmp_path, user_env(installed, tmp_path))
    assert script.returncode == 0 and script.stdout.startswith("Usage: hubfleet "), outcome(script)


def test_the_wheel_renders_validates_and_plans_the_example(installed: Path, tmp_path: Path) -> None:
    require_environment()
    example = tmp_path / "example"
    shutil.copytree(REPO / "clusters", example / "clusters")
    shutil.copy(REPO / "charts.lock", example / "charts.lock")
    env = user_env(installed, tmp_path)
    hubfleet = str(installed / "bin" / "hubfleet")

    render = run([hubfleet, "render", "--all"], example, env)
    assert render.returncode == 0, outcome(render)
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "gitops"], capture_output=True, text=True, check=True
    )
    committed = sorted(
        Path(line) for line in listed.stdout.splitlines() if ".hubfleet" not in Path(line).parts
    )
    rendered = sorted(p.relative_to(example) for p in (example / "gitops").rglob("*")
                      if p.is_file() and ".hubfleet" not in p.parts)  # fmt: skip
    assert rendered == committed
    for path in committed:
        assert (example / path).read_bytes() == (REPO / path).read_bytes(), (
            f"{path} differs from the committed tree"
        )

    check = run([hubfleet, "validate", "--backend", "jsonschema"], example, env)
    assert check.returncode == 0, outcome(check)
    # The example's lock is unresolved here: one warning says so.
    assert check.stdout.splitlines()[-1].endswith(" passed, 0 failed, 1 warning"), outcome(check)

    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        assert run(["git", *args], example, env).returncode == 0
    hub = example / "clusters" / "clusterA" / "hubs" / "datalab.yaml"
    hub.write_text(hub.read_text().replace("size: 40Gi", "size: 50Gi"))
    plan = run([hubfleet, "plan", "changes", "--base", "main"], example, env)
    assert plan.returncode == 0, outcome(plan)
    # The plan, expanded through the drive chart with helm: everything after the base's hash.
    assert plan.stdout.splitlines()[1:] == [
        "risks: 0 blocking, 0 warning, 1 info",
        "  info: data: clusterA/datalab: the drive grows from 40Gi to 50Gi: the EBS volume and its file "
        "system grow online, users keep working",
        "clusterA: 0 objects added, 3 changed, 0 removed; 1 HelmRelease upgrade; hubs affected: datalab",
        "  upgrade datalab/drive: new values",
        "  ~ HelmRelease datalab/drive (gitops/hubs/clusterA/datalab/drive.yaml)",
        "      spec.values.size: 40Gi -> 50Gi",
        "  ~ PersistentVolume datalab/datalab-drive-home (via HelmRelease datalab/drive)",
        "      spec.capacity.storage: 40Gi -> 50Gi",
        "  ~ PersistentVolumeClaim datalab/data-drive-nfs-0 (via HelmRelease datalab/drive)",
        "      spec.resources.requests.storage: 40Gi -> 50Gi",
    ], outcome(plan)


def test_init_makes_a_fleet_the_wheel_renders_validates_and_plans(installed: Path, tmp_path: Path) -> None:
    """The newcomer's path with `pip install` alone: init a fleet outside this repository, answer
    what validate asks for (a real flux.url, the sealing key, Grafana's login, an
    admin's password), then render, validate and plan there; nothing of hubfleet's repository is
    beside the fleet, so the drive chart and charts.lock can only have come from the wheel."""
    require_environment()
    env = user_env(installed, tmp_path)
    hubfleet = str(installed / "bin" / "hubfleet")
    fleet = tmp_path / "fleet"

    def ok(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run([hubfleet, *args], cwd=fleet, env=env, input=stdin, capture_output=True,
                              text=True, timeout=600, check=False)  # fmt: skip
        assert done.returncode == 0, outcome(done)
        return done.stdout

    made = run([hubfleet, "init", str(fleet), "--cluster", "campus", "--region", "us-west-2", "--domain",
                "hubs.example.edu", "--account-id", "123456789012", "--zone-id", "Z0EXAMPLE1",
                "--acme-email", "ops@example.edu", "--git-url", "ssh://git@github.com/example-university/hubs.git"],
               tmp_path, env)  # fmt: skip
    assert made.returncode == 0, outcome(made)
    assert sorted(
        p.relative_to(fleet).as_posix() for p in fleet.rglob("*") if p.is_file() and "gitops" not in p.parts
    ) == [
        ".github/workflows/plan.yml",
        ".github/workflows/validate.yml",
        ".gitignore",
        "README.md",
        "charts.lock",
        "clusters/campus/cluster.yaml",
    ]
    assert (fleet / "charts.lock").read_bytes() == (REPO / "tool/hubfleet/data/charts.lock").read_bytes()
    assert (fleet / "gitops/charts/nfs-drive/values.schema.json").read_bytes() == (
        REPO / "charts/nfs-drive/values.schema.json"
    ).read_bytes()
    ok("keys", "new", "campus", "--out", str(tmp_path / "campus.key"))
    ok("seal", "monitoring", "campus", "--generate")
    crt, key = tls_files(
        tmp_path / "tls", rsa_key(), make_cert(rsa_key(), ("hubs.example.edu", "*.hubs.example.edu"))
    )
    # The new cluster's certificate comes from Let's Encrypt (tls.mode acme): nothing to seal.
    refused = subprocess.run([hubfleet, "seal", "tls", "campus", "--cert", str(crt), "--key", str(key)], cwd=fleet,
                             env=env, capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    assert (refused.returncode, refused.stderr) == (
        2,
        "CLUSTER: clusters/campus/cluster.yaml says tls.mode: acme, so cert-manager writes nginx-ingress/campus-tls "
        "and renews it; a sealed certificate would fight it. Seal one only with tls.mode: sealed\n",
    )
    ok("new", "hub", "campus", "course", "--admin", "alice")
    ok("seal", "auth", "campus", "course", "--admin", "alice", stdin="correct-horse-battery-staple\n")
    ok("render")
    checked = ok("validate", "--backend", "jsonschema")
    # A new fleet has no images.lock until `images lock` runs where the registries answer: a warning.
    assert checked.splitlines()[-1].endswith(" passed, 0 failed, 1 warning"), checked
    assert "no images.lock: every image is pinned by its tag only" in checked

    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        assert run(["git", *args], fleet, env).returncode == 0
    hub = fleet / "clusters/campus/hubs/course.yaml"
    hub.write_text(hub.read_text().replace("size: 40Gi", "size: 60Gi"))
    planned = ok("plan", "changes", "--base", "main")
    assert "  ~ HelmRelease course/drive (gitops/hubs/campus/course/drive.yaml)" in planned.splitlines()
    assert "      spec.capacity.storage: 40Gi -> 60Gi" in planned.splitlines(), planned
