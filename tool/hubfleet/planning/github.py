"""The pull-request comment: one per pull request, found again by its marker line and updated in
place, so a busy pull request keeps one plan, the newest (an edge: it calls GitHub's REST API).

Everything comes from the environment GitHub Actions sets: the token (`GITHUB_TOKEN`, never an
argument, never printed), the API address, the repository and the event file that names the pull
request. urllib is enough for three REST calls; the API address can point at a recorded exchange.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPResponse
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from ..errors import GitHubError, UsageError
from .report import MARKER

PAGE = 100
TIMEOUT_S = 30
Opener = Callable[[Request], HTTPResponse]


@dataclass(frozen=True)
class PullRequest:
    api: str
    repository: str
    number: int
    token: str = field(repr=False)


def from_environment(environ: Mapping[str, str] = os.environ) -> PullRequest:
    """The pull request this workflow run is for; a usage error naming what is missing."""
    token = environ.get("GITHUB_TOKEN", "")
    repository = environ.get("GITHUB_REPOSITORY", "")
    event = environ.get("GITHUB_EVENT_PATH", "")
    missing = [name for name, value in (("GITHUB_TOKEN", token), ("GITHUB_REPOSITORY", repository),
                                         ("GITHUB_EVENT_PATH", event)) if not value]  # fmt: skip
    if missing:
        raise UsageError("", f"set {', '.join(missing)} (GitHub Actions sets them for a pull_request run)")
    try:
        number = json.loads(Path(event).read_text(encoding="utf-8"))["pull_request"]["number"]
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError("GITHUB_EVENT_PATH", f"{event} is not a pull_request event") from None
    api = environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    return PullRequest(api, repository, int(number), token)


def _call(pr: PullRequest, method: str, path: str, body: dict[str, Any] | None, opener: Opener) -> Any:
    request = Request(
        f"{pr.api}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {pr.token}",
            "X-GitHub-Api-Version": "2022-11-28",
            **({"Content-Type": "application/json"} if body is not None else {}),
        },
    )
    try:
        with opener(request) as response:
            return json.loads(response.read() or b"null")
    except HTTPError as error:
        detail = ""
        with error, contextlib.suppress(ValueError, AttributeError, OSError):
            detail = str(json.loads(error.read()).get("message", ""))
        why = f"{error.code} {detail}".strip()
        raise GitHubError(f"GitHub refused {method} {path}: {why}") from None
    except (URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise GitHubError(f"GitHub could not be reached at {pr.api} ({reason})") from None


def _default_opener(request: Request) -> HTTPResponse:
    response: HTTPResponse = urlopen(request, timeout=TIMEOUT_S)
    return response


def post_plan(pr: PullRequest, body: str, opener: Opener = _default_opener) -> str:
    """Update the plan comment of the pull request, or create it; say which, with its address."""
    if not body.strip():
        raise UsageError("", "the plan is empty (did `hubfleet plan` fail?); the comment was left as it was")
    if not body.startswith(MARKER):
        body = f"{MARKER}\n{body}"
    base = f"/repos/{pr.repository}/issues"
    page = 1
    while True:
        found = _call(pr, "GET", f"{base}/{pr.number}/comments?per_page={PAGE}&page={page}", None, opener)
        if not isinstance(found, list):
            raise GitHubError(
                f"GitHub answered the comment list of #{pr.number} with something else than a list"
            )
        # Ours: the marker line, written by a bot (the job's token); a person quoting it is not.
        mine = next(
            (
                c
                for c in found
                if str(c.get("body", "")).startswith(MARKER) and (c.get("user") or {}).get("type") == "Bot"
            ),
            None,
        )
        if mine is not None:
            updated = _call(pr, "PATCH", f"{base}/comments/{mine['id']}", {"body": body}, opener)
            return f"updated {updated.get('html_url', mine['id'])}"
        if len(found) < PAGE:
            break
        page += 1
    created = _call(pr, "POST", f"{base}/{pr.number}/comments", {"body": body}, opener)
    return f"created {created.get('html_url', '')}".rstrip()
