"""Start a user server's Jupyter server and an IPython kernel, and report what settings they took.

Run by tests/tiers/test_server_tier.py with .venv-server's Python, inside a mount namespace in which
the files of the pod's `singleuser` Secret are mounted at the pod's own mount paths
(tests/server_side/pod_files.sh), as the notebook user. Never imported by hubfleet. Prints one
JSON object: the kernel culler's settings as the kernel manager holds them, where
jupyter-server-fileid and the collaboration store keep their SQLite databases, and where the
running kernel's IPython keeps its history, and which SQLite files the run left in the home.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def ystore_path(app: Any, root: str) -> str:
    """The collaboration store a document room would get: the store class the collaboration
    extension hands its room handler (with the server's configuration bound to it)."""
    for extension in app.extension_manager.extension_apps.get("jupyter_server_ydoc", ()):
        for _pattern, _handler, options in (h for h in extension.handlers if len(h) == 3):
            if "ystore_class" in options:
                return str(options["ystore_class"](path=os.path.join(root, "probe.ipynb")).db_path)
    raise SystemExit("the collaboration extension did not load")


def kernel_history() -> str:
    """The history file of a real IPython kernel, after it ran a cell (which writes history)."""
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        printed: list[str] = []
        client.execute_interactive(
            "print(get_ipython().history_manager.hist_file)",
            timeout=60,
            output_hook=lambda m: printed.append(m["content"].get("text", "")),
        )
        return "".join(printed).strip()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def main(root: str, port: str) -> dict[str, Any]:
    from jupyter_server.serverapp import ServerApp

    app = ServerApp()
    app.initialize(
        argv=[f"--ServerApp.root_dir={root}", f"--ServerApp.port={port}", "--ServerApp.open_browser=False"]
    )
    kernels = app.kernel_manager
    report = {
        "kernels": {
            "cull_idle_timeout": kernels.cull_idle_timeout,
            "cull_interval": kernels.cull_interval,
            "cull_connected": kernels.cull_connected,
            "cull_busy": kernels.cull_busy,
        },
        "file_ids": str(app.web_app.settings["file_id_manager"].db_path),
        "collaboration": ystore_path(app, root),
        "history": kernel_history(),
    }
    app.http_server.stop()
    home = Path(os.environ["HOME"])
    report["home_databases"] = sorted(
        str(p.relative_to(home)) for p in home.rglob("*") if p.suffix in (".db", ".sqlite")
    )
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
