"""The steps of `hub check`, in order, each timed: what a user does, done by the check's service.

hub -> token -> user -> start -> ready -> write -> read -> delete -> stop. The first step that
fails ends the check and names itself; whatever the check made (the test user's running
server, the file) is removed before it returns, and a removal that fails is reported too.
The test user stays, with no server: it is the one user the service's role reaches, and
making it again each time would only add steps that can fail.
"""

from __future__ import annotations

import secrets
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.auth import CHECK_SERVICE, CHECK_USER
from .client import HubClient, StepFailed

STEPS = ("hub", "token", "user", "start", "ready", "write", "read", "delete", "stop")
#: Seconds between two looks at a stopping server.
POLL = 0.5


@dataclass(frozen=True)
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str


@dataclass
class CheckReport:
    """What `hub check` found: each step run, and the first that failed (None: all passed)."""

    url: str
    steps: list[StepResult] = field(default_factory=list)
    cleanup: list[str] = field(default_factory=list)

    @property
    def failed(self) -> StepResult | None:
        return next((step for step in self.steps if not step.ok), None)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    def as_json(self) -> dict[str, Any]:
        failed = self.failed
        return {
            "url": self.url,
            "passed": failed is None,
            "failedStep": failed.name if failed else None,
            "seconds": round(self.seconds, 3),
            "steps": [
                {"name": s.name, "ok": s.ok, "seconds": round(s.seconds, 3), "detail": s.detail}
                for s in self.steps
            ],
            "cleanup": self.cleanup,
        }


class _Run:
    """One run of the check against one hub."""

    def __init__(self, client: HubClient, ready_timeout: float, clock: Callable[[], float]) -> None:
        self.client = client
        self.ready_timeout = ready_timeout
        self.clock = clock
        self.user_path = f"hub/api/users/{CHECK_USER}"
        self.server_url: str | None = None
        self.started = False
        self.file: str | None = None

    def hub(self) -> str:
        answer = self.client.call("GET", "hub/api/")
        version = answer.body.get("version") if isinstance(answer.body, dict) else None
        if not version:
            raise StepFailed("the address answers, but not as a JupyterHub API")
        return f"JupyterHub {version}"

    def token(self) -> str:
        try:
            who = self.client.call("GET", "hub/api/user").body
        except StepFailed as failed:
            if failed.status in (401, 403):
                raise StepFailed(
                    f"the hub refused the token (HTTP {failed.status}): it is not the check token sealed for "
                    "this hub, or Flux has not applied that yet"
                ) from None
            raise
        if not isinstance(who, dict) or who.get("kind") != "service" or who.get("name") != CHECK_SERVICE:
            raise StepFailed(f"the token is not the {CHECK_SERVICE} service's")
        return f"service {CHECK_SERVICE}"

    def user(self) -> str:
        try:
            model = self.client.call("GET", self.user_path).body
            made = False
        except StepFailed as failed:
            if failed.status != 404:
                raise
            model = self.client.call("POST", self.user_path).body
            made = True
        if isinstance(model, dict) and model.get("servers", {}).get("", {}):
            self._stop()  # a server left running by an interrupted check
        return f"{'made' if made else 'found'} {CHECK_USER}"

    def start(self) -> str:
        answer = self.client.call("POST", f"{self.user_path}/server")
        self.started = True
        return "started" if answer.status == 201 else "spawn pending"

    def ready(self) -> str:
        deadline = self.clock() + self.ready_timeout
        last = ""
        for event in self.client.events(f"{self.user_path}/server/progress", timeout=self.ready_timeout):
            if event is not None:
                last = str(event.get("message") or last)
                if event.get("failed"):
                    raise StepFailed(f"the spawn failed: {last}")
                if event.get("ready"):
                    self.server_url = str(event.get("url") or "")
                    return f"ready at {self.server_url}"
            if self.clock() > deadline:
                break
        raise StepFailed(
            f"the server was not ready in {self.ready_timeout:g} s"
            + (f"; last progress: {last}" if last else "")
        )

    def _contents(self) -> str:
        assert self.server_url and self.file
        return f"{self.server_url.rstrip('/')}/api/contents/{urllib.parse.quote(self.file)}"

    def write(self) -> str:
        self.file = f"hubfleet-check-{secrets.token_hex(4)}.txt"
        self.text = f"written by hubfleet hub check {secrets.token_hex(8)}\n"
        self.client.call("PUT", self._contents(), {"type": "file", "format": "text", "content": self.text})
        return f"~/{self.file}"

    def read(self) -> str:
        body = self.client.call("GET", self._contents() + "?content=1").body
        if not isinstance(body, dict) or body.get("content") != self.text:
            raise StepFailed("the file read back is not what was written")
        return "same bytes"

    def delete(self) -> str:
        self.client.call("DELETE", self._contents())
        self.file = None
        return "removed"

    def _stop(self) -> None:
        self.client.call("DELETE", f"{self.user_path}/server")
        deadline = self.clock() + self.ready_timeout
        while self.clock() < deadline:
            model = self.client.call("GET", self.user_path).body
            if not (isinstance(model, dict) and model.get("servers", {}).get("", {})):
                return
            time.sleep(POLL)
        raise StepFailed(f"the server was still running after {self.ready_timeout:g} s")

    def stop(self) -> str:
        self._stop()
        self.started = False
        return "stopped"

    def clean_up(self) -> list[str]:
        """Remove what a failed run left; say what could not be removed."""
        left = []
        if self.file is not None and self.server_url:
            try:
                self.delete()
            except StepFailed as failed:
                left.append(f"the file ~/{self.file} is still there: {failed.cause}")
        if self.started:
            try:
                self.stop()
            except StepFailed as failed:
                left.append(f"{CHECK_USER}'s server may still run: {failed.cause}")
        return left


def run_check(
    client: HubClient, ready_timeout: float, clock: Callable[[], float] = time.monotonic
) -> CheckReport:
    """Every step in order until one fails, then the clean-up."""
    run = _Run(client, ready_timeout, clock)
    report = CheckReport(client.base_url)
    for name in STEPS:
        began = clock()
        try:
            detail, ok = getattr(run, name)(), True
        except StepFailed as failed:
            detail, ok = failed.cause, False
        report.steps.append(StepResult(name, ok, clock() - began, detail))
        if not ok:
            report.cleanup = run.clean_up()
            break
    return report
