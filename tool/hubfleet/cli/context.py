"""What every command gets from the top-level group: the project, found lazily so `--help`
works anywhere. Command modules (validate, sealing, aws) import it from here, never from the CLI
module, so no command imports the command line that imports it."""

from __future__ import annotations

from pathlib import Path

import click

from ..system.project import Project, find_project


class Context:
    def __init__(self, root: Path | None) -> None:
        self._root = root
        self._project: Project | None = None

    @property
    def project(self) -> Project:
        if self._project is None:
            self._project = find_project(Path.cwd(), self._root)
        return self._project


pass_context = click.make_pass_decorator(Context)
