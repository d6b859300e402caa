"""The pull-request side of `hubfleet plan`: a comment that fits GitHub's limit on a change to 1,500
hubs, the comment posted or updated through GitHub's API (an exchange replayed on loopback), and
the workflow that runs it, linted by actionlint."""

from __future__ import annotations

import json
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from conftest import REPO
from hubfleet.cli import main
from hubfleet.planning.report import COMMENT_LIMIT, MARKER, markdown_report
from test_plan import commit, git
from test_validate_workflow import Lint, actionlint  # noqa: F401 (the fixture)

sys.path.insert(0, str(REPO / "tool" / "scripts"))
from fleet import make_fleet

EXCHANGES = json.loads((REPO / "tests/fixtures/github/comment-exchange.json").read_text())
TOKEN = "ghs_" + "x" * 36
PLAN_WORKFLOW = REPO / ".github/workflows/plan.yml"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result, str]:
    """30 clusters x 50 hubs committed with their tree; then every cluster's default memory changed
    (every active hub's JupyterHub release) and one active hub per cluster removed."""
    root = tmp_path_factory.mktemp("fleet") / "project"
    names = make_fleet(root, 30, 50)
    shutil.copytree(REPO / "charts", root / "charts")
    runner = CliRunner()
    assert runner.invoke(main, ["--root", str(root), "render", "--all"]).exit_code == 0
    git(root, "init", "-q", "-b", "main")
    commit(root, "fleet")
    for name in names:
        cluster = root / "clusters" / name / "cluster.yaml"
        cluster.write_text(cluster.read_text().replace("guarantee: 1G", "guarantee: 1500M"))
        (root / "clusters" / name / "hubs" / "hub000.yaml").unlink()
    artifact = root.parent / "plan.json"
    result = runner.invoke(
        main, ["--root", str(root), "plan", "--no-expand", "--format", "github", "--artifact", str(artifact)]
    )
    return root, result, artifact.read_text()


def test_the_comment_fits_whatever_the_change(fleet: tuple[Path, Result, str]) -> None:
    _, result, artifact = fleet
    assert result.exit_code == 1
    body = result.output[: result.output.rindex("30 blocking risk flags")]
    assert len(body) <= COMMENT_LIMIT
    assert body.startswith(f"{MARKER}\n## hubfleet plan\n")
    # Every blocking flag made it in: they come first.
    assert sum(1 for line in body.splitlines() if line.startswith("| :no_entry: blocking | data |")) == 30
    assert "more lines of fleet" in body and "artifact of this run.*" in body
    plan = json.loads(artifact)
    assert len(plan["clusters"]) == 30 and len(plan["risks"]) == 30
    changed = sum(c["changed"] for c in plan["clusters"])
    assert changed >= 30 * 44  # every active hub's JupyterHub release, and more


