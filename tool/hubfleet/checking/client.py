"""The HTTP side of `hub check`: JupyterHub's REST API and a user server's, over the standard library.

One class talks to the network, so the check's steps stay plain logic and every way a request
can fail (refused, unreachable, slow, an answer that is not JSON) becomes one `StepFailed`
with a cause a person can act on, never a traceback. The token travels only in the
Authorization header; it is never part of a URL, a message or a log line.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


class StepFailed(Exception):
    """A step of the check failed; `cause` says why, in one line (`status`: the HTTP status, if any)."""

    def __init__(self, cause: str, status: int | None = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.status = status


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def _message(error: urllib.error.HTTPError) -> str:
    """JupyterHub's and Jupyter server's JSON error message, else the reason phrase."""
    try:
        found = json.loads(error.read().decode("utf-8", "replace") or "{}")
    except (ValueError, OSError):
        found = {}
    text = found.get("message") if isinstance(found, dict) else None
    return f"HTTP {error.code}: {text or error.reason}"


class HubClient:
    """Requests to one hub (`base_url`: the hub's public address, e.g. https://host/physics101/)."""

    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(self.base_url))
        self._token = token
        self.timeout = timeout
        self._context = ssl.create_default_context()

    def url(self, path: str) -> str:
        """`path` under the hub (`hub/api/...`), or an absolute path on the same origin (`/x/user/...`)."""
        return self.origin + path if path.startswith("/") else self.base_url + path

    def _open(self, method: str, path: str, body: Any = None, timeout: float | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url(path), data=data, method=method)
        request.add_header("Authorization", f"token {self._token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            return urllib.request.urlopen(request, timeout=timeout or self.timeout, context=self._context)
        except urllib.error.HTTPError as error:
            raise StepFailed(f"{method} {self._shown(path)}: {_message(error)}", error.code) from None
        except TimeoutError:
            raise StepFailed(
                f"{method} {self._shown(path)}: no answer in {timeout or self.timeout:g} s"
            ) from None
        except urllib.error.URLError as error:
            raise StepFailed(f"{method} {self._shown(path)}: cannot reach the hub: {error.reason}") from None
        except (OSError, ValueError) as error:
            raise StepFailed(f"{method} {self._shown(path)}: {error}") from None

    def _shown(self, path: str) -> str:
        return urllib.parse.urlsplit(self.url(path)).path

    def call(self, method: str, path: str, body: Any = None) -> Answer:
        """One request; its JSON answer (None for an empty body)."""
        with self._open(method, path, body) as response:
            raw = response.read()
            try:
                return Answer(response.status, json.loads(raw) if raw.strip() else None)
            except ValueError:
                raise StepFailed(f"{method} {self._shown(path)}: the answer is not JSON") from None

    def events(self, path: str, timeout: float) -> Iterator[dict[str, Any] | None]:
        """The JSON events of an event stream (`data: {...}` lines) until it ends, and None for
        every other line (JupyterHub's keep-alives), so the caller can keep its own deadline."""
        with self._open("GET", path, timeout=timeout) as response:
            try:
                for line in response:
                    text = line.decode("utf-8", "replace").strip()
                    event = None
                    if text.startswith("data:"):
                        try:
                            event = json.loads(text[5:])
                        except ValueError:
                            event = None
                    yield event if isinstance(event, dict) else None
            except TimeoutError:
                raise StepFailed(f"no progress event in {timeout:g} s") from None
            except OSError as error:
                raise StepFailed(f"the progress stream broke: {error}") from None
