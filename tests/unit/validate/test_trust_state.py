"""State on disk that hubfleet did not write, and folders and files it cannot trust (issue 26).

Each test reproduces a case of the adversarial audit: a committed journal whose paths leave the
tree, a planted lock symlink, gitops/ or its state folder leading out of the project, state
committed to git, an unreadable hubs/ folder, a FIFO or a device among the inputs, a symlink
loop between hub files. Every one of them failed (wrote outside, deleted, hung or crashed)
before the checks they test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import Result

from conftest import set_field
from hubfleet.core.layout import STATE_DIR, Layout
from hubfleet.inputs.bootstrap import bootstrap_command, describe_bootstrap
from hubfleet.inputs.pipeline import load_cluster
from hubfleet.planning import revisions
from hubfleet.system.programs import run as run_tool
from hubfleet.system.project import Project
from hubfleet.write.journal import JOURNAL
from support.builders import make_cluster
from unit.planning.test_plan import commit, git
from unit.write.test_write_safety import Killed, kill_after

Run = Callable[..., Result]


def plant_journal(root: Path, **lists: list[str]) -> None:
    state = root / "gitops" / STATE_DIR
    state.mkdir(exist_ok=True)
    entry = {"txn": "txn-planted", "direction": "forward", "added": [], "changed": [], "removed": [], **lists}
    (state / JOURNAL).write_text(json.dumps(entry))


@pytest.mark.parametrize(
    "removed",
    [["../../outside.txt"], ["../clusters/clusterA/cluster.yaml"], ["/etc/hostname"], [f"{STATE_DIR}/lock"]],
)
def test_a_journal_naming_paths_outside_the_tree_is_refused(
    rendered: Path, run: Run, tmp_path: Path, removed: list[str]
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    cluster = (rendered / "clusters/clusterA/cluster.yaml").read_bytes()
    plant_journal(rendered, removed=removed)
    result = run(rendered, "validate", "--skip", "charts", "--skip", "flux")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"gitops/{STATE_DIR}: an interrupted render could not be settled (the journal names {removed[0]!r}, "
        "which is not a file of the tree); fix that and run the command again, or restore the tree with "
        f"`git checkout -- gitops` and remove gitops/{STATE_DIR}/"
    ]
    assert outside.read_text() == "keep me"
    assert (rendered / "clusters/clusterA/cluster.yaml").read_bytes() == cluster


def test_a_journal_through_a_symlinked_folder_is_refused(rendered: Path, run: Run, tmp_path: Path) -> None:
    (tmp_path / "away").mkdir()
    (tmp_path / "away" / "victim.txt").write_text("keep me")
    (rendered / "gitops" / "hubs" / "escape").symlink_to(tmp_path / "away")
    plant_journal(rendered, removed=["hubs/escape/victim.txt"])
    result = run(rendered, "render", "clusterA")
    assert result.exit_code == 2
    assert "passes through the symlink" in result.stderr
    assert (tmp_path / "away" / "victim.txt").read_text() == "keep me"


def test_a_planted_lock_symlink_truncates_nothing(rendered: Path, run: Run, tmp_path: Path) -> None:
    victim = tmp_path / "bashrc"
    victim.write_text("export KEEP=1\n")
    lock = rendered / "gitops" / STATE_DIR / "lock"
    lock.unlink()
    lock.symlink_to(victim)
    result = run(rendered, "render", "clusterA")
    assert (result.exit_code, result.stderr) == (
        2,
        f"gitops/{STATE_DIR}/lock: cannot lock the folder for writing: Too many levels of symbolic links (a "
        "symlink where hubfleet allows none (it could lead out of the project, or loop); replace it with a real "
        "file or folder); nothing was written\n",
    )
    assert victim.read_text() == "export KEEP=1\n"
    lock.unlink()
    lock.mkdir()
    result = run(rendered, "render", "clusterA")
    assert (result.exit_code, result.stderr) == (
        2,
        f"gitops/{STATE_DIR}/lock: cannot lock the folder for writing: Is a directory (a folder stands where a "
        "file should be; move it away); nothing was written\n",
    )


def test_gitops_leading_out_of_the_project_is_refused(rendered: Path, run: Run, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (rendered / "gitops").rename(elsewhere)
    (rendered / "gitops").symlink_to(elsewhere)
    before = sorted(p.relative_to(elsewhere) for p in elsewhere.rglob("*"))
    (rendered / "clusters/clusterA/hubs/datalab.yaml").unlink()
    result = run(rendered, "render", "clusterA")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"gitops: leads out of the project (to {elsewhere}); hubfleet writes gitops/ only inside the project: "
        "make it a real folder; nothing was read or written"
    ]
    assert sorted(p.relative_to(elsewhere) for p in elsewhere.rglob("*")) == before


def test_a_state_folder_leading_elsewhere_is_refused(rendered: Path, run: Run, tmp_path: Path) -> None:
    state = rendered / "gitops" / STATE_DIR
    (tmp_path / "state").mkdir()
    for path in state.iterdir():
        path.unlink()
    state.rmdir()
    state.symlink_to(tmp_path / "state")
    (rendered / "clusters/clusterA/hubs/datalab.yaml").unlink()
    result = run(rendered, "render", "clusterA")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"gitops/{STATE_DIR}: cannot lock the folder for writing: is a symlink (it could lead out of the "
        "project); make it a real folder; nothing was written"
    ]
    assert list((tmp_path / "state").iterdir()) == []


def test_state_committed_to_git_is_never_read(rendered: Path, run: Run) -> None:
    git(rendered, "init", "-q")
    git(rendered, "add", "-f", f"gitops/{STATE_DIR}/fingerprints.json")
    commit(rendered, "hostile")
    plant_journal(rendered, removed=["hubs/clusterA/datalab/drive.yaml"])
    result = run(rendered, "render", "clusterA")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"gitops/{STATE_DIR}: is committed to git, but hubfleet's lock, journal and fingerprints belong to one "
        "checkout and are never read from a commit (a committed journal could move files); remove it with "
        f"`git rm -r --cached gitops/{STATE_DIR}` and delete the folder; nothing was read or written"
    ]
    assert (rendered / "gitops/hubs/clusterA/datalab/drive.yaml").exists()


def test_an_unlistable_hubs_folder_is_an_error_not_no_hubs(
    rendered: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root (the CI machines) chmod 0300 does not stop a listing, so the refusal the kernel
    gives a user is injected where hubfleet lists the folder."""
    hubs = rendered / "clusters/clusterA/hubs"
    real = os.scandir

    def scandir(path: object) -> object:
        if Path(str(path)) == hubs:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", scandir)
    before = sorted((rendered / "gitops/hubs/clusterA").iterdir())
    result = run(rendered, "render", "clusterA")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "clusters/clusterA/hubs: cannot list the folder: Permission denied; nothing was written"
    )
    assert sorted((rendered / "gitops/hubs/clusterA").iterdir()) == before