class Replay(BaseHTTPRequestHandler):
    """Answers each request with the next recorded answer, after checking it is the one recorded."""

    script: ClassVar[list[dict[str, Any]]] = []
    seen: ClassVar[list[dict[str, Any]]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.seen.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        step = self.script.pop(0) if self.script else {"request": {}, "status": 500, "response": {}}
        expected = step["request"]
        status = step["status"] if expected == {"method": self.command, "path": self.path} else 418
        data = json.dumps(step["response"]).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def github(tmp_path: Path) -> Iterator[Callable[[str], tuple[Result, list[dict[str, Any]]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": 7}}))
    plan = tmp_path / "plan.md"
    plan.write_text(f"{MARKER}\n## hubfleet plan\n\n(the new plan)\n")

    def post(exchange: str) -> tuple[Result, list[dict[str, Any]]]:
        Replay.script = [dict(step) for step in EXCHANGES[exchange]]
        Replay.seen = []
        env = {
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_REPOSITORY": "uni/hubs",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_API_URL": f"http://127.0.0.1:{server.server_address[1]}",
        }
        result = CliRunner().invoke(main, ["--root", str(REPO), "plan", "comment", str(plan)], env=env)
        assert Replay.script == [], "not every recorded request was made"
        return result, Replay.seen

    yield post
    server.shutdown()
    server.server_close()


def test_the_comment_is_found_on_a_later_page_and_updated(github: Callable[..., Any]) -> None:
    result, seen = github("update")
    assert result.exit_code == 0, result.output
    assert result.output == "updated https://github.com/uni/hubs/pull/7#issuecomment-1100\n"
    patch = seen[-1]
    assert patch["body"] == {"body": f"{MARKER}\n## hubfleet plan\n\n(the new plan)\n"}
    for request in seen:
        assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
        assert request["headers"]["Accept"] == "application/vnd.github+json"


def test_a_first_plan_creates_the_comment(github: Callable[..., Any]) -> None:
    result, seen = github("create")
    assert result.exit_code == 0, result.output
    assert result.output == "created https://github.com/uni/hubs/pull/7#issuecomment-1102\n"
    assert [r["method"] for r in seen] == ["GET", "POST"]


def test_a_refusal_is_exit_3_and_never_shows_the_token(github: Callable[..., Any]) -> None:
    result, _ = github("refused")
    assert result.exit_code == 3
    assert result.output == (
        "GitHub refused POST /repos/uni/hubs/issues/7/comments: 403 Resource not accessible by integration\n"
    )
    assert TOKEN not in result.output


def test_without_the_actions_environment_it_says_what_is_missing(tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("x")
    env = {"GITHUB_TOKEN": "", "GITHUB_REPOSITORY": "", "GITHUB_EVENT_PATH": ""}
    result = CliRunner().invoke(main, ["--root", str(REPO), "plan", "comment", str(plan)], env=env)
    assert result.exit_code == 2
    assert result.output == (
        "set GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH (GitHub Actions sets them for a pull_request run)\n"
    )


def test_the_plan_workflow_is_clean_and_posts_then_fails(actionlint: Lint) -> None:  # noqa: F811
    assert actionlint(PLAN_WORKFLOW) == []
    workflow = YAML(typ="safe").load(PLAN_WORKFLOW.read_text())
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = workflow["jobs"]["plan"]["steps"]
    assert steps[0]["with"] == {"fetch-depth": 0}
    names = [step["name"] for step in steps]
    assert (
        names.index("Plan the change")
        < names.index("Post or update the plan comment")
        < names.index("Fail on blocking risk flags")
    )
    plan = next(step for step in steps if step["name"] == "Plan the change")
    assert '--base "origin/$BASE_REF" --format github' in plan["run"]
    post = next(step for step in steps if step["name"] == "Post or update the plan comment")
    assert post["env"] == {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["name"] == "hubfleet-plan"


def test_the_blocking_flags_come_first_whatever_else_is_long() -> None:
    from hubfleet.planning.model import ChangePlan, ClusterChanges
    from hubfleet.planning.risks import flag

    blocking = flag("hub-removed", "clusterA", "lab", "clusters/clusterA/hubs/lab.yaml", hub="lab")
    notes = [f"note {i}: " + "x" * 900 for i in range(400)]
    clusters = [ClusterChanges(f"c{i:03d}", [], [], [f"hub{j}" for j in range(60)]) for i in range(300)]
    plan = ChangePlan("0" * 40, "worktree", clusters, [blocking], notes)
    body = markdown_report(plan, COMMENT_LIMIT, marker=True)
    assert len(body) <= COMMENT_LIMIT
    assert "| :no_entry: blocking | data | clusterA/lab |" in body
    assert body.index("blocking | data") < body.index("### Clusters") < body.index("> note 0")
    assert "more note lines are in the `hubfleet-plan` artifact" in body


def test_an_empty_plan_is_never_posted(github: Callable[..., Any], tmp_path: Path) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("")
    env = {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "uni/hubs",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
    }
    result = CliRunner().invoke(main, ["--root", str(REPO), "plan", "comment", str(empty)], env=env)
    assert result.exit_code == 2
    assert result.output == "the plan is empty (did `hubfleet plan` fail?); the comment was left as it was\n"
