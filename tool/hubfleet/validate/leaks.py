"""Layer 7, leaks: no private key, token or plaintext Secret in any file under clusters/ or gitops/.

Secrets reach git only sealed. Every file in scope is scanned, whatever its name, size or
encoding, including flux bootstrap's folders and dot-folders (only `.git` is skipped): a
file is streamed in chunks (no size limit), NUL bytes are dropped before matching (so UTF-16
text, which git stores byte for byte, and a key hidden behind a NUL are both seen), for
private keys of every armour (PEM, OpenSSH, PGP) and tokens by their published shapes
(GitHub, AWS, Slack, Google, credentials in a URL). Then every file that parses as YAML or
JSON is read as data, not matched by spelling (so `!!str Secret`, a JSON escape, a block
scalar or an anchor are all the same `kind: Secret`): Secrets with data, `kind: List` items
included; SealedSecrets with plaintext in their template; kustomize `secretGenerator`s;
kubeconfig users with keys, tokens or passwords; docker registry auths; and an OAuth client
secret written where its client id belongs. `.env`, AWS credentials, `.npmrc` and `.netrc`
files are read line by line for values of secret-named keys. A finding names the file, line
and field; never a value.

A scoped run (`validate clusterA`) scans that cluster's input folder, its parts of gitops/
(flux-system included) and the loose files directly under clusters/.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from ..core.schema_errors import dotted
from ..system.files import OUTSIDE_LINK, Refused, leaves, open_regular, read_regular
from ..system.project import Project
from ..system.yaml_reader import FieldPath, check_structure, loader, locate
from .findings import Tally
from .tree import LAYOUT, MAX_FILE_BYTES, Tree, display_path

PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
#: Tokens by the shapes their issuers publish (so a finding is never a guess about entropy).
TOKENS = {
    "a GitHub token": re.compile(rb"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})"),
    "an AWS access key id": re.compile(rb"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "a Slack token": re.compile(rb"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "a Slack webhook URL": re.compile(
        rb"hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+"
    ),
    "a Google API key": re.compile(rb"\bAIza[0-9A-Za-z_-]{35}\b"),
    "credentials in a URL": re.compile(rb"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:[^/\s@'\"]+@"),
}
#: Files whose lines assign secrets: dotenv files, AWS's credentials, npm's and netrc.
ASSIGNMENT_FILES = re.compile(r"^(?:\.env(?:\..*)?|.*\.env|credentials|\.npmrc|\.netrc|_netrc)$")
SECRET_NAME = re.compile(
    r"(?i)(?:password|passwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|_auth|auth)"
)
ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_/][A-Za-z0-9_.:/-]*)\s*[=:]\s*(\S.*)$")
NETRC = re.compile(r"\bpassword\s+\S+")
#: An OAuth client secret's shape (GitHub's: 40 hex digits), never a client id's.
CLIENT_SECRET_SHAPE = re.compile(r"^[0-9a-f]{40}$")
CHUNK = 1024 * 1024
#: Bytes carried from one chunk to the next, so a marker split between chunks is still found.
OVERLAP = 96
STRUCTURED = (".yaml", ".yml", ".json")
KEY_MESSAGE = "a PEM private key is committed here; remove it (from the git history too) and replace the key"


def scanned_files(project: Project, tree: Tree | None, all_clusters: bool) -> list[Path]:
    """Every file a scan covers: everything under clusters/ and gitops/, or the parts of the
    tree's clusters (with the loose files directly under clusters/)."""
    if all_clusters or tree is None:
        roots = [project.clusters_dir, project.gitops_dir]
    else:
        roots = [project.cluster_dir(name) for name in sorted(tree.clusters)]
        roots += [
            project.gitops_dir / scope
            for name in sorted(tree.clusters)
            for scope in LAYOUT.owned_scopes(name)
        ]
    found: set[Path] = set()
    if project.clusters_dir.is_dir() and not all_clusters:
        found.update(p for p in project.clusters_dir.iterdir() if not p.is_dir() or p.is_symlink())
    for root in roots:
        if root.is_symlink() or root.is_file():
            found.add(root)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            folder = Path(dirpath)
            found.update(folder / d for d in dirnames if (folder / d).is_symlink())
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            found.update(folder / name for name in filenames)
    return sorted(found)


