"""System layer: a live line on standard error for every wait longer than two seconds.

A first render compiles the Grafana dashboards; validate fetches chart packages and runs helm
dozens of times. Silence for a minute looks like a hang. When standard error is a terminal, a
wait that lasts past `DELAY` seconds shows `<what>... 7s` on one line, rewritten each second
and cleared when the wait ends; when it is not (CI, a pipe, the tests), nothing is printed, so
logs and captured output stay exactly what they were.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

#: Seconds a wait may last before it is shown.
DELAY = 2.0


@contextmanager
def waiting(what: str, stream: TextIO | None = None, delay: float = DELAY) -> Iterator[None]:
    """Show `what` and the seconds it has taken while the block runs, if it runs long."""
    out = stream if stream is not None else sys.stderr
    if not out.isatty():
        yield
        return
    done = threading.Event()
    start = time.monotonic()
    shown = False

    def tick() -> None:
        nonlocal shown
        while not done.wait(delay if not shown else 1.0):
            out.write(f"\r{what}... {time.monotonic() - start:.0f}s")
            out.flush()
            shown = True

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        if shown:
            out.write("\r\033[K")
            out.flush()
