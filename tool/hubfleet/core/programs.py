"""Shared layer: where hubfleet finds the programs it runs (helm, kubectl).

<root>/.tools/bin first, where `make tools` installs the pinned versions, else PATH. validate
requires them; `plan` goes on without helm.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def find_tool(name: str, root: Path) -> str | None:
    pinned = root / ".tools" / "bin" / name
    if pinned.is_file() and os.access(pinned, os.X_OK):
        return str(pinned)
    return shutil.which(name)
