"""The one exception tree. Library code raises these; only the CLI turns them into exit codes.

Exit codes: 2 for bad input or usage (nothing was written), 1 for findings (the
input was readable but something it describes, or the committed tree, is wrong).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

import click


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one place in one input file, ready to print for a person."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class HubfleetError(click.ClickException):
    """Base of every error hubfleet reports to a person: printed as is, no 'Error:' prefix."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.format_message(), err=True, file=file)


class InputError(HubfleetError):
    """The inputs are unreadable or invalid: every problem at once, exit 2, nothing written."""

    exit_code = 2

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            self.problems: list[Problem] = []
            super().__init__(problems)
        else:
            self.problems = sorted(set(problems))
            count = len(self.problems)
            summary = f"{count} problem{'s' if count != 1 else ''} in the input; nothing was written"
            super().__init__("\n".join([*map(str, self.problems), summary]))


class FindingsError(HubfleetError):
    """The input was readable, but a check found something wrong (exit 1)."""

    exit_code = 1
