"""The rough edges a newcomer met, each driven as a person would meet it, with its exact message."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hubfleet.cli import main
from support.builders import make_cluster

REPO = Path(__file__).resolve().parents[2]


def run_in(cwd: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """The CLI as typed in `cwd`, with no --root (so the project is found from where you stand)."""
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_render_from_inside_gitops_finds_the_project_not_the_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_cluster(tmp_path, name="clusterB")
    assert run_in(root, monkeypatch, "render", "clusterB").exit_code == 0
    # gitops/clusters/ exists now and looks like an inputs folder; it must not be taken for one.
    result = run_in(root / "gitops" / "hubs", monkeypatch, "render", "clusterB")
    assert result.exit_code == 0, result.output
    assert result.output == "rendered clusterB: 0 added, 0 changed, 0 removed, 32 unchanged\n"


@pytest.mark.parametrize("typed", ["clusterB/", "clusters/clusterB/", "clusters/clusterB"])
def test_a_cluster_typed_with_tab_completion_is_understood(
    typed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_cluster(tmp_path, name="clusterB")
    result = run_in(root, monkeypatch, "render", typed)
    assert result.exit_code == 0, result.output
    assert result.output.endswith("rendered clusterB: 32 added, 0 changed, 0 removed, 0 unchanged\n")


def test_render_lists_changed_files_from_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_cluster(tmp_path, name="clusterB")
    lines = run_in(root, monkeypatch, "render", "clusterB").output.splitlines()
    assert "added   gitops/clusters/clusterB/hubs.yaml" in lines
    assert all(line.startswith(("added   gitops/", "rendered ")) for line in lines)


def test_a_new_hub_with_a_bad_name_is_reported_at_the_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_cluster(tmp_path, name="clusterB")
    result = run_in(root, monkeypatch, "new", "hub", "clusterB", "Physics102", "--admin", "prof")
    assert result.exit_code == 2
    assert result.output == (
        "NAME: 'Physics102' is not a valid hub name (DNS label equal to the file name; it becomes the "
        "namespace and the URL path.)\n"
    )
    assert not (root / "clusters/clusterB/hubs").exists()


#: In a parametrised case: leave this option out.
DROP = "<drop>"


ACME = ("--zone-id", "Z0EXAMPLE1", "--acme-email", "ops@example.edu")


def new_cluster(root: Path, monkeypatch: pytest.MonkeyPatch, *extra: str, acme: bool = True) -> Result:
    return run_in(
        root, monkeypatch, "new", "cluster", "labs", "--account-id", "123456789012", "--domain",
        "labs.example.edu", *(ACME if acme else ()), *extra,
    )  # fmt: skip


def test_a_new_cluster_with_a_bad_domain_is_reported_at_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "clusters").mkdir()
    result = run_in(
        tmp_path, monkeypatch, "new", "cluster", "labs", "--account-id", "123456789012", "--zone-id", "Z0EXAMPLE1", "--acme-email", "ops@example.edu",
        "--region", "eu-west-1", "--domain", "not a domain",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.output.startswith("--domain: 'not a domain' is not a valid hostname")
    assert not (tmp_path / "clusters/labs").exists()


def test_a_new_cluster_takes_zones_every_account_has(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "clusters").mkdir()
    assert new_cluster(tmp_path, monkeypatch, "--region", "ca-central-1").exit_code == 0
    text = (tmp_path / "clusters/labs/cluster.yaml").read_text()
    # ca-central-1 has no zone c; guessing <region>a/b/c would give a cluster eksctl cannot create.
    assert "zones: [ca-central-1a, ca-central-1b, ca-central-1d]" in text
    assert 'accountId: "123456789012"' in text


def test_a_new_cluster_in_a_region_of_unknown_zones_asks_for_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "clusters").mkdir()
    result = new_cluster(tmp_path, monkeypatch, "--region", "us-west-1")
    assert result.exit_code == 2
    assert result.output == (
        "--zones: hubfleet does not know which zones every account has in us-west-1; pass them, e.g. "
        "--zones us-west-1a,us-west-1b (list yours with `aws ec2 describe-availability-zones --region us-west-1`)\n"
    )
    given = new_cluster(tmp_path, monkeypatch, "--region", "us-west-1", "--zones", "us-west-1b,us-west-1c")
    assert given.exit_code == 0, given.output
    assert "coreZone: us-west-1b" in (tmp_path / "clusters/labs/cluster.yaml").read_text()


def test_a_new_cluster_needs_a_real_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "clusters").mkdir()
    result = run_in(
        tmp_path,
        monkeypatch,
        "new",
        "cluster",
        "labs",
        "--region",
        "eu-west-1",
        "--domain",
        "labs.example.edu",
    )
    assert result.exit_code == 2
    assert "Missing option '--account-id'" in result.output


def test_a_tab_in_yaml_says_what_to_do(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, name="clusterB")
    path = root / "clusters/clusterB/cluster.yaml"
    path.write_text(path.read_text().replace("  core:\n", "\tcore:\n", 1))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("\t"))
    result = run(root, "render", "clusterB")
    assert result.exit_code == 2
    assert result.output == (
        f"clusters/clusterB/cluster.yaml:{line}:1: invalid YAML: a tab character, which YAML does not allow "
        "for indentation; indent with spaces\n1 problem in the input; nothing was written\n"
    )


def test_validate_json_on_bad_inputs_prints_json(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, name="clusterB", nodeGroups__user__maxSize="thirty")
    result = run(root, "validate", "--format", "json", "--schema-location", str(tmp_path))
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["stopped"] == "inputs" and report["failed"] == 1
    [finding] = report["findings"]
    assert (finding["path"], finding["subject"]) == (
        "clusters/clusterB/cluster.yaml",
        "nodeGroups.user.maxSize",
    )
    assert finding["message"] == "expected a whole number, found 'thirty'"
    assert result.stderr.endswith("1 problem in the input; validation stopped at the inputs layer\n")
    assert "nothing was written" not in result.output


def test_bootstrap_prints_the_flux_command_of_the_cluster(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, name="clusterB", flux={"url": "ssh://git@example.org/uni/hubs.git"})
    result = run(root, "bootstrap", "clusterB")
    assert result.exit_code == 0
    assert (
        "flux \\\n    bootstrap \\\n    git \\\n    --url=ssh://git@example.org/uni/hubs.git \\\n"
        "    --branch=main \\\n    --path=./gitops/clusters/clusterB\n"
    ) in result.output


def test_make_help_is_the_default_and_lists_the_targets() -> None:
    done = subprocess.run(["make", "-s", "-C", str(REPO)], capture_output=True, text=True, check=True)
    targets = [line.split()[1] for line in done.stdout.splitlines()]
    assert targets[0] == "help"
    assert {"render", "test", "validate", "golden", "bench"} <= set(targets)


def test_the_wrapper_runs_hubfleet_from_a_clone() -> None:
    done = subprocess.run([str(REPO / "hubfleet"), "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hubfleet, version 0.1.0\n"


def test_python_m_hubfleet_is_the_same_program() -> None:
    done = subprocess.run([sys.executable, "-m", "hubfleet", "--version"], capture_output=True, text=True)
    assert done.stdout == "hubfleet, version 0.1.0\n"


def test_a_sealed_secret_carrying_plaintext_is_refused_without_echoing_it(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_cluster(tmp_path, name="clusterB")
    secrets = root / "clusters/clusterB/secrets"
    secrets.mkdir()
    (secrets / "db.sealedsecret.yaml").write_text(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: db, namespace: x}\n"
        "spec:\n  encryptedData: {password: AgBy}\n  template:\n    stringData: {password: hunter2}\n"
    )
    result = run(root, "render", "clusterB")
    assert result.exit_code == 2
    assert result.output == (
        "clusters/clusterB/secrets/db.sealedsecret.yaml:7:5: spec.template.stringData: plaintext values in a "
        "SealedSecret's template are committed unencrypted; remove them and seal every value into "
        "spec.encryptedData\n1 problem in the input; nothing was written\n"
    )
    assert not (root / "gitops").exists()


def test_small_frictions_of_the_first_day(tmp_path: Path) -> None:
    """render with no cluster renders every cluster (as validate checks every one); plan's help
    shows the options of `hubfleet plan [CLUSTER...]`; no help text is cut mid-sentence; plan
    capacity says when it counts a hub's users as none (issue 27's frictions)."""
    root = make_cluster(tmp_path, hubs={"course": {}})
    rendered = CliRunner().invoke(main, ["--root", str(root), "render"])
    assert rendered.exit_code == 0, rendered.output
    assert rendered.output.splitlines()[-1].startswith("rendered clusterA: ")
    plan_help = CliRunner().invoke(main, ["plan", "--help"]).output
    assert "Options of `hubfleet plan [CLUSTER...]` (plan changes):" in plan_help
    assert "--base TEXT" in plan_help and "--format [text|json|markdown|github]" in plan_help
    assert "(e.g." not in CliRunner().invoke(main, ["drive", "--help"]).output
    capacity = CliRunner().invoke(main, ["--root", str(root), "plan", "capacity", "clusterA"])
    assert (
        "  no expectedUsers for course: their users count as 0 servers here; set expectedUsers in each hub file "
        "(or in hubDefaults) to size the user nodes"
    ) in capacity.output.splitlines()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ("--zone-id", DROP),
            "--tls: acme (the default) needs --zone-id: the Route 53 hosted zone that holds the domain, where "
            "cert-manager proves it; or bring your own certificate with --tls sealed",
        ),
        (("--tls", "sealed"), "--acme-email: is Let's Encrypt's contact, for --tls acme only"),
        (
            ("--zone", "example.edu", "--zone-id", DROP),
            "--zone: names the hosted zone of --zone-id; give --zone-id too",
        ),
    ],
)
def test_new_cluster_refuses_certificate_answers_that_do_not_go_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: tuple[str, ...], message: str
) -> None:
    (tmp_path / "clusters").mkdir()
    args = ["--region", "eu-west-1", *ACME]
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        if value == DROP:
            del args[args.index(flag) : args.index(flag) + 2]
        else:
            args += [flag, value]
    result = new_cluster(tmp_path, monkeypatch, *args, acme=False)
    assert (result.exit_code, result.output) == (2, message + "\n")
    assert not (tmp_path / "clusters/labs").exists()


def test_an_email_yaml_would_misread_is_written_quoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "clusters").mkdir()
    result = new_cluster(
        tmp_path, monkeypatch, "--region", "eu-west-1", "--zone-id", "Z0EXAMPLE1", "--acme-email", "*ops@example.edu",
        acme=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '  email: "*ops@example.edu"' in (tmp_path / "clusters/labs/cluster.yaml").read_text()