def check_leaks(project: Project, files: list[Path], tally: Tally) -> None:
    """Every file given (`scanned_files`): private keys, plaintext Secrets, and symlinks leading out."""
    for path in files:
        display = display_path(project, path)
        check = f"leaks:{display}"
        tally.checked(check)
        if path.is_symlink() and leaves(path, project.root):
            tally.fail(check, display, 0, "", OUTSIDE_LINK)
            continue
        scan = _scan(path)
        if scan is None:
            continue
        marks, mentions_secret, size = scan
        for line, what in marks:
            tally.fail(check, display, line, "", KEY_MESSAGE if what == "key" else _token_message(what))
        if ASSIGNMENT_FILES.match(path.name):
            _check_assignments(path, display, check, tally)
        _check_documents(path, display, size, mentions_secret, check, tally)


def _token_message(what: str) -> str:
    return f"{what} is committed here; revoke it, remove it (from the git history too) and keep it in a sealed secret"


def _check_assignments(path: Path, display: str, check: str, tally: Tally) -> None:
    """Lines of a dotenv, credentials, .npmrc or .netrc file that give a secret-named key a value."""
    try:
        text = _decode(read_regular(path, MAX_FILE_BYTES))
    except Refused:
        return
    for number, line in enumerate(text.splitlines(), 1):
        assigned = ASSIGNMENT.match(line)
        named = assigned is not None and SECRET_NAME.search(assigned.group(1)) is not None
        if named or NETRC.search(line):
            key = assigned.group(1) if assigned is not None else "password"
            tally.fail(
                check, display, number, "", f"{key}: a secret in plain text; keep it out of git, sealed"
            )


def _scan(path: Path) -> tuple[list[tuple[int, str]], bool, int] | None:
    """(line, what) of every private key and token, whether the file mentions a Secret by name
    (a file too large to parse is then a finding), and its size; None for anything but a
    regular file (a FIFO would hang the scan)."""
    found: list[tuple[int, str]] = []
    mentions = False
    carry, newlines, size = b"", 0, 0
    patterns = [(PRIVATE_KEY, "key"), *((pattern, what) for what, pattern in TOKENS.items())]
    try:
        with open_regular(path) as stream:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                data = carry + chunk.replace(b"\0", b"")
                for pattern, what in patterns:
                    for match in pattern.finditer(data):
                        if match.end() > len(carry):
                            found.append((newlines + data.count(b"\n", 0, match.start()) + 1, what))
                mentions = mentions or b"Secret" in data or b"ecret" in data
                keep = data[-OVERLAP:]
                newlines += data.count(b"\n", 0, len(data) - len(keep))
                carry = keep
    except (Refused, OSError):
        return None
    return sorted(set(found)), mentions, size


def _decode(raw: bytes) -> str:
    """Text as a git client may have stored it: UTF-8, or UTF-16 with or without a byte-order mark."""
    for mark, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(mark):
            return raw[len(mark) :].decode(encoding, "replace")
    if raw.count(b"\0") * 3 > len(raw):  # mostly ASCII in UTF-16: every other byte is NUL
        return raw.decode("utf-16-le" if raw[1:2] == b"\0" else "utf-16-be", "replace")
    return raw.replace(b"\0", b"").decode("utf-8", "replace")


#: Every key or kind the data checks below look for holds one of these; a file whose text holds
#: none, and no backslash (the only way YAML or JSON spells a string other than literally: a
#: double-quoted escape), cannot carry what they look for, so it is not parsed. That keeps the
#: scan of a 30-cluster tree to seconds.
TRIGGERS = ("ecret", "auths", "clientId")
#: ... and a kubeconfig credential needs both of these and one of its fields.
KUBECONFIG_WORDS = ("Config", "users")
KUBECONFIG_FIELDS = ("token", "client-key-data", "password")


def could_hold_secrets(text: str) -> bool:
    """Whether the data checks must parse `text` (see TRIGGERS)."""
    return (
        "\\" in text
        or any(word in text for word in TRIGGERS)
        or (all(word in text for word in KUBECONFIG_WORDS) and any(f in text for f in KUBECONFIG_FIELDS))
    )


