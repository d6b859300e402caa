"""Serve a folder (a Helm chart repository: index.yaml plus packages) on a free loopback port.

    python3 tool/scripts/serve_charts.py FOLDER

Prints the URL on one line, then serves until killed. `.ci/run` uses it to make the
reference chart repository the chart mirror (HUBFLEET_CHART_MIRROR) of `make validate`,
so CI fetches no chart from the internet. Standard library only: it runs before any install.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(folder: str) -> tuple[ThreadingHTTPServer, str]:
    """A server over `folder` on a free loopback port, and its URL (not yet serving)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def serve_in_background(folder: str) -> str:
    """Serve `folder` from a daemon thread (tests, benchmarks); return its URL."""
    server, url = serve(folder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return url


def benchmark_mirror() -> str:
    """The chart mirror a benchmark uses: HUBFLEET_CHART_MIRROR, else the reference folder's
    charts/ (HUBFLEET_UPSTREAM) served on loopback; neither is a usage error saying what to set."""
    given = os.environ.get("HUBFLEET_CHART_MIRROR")
    if given:
        return given
    upstream = os.environ.get("HUBFLEET_UPSTREAM")
    if upstream and os.path.isfile(os.path.join(upstream, "charts", "index.yaml")):
        return serve_in_background(os.path.join(upstream, "charts"))
    raise SystemExit(
        "no chart mirror: set HUBFLEET_CHART_MIRROR to a Helm repository URL, or HUBFLEET_UPSTREAM to "
        "a folder whose charts/ is one"
    )


def main() -> int:
    server, url = serve(sys.argv[1])
    print(url, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
