"""`hubfleet init`: a fleet repository of one's own, refused where it would overwrite anything.

The whole newcomer's path with the installed wheel (init, seals, render, validate, plan) is in
test_install.py; this file checks what init writes and refuses, in-process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from conftest import REPO
from hubfleet import __version__
from hubfleet.cli import main
from hubfleet.core.charts import UPSTREAM_CHARTS
from hubfleet.core.names import PLACEHOLDER_GIT_URL
from hubfleet.system.yaml_reader import load_one
from hubfleet.upstream.cache import read_lock

CLUSTER_ARGS = ("--cluster", "campus", "--region", "us-west-2", "--domain", "hubs.example.edu",
                "--account-id", "123456789012", "--zone-id", "Z0EXAMPLE1", "--acme-email", "ops@example.edu")  # fmt: skip


def init(*args: str) -> Result:
    return CliRunner().invoke(main, ["init", *args], catch_exceptions=False)


def test_init_writes_a_fleet_and_its_first_cluster_rendered(tmp_path: Path) -> None:
    fleet = tmp_path / "hubs"
    result = init(str(fleet), *CLUSTER_ARGS)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"made a fleet in {fleet}: clusters/, charts.lock, .github/workflows/, README.md, .gitignore",
        "wrote clusters/campus/cluster.yaml and rendered gitops/ (41 files)",
        'next (README "From nothing to a running cluster"):',
        f"  cd {fleet}",
        "  git init",
        "  edit clusters/campus/cluster.yaml (flux.url above all), then: hubfleet render",
        "  hubfleet new hub campus NAME --admin YOU",
    ]
    for workflow in ("validate", "plan"):
        text = (fleet / ".github/workflows" / f"{workflow}.yml").read_text()
        assert f"pip install 'hubfleet=={__version__}'" in text
        assert load_one(text)["name"] == workflow
    jobs = load_one((fleet / ".github/workflows/validate.yml").read_text())["jobs"]
    saving = {
        name for name, job in jobs.items() for step in job["steps"] if step.get("uses") == "actions/cache@v4"
    }
    assert saving == {"cluster"}  # one writer of the shared cache: the jobs that fetch the charts
    assert "pip install 'hubfleet==" in (fleet / "README.md").read_text()
    assert (fleet / "gitops/charts/nfs-drive/Chart.yaml").is_file()


def test_the_example_is_a_fleet_init_would_make() -> None:
    """The lock a new fleet starts from pins every upstream chart at hubfleet's default version (a new
    cluster may deploy any of them: cert-manager with tls.mode acme, which the example does not
    use), and agrees with the example's lock on every chart both hold."""
    shipped = read_lock(REPO / "tool/hubfleet/data/charts.lock")
    example = read_lock(REPO / "charts.lock")
    assert {(ref.chart, ref.version, ref.repository) for ref in shipped} == {
        (chart.chart, chart.default_version, chart.repository.url) for chart in UPSTREAM_CHARTS
    }
    assert example.items() <= shipped.items()
    assert [ref.chart for ref in shipped.keys() - example.keys()] == ["cert-manager"]


def test_init_without_a_cluster_writes_an_empty_fleet(tmp_path: Path) -> None:
    result = init(str(tmp_path / "hubs"))
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.splitlines()[-1]
        == "  hubfleet new cluster NAME --region ... --domain ... --account-id ... --zone-id ..."
    )
    assert list((tmp_path / "hubs/clusters").iterdir()) == []


def test_init_refuses_a_folder_that_holds_anything(tmp_path: Path) -> None:
    fleet = tmp_path / "hubs"
    fleet.mkdir()
    for name in ("notes.txt", ".git", "a", "b", "c", "d"):
        (fleet / name).write_text("mine\n")
    result = init(str(fleet))
    assert result.exit_code == 2
    assert result.stderr == (
        f"DIR {fleet}: is not empty (.git, a, b, c, d and 1 more); init writes only into a new or empty "
        "folder and never overwrites\n"
    )
    assert sorted(p.name for p in fleet.iterdir()) == [".git", "a", "b", "c", "d", "notes.txt"]
    assert (fleet / "notes.txt").read_text() == "mine\n"


def test_init_asks_the_questions_of_new_cluster_together(tmp_path: Path) -> None:
    partial = init(str(tmp_path / "hubs"), "--cluster", "campus", "--region", "us-west-2")
    assert partial.exit_code == 2
    assert partial.stderr == "--cluster: needs --domain, --account-id too (the questions of `new cluster`)\n"
    orphan = init(str(tmp_path / "hubs"), "--region", "us-west-2")
    assert orphan.exit_code == 2
    assert orphan.stderr == "--cluster: is needed with --region, --domain and --account-id\n"
    assert not (tmp_path / "hubs").exists()


def test_the_placeholder_repository_is_refused_by_validate_and_bootstrap(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    fleet = tmp_path / "hubs"
    assert init(str(fleet), *CLUSTER_ARGS).exit_code == 0
    shown = run(fleet, "bootstrap", "campus")
    assert shown.exit_code == 2
    assert shown.stderr == (
        f"CLUSTER campus: flux.url in clusters/campus/cluster.yaml is still the placeholder {PLACEHOLDER_GIT_URL}; "
        "set it to this fleet's repository, render and push first\n"
    )
    checked = run(fleet, "validate", "--skip", "charts", "--skip", "objects")
    assert (
        f"clusters/campus/cluster.yaml: flux.url: {PLACEHOLDER_GIT_URL} is the placeholder `hubfleet new cluster` "
        "writes; set it to this fleet's repository as Flux reads it (e.g. ssh://git@github.com/ORG/REPO.git)"
    ) in checked.output.splitlines()


def test_a_bad_first_cluster_leaves_nothing_behind(tmp_path: Path) -> None:
    """The fleet is made beside DIR and moved into place only once the cluster rendered."""
    result = init(str(tmp_path / "hubs"), "--cluster", "Bad_Name", *CLUSTER_ARGS[2:])
    assert result.exit_code == 2
    assert (
        result.stderr
        == "NAME: 'Bad_Name' is not a valid cluster name (letters, digits, hyphens; at most 40)\n"
    )
    assert list(tmp_path.iterdir()) == []
    again = init(str(tmp_path / "hubs"), *CLUSTER_ARGS)
    assert again.exit_code == 0, again.output


def test_the_workflows_install_what_the_site_says(tmp_path: Path) -> None:
    spec = "hubfleet @ https://files.example.edu/hubfleet-0.1.0-py3-none-any.whl"
    assert init(str(tmp_path / "hubs"), "--requirement", spec).exit_code == 0
    for workflow in ("validate", "plan"):
        assert (
            f"pip install '{spec}'" in (tmp_path / "hubs/.github/workflows" / f"{workflow}.yml").read_text()
        )
    hostile = init(str(tmp_path / "other"), "--requirement", "hubfleet'; curl x | sh; '")
    assert hostile.exit_code == 2
    assert hostile.stderr == (
        "--requirement \"hubfleet'; curl x | sh; '\": is not a pip requirement the workflows can carry (e.g. "
        "hubfleet==0.1.0, or hubfleet @ https://host/hubfleet-0.1.0-py3-none-any.whl; no quotes, spaces or shell "
        "characters)\n"
    )
    assert not (tmp_path / "other").exists()
