"""The system layer: the programs hubfleet runs (helm, kubectl, git), found once and always run with a
timeout.

A program is taken from <root>/.tools/bin (where `make tools` installs the pinned versions), else
from PATH. validate requires them (a missing one is a usage error: validation never passes by
leaving a layer out); `plan` goes on without helm.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import LocalError


def find_tool(name: str, root: Path) -> str | None:
    pinned = root / ".tools" / "bin" / name
    if pinned.is_file() and os.access(pinned, os.X_OK):
        return str(pinned)
    return shutil.which(name)


@dataclass(frozen=True)
class Ran:
    """What a program did: its exit status and output."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def error_text(self, root: Path | None = None) -> str:
        """stderr (or stdout) on one line, without helm's and kubectl's `Error: ` prefix, paths
        relative to `root`."""
        text = self.stderr.strip() or self.stdout.strip() or f"exit status {self.returncode}"
        text = text.replace("Error: ", "").replace("error: ", "")
        if root is not None:
            text = text.replace(f"{root.resolve()}/", "").replace(f"{root}/", "")
        return " ".join(text.split())


def require_tool(name: str, root: Path, layer: str) -> str:
    found = find_tool(name, root)
    if found is None:
        raise LocalError(
            name,
            f"needed for the {layer} layer but is neither in {root / '.tools/bin'} nor on PATH; "
            f"run `make tools`, or pass --skip {layer}",
        )
    return found


#: Seconds one helm or kubectl run may take; far more than the largest chart needs.
TIMEOUT = 300
#: kubectl kustomize fetches remote resources over HTTP(S) and git: validation never does. Both
#: are pointed at a closed port, and git at local files only, so a remote URL fails at once.
OFFLINE = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "",
    "no_proxy": "",
    "GIT_ALLOW_PROTOCOL": "file",
    "GIT_TERMINAL_PROMPT": "0",
}


def run(command: list[str], cwd: Path | None = None, timeout: float = TIMEOUT, offline: bool = False) -> Ran:
    """Run a program to its end or for `timeout` seconds (then it is stopped: exit 124, as
    coreutils' timeout says it); with `offline`, without network (OFFLINE)."""
    env = {**os.environ, **OFFLINE} if offline else None
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, cwd=cwd, check=False, timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired:
        return Ran(124, "", f"{Path(command[0]).name} ran for more than {timeout:g} s and was stopped")
    except OSError as error:
        return Ran(127, "", f"cannot run {command[0]}: {error.strerror}")
    return Ran(done.returncode, done.stdout, done.stderr)
