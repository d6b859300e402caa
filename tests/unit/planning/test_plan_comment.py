"""The pull-request side of `hubfleet plan`: a comment that fits GitHub's limit on a change to 1,500
hubs, the comment posted or updated through GitHub's API (an exchange replayed on loopback), and
the workflow that runs it, linted by actionlint."""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from cli.test_validate_workflow import Lint, actionlint  # noqa: F401 (the fixture)
from conftest import REPO
from hubfleet.cli import main
from hubfleet.planning import github as github_client
from hubfleet.planning.report import COMMENT_LIMIT, MARKER, markdown_report
from unit.planning.test_plan import commit, git

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


class Hostile(BaseHTTPRequestHandler):
    """A GitHub that misbehaves as `behave` says: each request is recorded, then answered by it."""

    behave: ClassVar[Callable[[BaseHTTPRequestHandler], None]]
    seen: ClassVar[list[dict[str, Any]]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.seen.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        type(self).behave(self)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, *args: Any) -> None:
        pass


def send(
    handler: BaseHTTPRequestHandler, status: int, answer: Any, headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(answer).encode()
    handler.send_response(status)
    for name, value in {
        "Content-Type": "application/json",
        "Content-Length": str(len(data)),
        **(headers or {}),
    }.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[Callable[..., tuple[Result, list[dict[str, Any]]]]]:
    servers = []

    def serve() -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    def post(behave: Callable[[BaseHTTPRequestHandler], None], plan_text: str = "(the new plan)\n",
             event: Path | None = None) -> tuple[Result, list[dict[str, Any]]]:  # fmt: skip
        Hostile.behave = behave
        Hostile.seen = []
        if event is None:
            event = tmp_path / "event.json"
            event.write_text(json.dumps({"pull_request": {"number": 7}}))
        plan = tmp_path / "plan.md"
        plan.write_text(plan_text)
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "uni/hubs", "GITHUB_EVENT_PATH": str(event),
               "GITHUB_API_URL": post.api}  # type: ignore[attr-defined]  # fmt: skip
        result = CliRunner().invoke(main, ["--root", str(REPO), "plan", "comment", str(plan)], env=env)
        return result, Hostile.seen

    post.serve = serve  # type: ignore[attr-defined]
    post.api = serve()  # type: ignore[attr-defined]
    yield post
    for server in servers:
        server.shutdown()
        server.server_close()


def test_endless_pages_end_after_the_page_limit_and_the_comment_is_made(hostile: Callable[..., Any]) -> None:
    def endless(handler: BaseHTTPRequestHandler) -> None:
        if handler.command == "GET":
            send(handler, 200, [{"id": n, "body": "hi", "user": {"type": "User"}} for n in range(100)])
        else:
            send(handler, 201, {"html_url": "https://github.com/uni/hubs/pull/7#issuecomment-1"})

    result, seen = hostile(endless)
    assert result.exit_code == 0, result.output
    assert [r["method"] for r in seen].count("GET") == github_client.MAX_PAGES and seen[-1][
        "method"
    ] == "POST"


def test_a_dripping_answer_is_given_up(hostile: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(github_client, "TIMEOUT_S", 1)

    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(40):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.1)

    started = time.monotonic()
    result, _ = hostile(drip)
    assert result.exit_code == 3
    assert time.monotonic() - started < 10
    assert result.output.endswith("the answer took more than 1 s\n"), result.output


@pytest.mark.parametrize(
    "comments",
    [
        ["not a comment", None, 7],
        [{"id": "12", "body": MARKER, "user": {"type": "Bot"}}],
        [{"id": 12, "body": MARKER, "user": None}],
        [{"body": MARKER, "user": {"type": "Bot"}}],
        [{"id": True, "body": MARKER, "user": {"type": "Bot"}}],
    ],
)
def test_comments_of_odd_shapes_are_nobody_s(hostile: Callable[..., Any], comments: list[Any]) -> None:
    def odd(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, comments) if handler.command == "GET" else send(handler, 201, ["not", "a", "dict"])

    result, seen = hostile(odd)
    assert (result.exit_code, result.output) == (0, "created\n")
    assert [r["method"] for r in seen] == ["GET", "POST"]


def test_a_redirect_to_another_host_never_gets_the_token(hostile: Callable[..., Any]) -> None:
    elsewhere = hostile.serve()  # type: ignore[attr-defined]

    def redirect(handler: BaseHTTPRequestHandler) -> None:
        if handler.server.server_address[1] == int(elsewhere.rsplit(":", 1)[1]):
            send(handler, 200, [])
        else:
            send(handler, 302, {}, {"Location": f"{elsewhere}{handler.path}"})

    result, seen = hostile(redirect)
    assert result.exit_code == 3
    assert "redirect to another host" in result.output and TOKEN not in result.output
    assert len(seen) == 1  # the other host was never asked, with the token or without


def test_a_message_that_echoes_the_token_is_printed_without_it(hostile: Callable[..., Any]) -> None:
    def echo(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 401, {"message": f"Bad credentials: {handler.headers['Authorization']}"})

    result, _ = hostile(echo)
    assert result.exit_code == 3
    assert result.output == (
        "GitHub refused GET /repos/uni/hubs/issues/7/comments?per_page=100&page=1: 401 Bad credentials: Bearer ***\n"
    )


def test_a_plan_longer_than_a_comment_is_cut_to_fit(hostile: Callable[..., Any]) -> None:
    def fresh(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, []) if handler.command == "GET" else send(handler, 201, {"html_url": "u"})

    result, seen = hostile(fresh, plan_text=f"{MARKER}\n" + "x" * 200_000)
    assert result.exit_code == 0, result.output
    body = seen[-1]["body"]["body"]
    assert len(body) <= COMMENT_LIMIT and body.endswith("the whole plan is in the job's log.*\n")


@pytest.mark.parametrize("kind", ["zero", "fifo"])
def test_an_event_file_that_is_a_device_or_a_fifo_is_refused_at_once(
    hostile: Callable[..., Any], tmp_path: Path, kind: str
) -> None:
    event = tmp_path / "event"
    if kind == "zero":
        event.symlink_to("/dev/zero")
    else:
        os.mkfifo(event)
    result, seen = hostile(lambda handler: send(handler, 500, {}), event=event)
    assert result.exit_code == 2
    assert result.output == f"GITHUB_EVENT_PATH: {event} is not a pull_request event\n"
    assert seen == []
