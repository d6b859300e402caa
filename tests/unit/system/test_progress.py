"""Waits longer than two seconds show a live line on a terminal, and nothing anywhere else."""

from __future__ import annotations

import io
import os
import pty
import shutil
import subprocess
import time
from pathlib import Path

from conftest import REPO
from hubfleet.system.progress import waiting


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_wait_on_a_terminal_shows_a_line_and_clears_it() -> None:
    out = Terminal()
    with waiting("compiling", out, delay=0.05):
        time.sleep(0.3)
    text = out.getvalue()
    assert text.startswith("\rcompiling... 0s")
    assert text.endswith("\r\033[K")


def test_a_short_wait_or_a_pipe_shows_nothing() -> None:
    quick = Terminal()
    with waiting("compiling", quick, delay=5):
        pass
    assert quick.getvalue() == ""
    piped = io.StringIO()
    with waiting("compiling", piped, delay=0.01):
        time.sleep(0.1)
    assert piped.getvalue() == ""


def test_the_first_render_says_it_is_compiling_the_dashboards(tmp_path: Path) -> None:
    """On a real terminal (a pty), the first render with an empty dashboard cache shows its wait."""
    fleet = tmp_path / "fleet"
    shutil.copytree(REPO / "clusters", fleet / "clusters")
    env = {**os.environ, "HUBFLEET_DASHBOARD_CACHE": str(tmp_path / "dashboards")}
    main, child = pty.openpty()
    done = subprocess.run([str(REPO / ".venv/bin/hubfleet"), "render"], cwd=fleet, env=env, stdin=child,
                          stdout=subprocess.PIPE, stderr=child, timeout=300, check=False)  # fmt: skip
    os.close(child)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert done.returncode == 0, done.stdout
    assert b"\rcompiling the Grafana dashboards (once; cached in " in shown
    assert b"\r\x1b[K" in shown
