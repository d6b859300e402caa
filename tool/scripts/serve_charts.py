"""Serve a folder (a Helm chart repository: index.yaml plus packages) on a free loopback port.

    python3 tool/scripts/serve_charts.py FOLDER

Prints the URL on one line, then serves until killed. `.ci/run` uses it to make
../shared/upstream/charts the chart mirror (HUBFLEET_CHART_MIRROR) of `make validate`,
so CI fetches no chart from the internet. Standard library only: it runs before any install.
"""

from __future__ import annotations

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> int:
    folder = sys.argv[1]
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
