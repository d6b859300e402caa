"""The pull-request comment: one per pull request, found again by its marker line and updated in
place, so a busy pull request keeps one plan, the newest (an edge: it calls GitHub's REST API).

Everything comes from the environment GitHub Actions sets: the token (`GITHUB_TOKEN`, never an
argument, never printed), the API address, the repository and the event file that names the pull
request. urllib is enough for three REST calls; the API address can point at a recorded exchange.

Every call is bounded: a deadline for the whole answer (a server dripping a byte at a time
cannot hold the job), at most MAX_ANSWER bytes, at most MAX_PAGES pages of comments, and a
redirect is followed only on the API's own origin (urllib would otherwise send the token to
whatever host a redirect names). Answers of the wrong shape are GitHubErrors, and no message
ever holds the token, even when a server echoes it. The event file and the plan are read as
regular files within a limit, and a plan longer than a comment may be is cut to fit.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPResponse
from pathlib import Path
from typing import IO, Any
from urllib.error import HTTPError, URLError
from urllib.request import HTTPRedirectHandler, Request, build_opener

from ..errors import GitHubError, UsageError
from ..system.files import Refused, read_regular
from .report import COMMENT_LIMIT, MARKER

PAGE = 100
TIMEOUT_S = 30
#: Pages of comments read before giving up the search (10,000 comments on one pull request).
MAX_PAGES = 100
#: Bytes of one answer; GitHub's largest (a page of 100 long comments) is far below it.
MAX_ANSWER = 16 * 1024 * 1024
MAX_EVENT = 4 * 1024 * 1024
TRUNCATED = "\n\n*The plan was cut to fit a comment; the whole plan is in the job's log.*\n"
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
        number = json.loads(read_regular(Path(event), MAX_EVENT))["pull_request"]["number"]
        if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
            raise TypeError(number)
    except (Refused, ValueError, KeyError, TypeError):
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
            return json.loads(_bounded_read(response) or b"null")
    except HTTPError as error:
        detail = ""
        with error, contextlib.suppress(ValueError, AttributeError, OSError, GitHubError):
            detail = str(json.loads(_bounded_read(error)).get("message", ""))[:300]
        why = f"{error.code} {detail or error.reason}".strip()
        raise GitHubError(_hidden(f"GitHub refused {method} {path}: {why}", pr.token)) from None
    except GitHubError as error:
        raise GitHubError(_hidden(f"GitHub's answer to {method} {path}: {error}", pr.token)) from None
    except (URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise GitHubError(_hidden(f"GitHub could not be reached at {pr.api} ({reason})", pr.token)) from None


def _hidden(message: str, token: str) -> str:
    """The message with the token blanked out, whoever echoed it."""
    return message.replace(token, "***") if token else message


def _bounded_read(response: IO[bytes]) -> bytes:
    """The answer, within MAX_ANSWER bytes and TIMEOUT_S seconds in all (each read also has the
    socket's own timeout)."""
    deadline = time.monotonic() + TIMEOUT_S
    chunks, size = [], 0
    while chunk := response.read(64 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER:
            raise GitHubError(f"the answer is larger than {MAX_ANSWER // 1024 // 1024} MiB")
        if time.monotonic() > deadline:
            raise GitHubError(f"the answer took more than {TIMEOUT_S} s")
        chunks.append(chunk)
    return b"".join(chunks)


class _SameOrigin(HTTPRedirectHandler):
    """Redirects only within the origin of the request: never send the token elsewhere."""

    def redirect_request(
        self, req: Request, fp: IO[bytes], code: int, msg: str, headers: Any, newurl: str
    ) -> Request | None:
        old, new = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            raise HTTPError(newurl, code, f"redirect to another host ({new.netloc}) refused", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _default_opener(request: Request) -> HTTPResponse:
    response: HTTPResponse = build_opener(_SameOrigin()).open(request, timeout=TIMEOUT_S)
    return response


def post_plan(pr: PullRequest, body: str, opener: Opener = _default_opener) -> str:
    """Update the plan comment of the pull request, or create it; say which, with its address."""
    if not body.strip():
        raise UsageError("", "the plan is empty (did `hubfleet plan` fail?); the comment was left as it was")
    if not body.startswith(MARKER):
        body = f"{MARKER}\n{body}"
    if len(body) > COMMENT_LIMIT:
        body = body[: COMMENT_LIMIT - len(TRUNCATED)] + TRUNCATED
    base = f"/repos/{pr.repository}/issues"
    for page in range(1, MAX_PAGES + 1):
        found = _call(pr, "GET", f"{base}/{pr.number}/comments?per_page={PAGE}&page={page}", None, opener)
        if not isinstance(found, list):
            raise GitHubError(
                f"GitHub answered the comment list of #{pr.number} with something else than a list"
            )
        mine = next((c for c in found if _ours(c)), None)
        if mine is not None:
            updated = _call(pr, "PATCH", f"{base}/comments/{int(mine['id'])}", {"body": body}, opener)
            address = updated.get("html_url") if isinstance(updated, dict) else None
            return f"updated {address or mine['id']}"
        if len(found) < PAGE:
            break
    created = _call(pr, "POST", f"{base}/{pr.number}/comments", {"body": body}, opener)
    address = created.get("html_url") if isinstance(created, dict) else None
    return f"created {address or ''}".rstrip()


def _ours(comment: Any) -> bool:
    """Ours: the marker line, written by a bot (the job's token); a person quoting it is not. A
    comment of another shape, or without a whole-number id, is nobody's."""
    if not isinstance(comment, dict):
        return False
    user = comment.get("user")
    identifier = comment.get("id")
    return (
        str(comment.get("body", "")).startswith(MARKER)
        and isinstance(user, dict)
        and user.get("type") == "Bot"
        and isinstance(identifier, int)
        and not isinstance(identifier, bool)
    )
