"""The one diagnostic type and the one exception tree, with every exit code hubfleet uses. Library
code raises these; only the CLI turns them into exit codes, and nothing a person or the machine can
cause ends in a traceback.

A `Diagnostic` is anything hubfleet found at one place for a person: an input problem (stage 2),
a validate finding, a sealing audit finding, a plan's risk flag (`planning.risks.Risk` adds its id,
area and cluster), a preflight or upgrade check. One severity vocabulary (error, warning, info:
"info" is a check that passed, or news) and one way of printing, `where: subject: message`.

| exit | class          | meaning                                                                |
|------|----------------|------------------------------------------------------------------------|
| 0    |                | done, or clean                                                         |
| 1    | FindingsError  | the input was readable, but a check found something wrong              |
| 2    | InputError     | an input file is unreadable or invalid (each problem at file:line:col) |
| 2    | UsageError     | a command-line argument or option is wrong (named in the message)      |
| 2    | LocalError     | a local file or folder cannot be read or written (named in the message)|
| 3    | RemoteError    | a remote service (AWS, GitHub) refused a call or could not be reached  |
| 4    | ToolError      | a tool crashed or broke its contract (kubeconform, helm, hubfleet)     |

Every error carries where it happened: a file and position, the argument, or the path.
Nothing here depends on click: the command line (`hubfleet.cli`) is the one handler that prints an
error and exits with its code.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

EXIT_FINDINGS = 1
EXIT_INPUT = 2
EXIT_REMOTE = 3
EXIT_TOOL = 4


Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One thing found at one place, ready to print for a person: where (a file, and its line and
    column when known), about what (a field path, an object, a check), what, and how bad."""

    file: str
    line: int = 0
    column: int = 0
    subject: str = ""
    message: str = ""
    severity: Severity = "error"

    @property
    def where(self) -> str:
        if self.line and self.column:
            return f"{self.file}:{self.line}:{self.column}"
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        """`file:line:col: subject: message`; a warning says so before its message."""
        parts = [self.where, self.subject] if self.subject else [self.where]
        if self.severity == "warning":
            parts.append("warning")
        return ": ".join([*parts, self.message])


class HubfleetError(Exception):
    """Base of every error hubfleet reports to a person: printed as is (no 'Error:' prefix) on
    standard error, and the process ends with `exit_code`."""

    exit_code = EXIT_FINDINGS

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def format_message(self) -> str:
        return self.message

    def __str__(self) -> str:
        return self.format_message()


class InputError(HubfleetError):
    """The inputs are unreadable or invalid: every problem at once, each at its file:line:col."""

    exit_code = EXIT_INPUT

    def __init__(self, problems: Iterable[Diagnostic], outcome: str = "nothing was written") -> None:
        self.problems: list[Diagnostic] = sorted(set(problems))
        self.outcome = outcome
        count = len(self.problems)
        summary = f"{count} problem{'s' if count != 1 else ''} in the input"
        super().__init__(
            "\n".join([*map(str, self.problems), f"{summary}; {outcome}" if outcome else summary])
        )

    @classmethod
    def at(cls, file: str, message: str, line: int = 0, column: int = 0, field: str = "") -> InputError:
        """One problem of one file (line 0 when the whole file is meant)."""
        return cls([Diagnostic(file, line, column, field, message)])


class UsageError(HubfleetError):
    """A command-line argument, option or the environment it reads is wrong; `argument` names it
    (`--skip`, `CLUSTER`). Empty when the message itself names what to change (AWS credentials:
    "pass --profile, set AWS_PROFILE, ...")."""

    exit_code = EXIT_INPUT

    def __init__(self, argument: str, message: str) -> None:
        self.argument = argument
        super().__init__(f"{argument}: {message}" if argument else message)


class LocalError(HubfleetError):
    """A local file or folder cannot be used as needed (a full disk, a read-only or foreign file).

    Not an `InputError`: the input was fine, and something may already have been written
    (the message says what was and was not changed).
    """

    exit_code = EXIT_INPUT

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.reason = message
        super().__init__(f"{path}: {message}" if path else message)


#: What to do about the OS errors a person or the machine can cause, by errno.
_OS_ADVICE = {
    errno.EROFS: "the file system is read-only; make it writable or render elsewhere with --out",
    errno.EACCES: "permission denied; make it writable (and readable) by you",
    errno.EPERM: "operation not permitted; make it writable by you",
    errno.ENOSPC: "no space left on the device; free some space and run the command again",
    errno.EDQUOT: "disk quota exceeded; free some space and run the command again",
    errno.ENOTDIR: "a file stands where a folder should be; move it away",
    errno.EISDIR: "a folder stands where a file should be; move it away",
    errno.ENAMETOOLONG: "a name is too long for the file system; use a shorter cluster or hub name",
    errno.ELOOP: "a symlink where hubfleet allows none (it could lead out of the project, or loop); "
    "replace it with a real file or folder",
    errno.EXDEV: "the rename would cross file systems; keep the folder on one file system",
    errno.ENOENT: "it disappeared while hubfleet was using it; is another program changing the folder?",
}


def os_error(
    error: OSError, shown: Callable[[str], str], doing: str, outcome: str = "", where: str = ""
) -> LocalError:
    """One line for an OSError: the path as a person knows it, what failed, and what to do.

    `shown` turns the absolute path the OS reports into the project-relative one a person typed;
    `outcome` says what was and was not changed (the writer knows, the OS does not); `where` names
    the folder when the OS names no file (a failed write() does not).
    """
    path = shown(os.fsdecode(error.filename)) if error.filename else where
    reason = error.strerror or error.__class__.__name__
    advice = _OS_ADVICE.get(error.errno or 0, "")
    message = f"cannot {doing}: {reason}" + (f" ({advice})" if advice else "")
    return LocalError(path, message + (f"; {outcome}" if outcome else ""))


class FindingsError(HubfleetError):
    """The input was readable, but a check found something wrong (exit 1)."""

    exit_code = EXIT_FINDINGS


class RemoteError(HubfleetError):
    """A remote service refused a call, kept throttling it, or could not be reached (exit 3)."""

    exit_code = EXIT_REMOTE


class AwsError(RemoteError):
    """AWS refused a call, kept throttling it, or could not be reached (exit 3)."""


class GitHubError(RemoteError):
    """GitHub refused a call or could not be reached (exit 3)."""


class ToolError(HubfleetError):
    """A tool crashed or broke its contract: kubeconform, helm, or hubfleet itself (exit 4).

    This is never the person's input; the message says which tool and how to report it.
    """

    exit_code = EXIT_TOOL

    def __init__(self, tool: str, message: str) -> None:
        self.tool = tool
        super().__init__(f"{tool}: {message}")


class NotDecryptable(HubfleetError):
    """A sealed value did not decrypt: wrong key, or a label (namespace/name) other than the one it
    was sealed for (exit 2). The cryptography raises it bare; `sealing.unseal` re-raises it naming the
    file and the value, so a person always sees where."""

    exit_code = EXIT_INPUT