def test_stray_files_in_hubs_are_named(rendered: Path, run: Run) -> None:
    hubs = rendered / "clusters/clusterA/hubs"
    (hubs / "datalab.yaml.bak").write_text("name: datalab\n")
    (hubs / "Physics.YAML").write_text("name: physics\n")
    (hubs / "sub").mkdir()
    (hubs / ".gitkeep").write_text("")
    result = run(rendered, "render", "clusterA")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:3] == [
        "clusters/clusterA/hubs/Physics.YAML: not a hub file in hubs/, which holds only <hub>.yaml files; "
        "rename it Physics.yaml; move it out of hubs/",
        "clusters/clusterA/hubs/datalab.yaml.bak: not a hub file in hubs/, which holds only <hub>.yaml files; "
        "move it out of hubs/",
        "clusters/clusterA/hubs/sub: a folder in hubs/, which holds only <hub>.yaml files; move it out of hubs/",
    ]


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own, so a hang is a timeout and not a stuck test run."""
    return subprocess.run(
        [sys.executable, "-m", "hubfleet", "--root", str(root), *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_fifos_devices_and_symlink_loops_among_the_inputs_neither_hang_nor_crash(rendered: Path) -> None:
    hubs = rendered / "clusters/clusterA/hubs"
    os.mkfifo(hubs / "fifo.yaml")
    (rendered / "clusters/clusterA/secrets").mkdir(exist_ok=True)
    (rendered / "clusters/clusterA/secrets/zero.sealedsecret.yaml").symlink_to("/dev/zero")
    (hubs / "a.yaml").symlink_to(hubs / "b.yaml")
    (hubs / "b.yaml").symlink_to(hubs / "a.yaml")
    done = cli(rendered, "render", "clusterA")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert "clusters/clusterA/hubs/fifo.yaml: not a regular file (a device, FIFO or socket)" in lines
    assert any(line.startswith("clusters/clusterA/hubs/a.yaml: ") for line in lines), lines
    assert any(line.startswith("clusters/clusterA/secrets/zero.sealedsecret.yaml: ") for line in lines), lines


def test_flux_fields_that_could_inject_into_the_printed_command_are_refused(tmp_path: Path, run: Run) -> None:
    root = make_cluster(
        tmp_path, flux={"url": "https://example.org/$(touch /tmp/pwned).git", "branch": "main;reboot"}
    )
    result = run(root, "render", "clusterA")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "clusters/clusterA/cluster.yaml:25:3: flux.url: 'https://example.org/$(touch /tmp/pwned).git' is not a "
        "valid git URL (The repository URL given to flux bootstrap, e.g. ssh://git@github.com/example/hubs.git: "
        "letters, digits and . _ ~ - / : @ % + only, so it is safe in the command hubfleet prints.)",
        "clusters/clusterA/cluster.yaml:26:3: flux.branch: 'main;reboot' is not a valid branch (The branch Flux "
        "follows, e.g. main: letters, digits and . _ - / (a git branch name). Default main.)",
        "2 problems in the input; nothing was written",
    ]


def test_the_printed_bootstrap_command_is_quoted_word_by_word(tmp_path: Path) -> None:
    """Whatever a URL or branch holds (here past the schema, built directly), pasting the printed
    command gives flux exactly those words and runs nothing else."""
    root = make_cluster(tmp_path)
    cluster = replace(
        load_cluster(Project(root), "clusterA"), git_url="https://x.org/a'$(id)`id`.git", git_branch="b r"
    )
    layout = Layout.for_output(root, None)
    text = describe_bootstrap(cluster, layout)
    command = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    assert shlex.split(command.replace("\\\n", " ")) == bootstrap_command(cluster, layout)


BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 10) if prev else ', '.join(['lol'] * 10)}]\n"
    for prev, name in zip(
        ["", "a", "b", "c", "d", "e", "f", "g"], ["a", "b", "c", "d", "e", "f", "g", "h"], strict=True
    )
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "? " * 100_000 + "x\n",
            "1:129: nested more than 64 levels deep; no setting needs that",
        ),
        (
            "name: x\nuser: " + "[" * 100_000 + "]" * 100_000 + "\n",
            "2:70: nested more than 64 levels deep",
        ),
        ("name: x\n1: y\n", "2:1: invalid YAML: a key that is not a string; quote it, or use another key"),
        (
            "name: x\nuser: !!set {a}\n",
            "2:7: invalid YAML: the tag !!set, which hubfleet does not read; remove it",
        ),
    ],
)
def test_hostile_yaml_in_an_input_is_one_line_not_a_crash(rendered: Path, text: str, message: str) -> None:
    (rendered / "clusters/clusterA/hubs/datalab.yaml").write_text(text)
    done = cli(rendered, "render", "clusterA")
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert done.stderr.splitlines()[0].startswith(f"clusters/clusterA/hubs/datalab.yaml:{message}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: " + "[" * 100_000 + "]" * 100_000 + "\n", "nesting deeper than 100 levels"),
        ("a: &x [1, *x]\n", "the alias *x inside its own anchor, which never ends"),
        ("a: !!set {x}\n", "the tag !!set, which hubfleet does not read"),
        ("? [a]\n: b\n", "a key that is not a string"),
        (BOMB, "aliases that expand the document by more than 1,000,000 nodes"),
        ("a: " + "9" * 5000 + "\n", "a value cannot be read: Exceeds the limit (4300 digits)"),
    ],
)
def test_hostile_yaml_in_the_tree_is_a_finding_not_a_crash_or_a_hang(
    rendered: Path, text: str, message: str
) -> None:
    (rendered / "gitops/hubs/clusterA/datalab/hostile.yaml").write_text(text)
    done = cli(rendered, "validate", "--skip", "charts", "--skip", "flux", "--skip", "freshness")
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    assert any(
        line.startswith("gitops/hubs/clusterA/datalab/hostile.yaml:") and message in line
        for line in done.stdout.splitlines()
    ), done.stdout


def test_a_program_that_runs_too_long_is_stopped() -> None:
    ran = run_tool(["sleep", "30"], timeout=0.5)
    assert (ran.returncode, ran.stderr) == (124, "sleep ran for more than 0.5 s and was stopped")


def test_validate_never_fetches_a_kustomization_s_remote_resource(rendered: Path) -> None:
    """A kustomization naming a server that accepts and never answers: validate reports it at
    once instead of waiting on the network (kustomize's own fetch had no end)."""
    with socket.socket() as stalling:
        stalling.bind(("127.0.0.1", 0))
        stalling.listen()
        url = f"http://127.0.0.1:{stalling.getsockname()[1]}/stall.yaml"
        folder = rendered / "gitops/hubs/clusterA"
        kustomization = folder / "kustomization.yaml"
        kustomization.write_text(
            kustomization.read_text().replace("resources:\n", f"resources:\n  - {url}\n", 1)
        )
        done = cli(rendered, "validate", "--skip", "charts", "--skip", "freshness")
    assert done.returncode == 1, done.stderr
    assert any(
        f"lists the remote resource {url}, which validate does not fetch; vendor it into the repository"
        in line
        for line in done.stdout.splitlines()
    ), done.stdout


@pytest.mark.parametrize(
    ("hub", "field", "shown"),
    [
        ({"drive.size": "65Ti"}, "drive.size", "'65Ti' is not a valid drive size"),
        ({"drive.size": "99999999999999999999Gi"}, "drive.size", "is not a valid drive size"),
        (
            {"culling.maxAge": 2**63},
            "culling.maxAge",
            "9223372036854775808 is greater than the maximum of 31536000",
        ),
        ({"user.cpu.guarantee": 1e-300}, "user.cpu.guarantee", "1e-300 is less than the minimum of 0.001"),
        ({"user.memory.limit": "9" * 20 + "G"}, "user.memory.limit", "is not a valid memory size"),
    ],
)
def test_values_aws_or_kubernetes_cannot_honour_are_refused_with_the_limit(
    tmp_path: Path, run: Run, hub: dict[str, object], field: str, shown: str
) -> None:
    root = make_cluster(tmp_path, hubs={"course": hub})
    result = run(root, "render", "clusterA")
    assert result.exit_code == 2, result.output
    (line, *_) = [line for line in result.stderr.splitlines() if f": {field}: " in line]
    assert shown in line, line


@pytest.mark.parametrize(
    ("cluster", "field"),
    [
        ({"monitoring.retention": "99999d"}, "monitoring.retention"),
        ({"ingress.maxUploadSize": "0"}, "ingress.maxUploadSize"),
    ],
)
def test_cluster_values_without_a_sane_limit_are_refused(
    tmp_path: Path, run: Run, cluster: dict[str, object], field: str
) -> None:
    root = make_cluster(tmp_path, **{key.replace(".", "__"): value for key, value in cluster.items()})
    result = run(root, "render", "clusterA")
    assert result.exit_code == 2, result.output
    assert any(f": {field}: " in line for line in result.stderr.splitlines()), result.stderr


@pytest.mark.parametrize(
    "command", [("plan", "--base", "HEAD"), ("validate", "--skip", "charts", "--skip", "flux")]
)
def test_validate_and_plan_settle_a_killed_render_before_reading_the_tree(
    rendered: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    git(rendered, "init", "-q")
    commit(rendered, "base")
    set_field(rendered / "clusters/clusterA/cluster.yaml", "ingress.maxUploadSize", "4G")
    kill_after(monkeypatch, 3)  # mid-swap: the journal is committed, some files are new, some old
    with pytest.raises(Killed):
        run(rendered, "render", "clusterA")
    monkeypatch.undo()
    assert (rendered / "gitops" / STATE_DIR / JOURNAL).exists()
    result = run(rendered, *command)
    assert not (rendered / "gitops" / STATE_DIR / JOURNAL).exists(), result.output
    assert run(rendered, "render", "--all", "--check").exit_code == 0  # the tree is the new one, whole


def test_a_base_too_large_to_be_a_fleet_is_refused_before_it_is_read(
    rendered: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(rendered, "init", "-q")
    commit(rendered, "base")
    monkeypatch.setattr(revisions, "MAX_REVISION_BYTES", 64 * 1024)
    result = run(rendered, "plan", "--base", "HEAD")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert re.fullmatch(
        r"[0-9a-f]{12}: its clusters/, gitops/ and charts/ hold \d+ KiB, more than hubfleet plan reads \(64 KiB\); "
        r"that is not a fleet's tree",
        line,
    ), line