def _check_documents(path: Path, display: str, size: int, mentions: bool, check: str, tally: Tally) -> None:
    """Every YAML or JSON document of the file, read as data (see the module's docstring)."""
    structured = path.suffix.lower() in STRUCTURED
    if size > MAX_FILE_BYTES and not mentions:
        return
    if size > MAX_FILE_BYTES:
        tally.fail(
            check,
            display,
            0,
            "",
            f"mentions kind: Secret but is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB, too large to parse; "
            "hubfleet cannot tell whether it is sealed: commit only SealedSecrets",
        )
        return
    try:
        text = _decode(path.read_bytes())
        if not could_hold_secrets(text):
            return
        check_structure(text)  # before the composer recurses into it
        yaml = loader()
        documents = [
            (node, yaml.constructor.construct_document(node)) for node in yaml.compose_all(text) if node
        ]
    except (OSError, YAMLError, RecursionError, ValueError):
        if structured and mentions:
            tally.fail(
                check,
                display,
                0,
                "",
                "mentions kind: Secret but does not parse as YAML or JSON; hubfleet cannot tell whether it is "
                "sealed: fix the file, and commit only SealedSecrets",
            )
        return
    for node, data in documents:
        for where, secret, field in _plaintext(data, ()):
            line = locate(node, (*where, *field))[0]
            metadata = secret.get("metadata")
            name = metadata.get("name", "") if isinstance(metadata, dict) else ""
            kind = str(secret.get("kind"))
            tally.fail(
                check,
                display,
                line,
                f"{kind}/{name}",
                f"{dotted(field)}: plaintext Secret data in git; seal it (hubfleet seal) so only the cluster can "
                "read it",
            )
        for where, message in _credentials(data, ()):
            tally.fail(check, display, locate(node, where)[0], "", f"{dotted(where)}: {message}")


def _plaintext(data: Any, where: FieldPath) -> Iterator[tuple[FieldPath, dict[str, Any], FieldPath]]:
    """Secrets with data or stringData in a document, SealedSecrets with them in their template,
    and the same in the items of a `kind: List`."""
    if not isinstance(data, dict):
        return
    kind = data.get("kind")
    if kind == "Secret":
        for field in ("data", "stringData"):
            if data.get(field):
                yield where, data, (field,)
    elif kind == "SealedSecret":
        spec = data.get("spec")
        template = spec.get("template") if isinstance(spec, dict) else None
        for field in ("data", "stringData"):
            if isinstance(template, dict) and template.get(field):
                yield where, data, ("spec", "template", field)
    elif isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list):
        for index, item in enumerate(data["items"]):
            yield from _plaintext(item, (*where, "items", index))


def _credentials(data: Any, where: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    """Other secrets a document can carry as data: a kustomize secretGenerator, kubeconfig users'
    keys, tokens and passwords, docker registry auths, a client secret where a client id goes."""
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield from _credentials(item, (*where, index))
        return
    if not isinstance(data, dict):
        return
    if data.get("secretGenerator"):
        yield (
            (*where, "secretGenerator"),
            ("kustomize makes Secrets from plaintext in git here; seal them instead (hubfleet seal)"),
        )
    if data.get("kind") == "Config" and isinstance(data.get("users"), list):
        for index, entry in enumerate(data["users"]):
            user = entry.get("user") if isinstance(entry, dict) else None
            for field in ("token", "client-key-data", "password"):
                if isinstance(user, dict) and user.get(field):
                    yield (
                        (*where, "users", index, "user", field),
                        ("a kubeconfig credential in git; remove it and revoke it"),
                    )
    auths = data.get("auths")
    if isinstance(auths, dict):
        for registry, entry in auths.items():
            if isinstance(entry, dict) and (entry.get("auth") or entry.get("password")):
                yield (
                    (*where, "auths", str(registry)),
                    "a container registry login in git; remove it and revoke it",
                )
    for key, value in data.items():
        if key == "clientId" and isinstance(value, str) and CLIENT_SECRET_SHAPE.match(value):
            yield (
                (*where, key),
                (
                    "looks like an OAuth client secret (40 hex digits), not a client id; seal the secret with "
                    "`hubfleet seal auth` and put the id here"
                ),
            )
        elif isinstance(value, (dict, list)):
            yield from _credentials(value, (*where, key))
