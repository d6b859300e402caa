"""Upstream, images: `images.lock`, the committed digest of every image the fleet runs.

`hubfleet images lock` writes it from what validate's expansion finds (every container and init
container of every rendered object and expanded chart, chart defaults included) and what each
image's registry says its tag names now. Each entry records the chart releases that run the
image when it was locked (`jupyterhub 4.4.0`; `gitops` for an object of the tree itself), so
`validate` can tell an entry made for another chart version from a current one.

An entry may be unresolved (`digest: null`): `hubfleet images lock --unresolved` lists what the
fleet runs without asking any registry, for a checkout that cannot reach them (the example's,
made here); `validate` warns about each such entry until a run where the registries answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml.error import YAMLError

from ..core.images import DIGEST, parse_image
from ..errors import Diagnostic, InputError
from ..system.yaml_reader import load_one

HEADER = """\
# Written by `hubfleet images lock`: the digest each image's tag named when it was locked, and
# the chart releases that run it. `hubfleet validate` fails on an image the fleet runs that is not
# here, or that is here for another chart version. Commit this file; run the command again after
# changing an image or a chart pin. `digest: null`: not resolved yet (--unresolved).
"""


@dataclass(frozen=True)
class LockedImage:
    digest: str | None
    #: `<chart> <version>` of each release that runs the image, sorted; `gitops` for the tree's own.
    charts: tuple[str, ...]


def read_image_lock(path: Path, display: str) -> dict[str, LockedImage]:
    """image -> entry; {} without the file; InputError naming every entry that does not parse."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise InputError.at(display, f"cannot read it ({error})") from None
    try:
        data = load_one(text) or {}
    except YAMLError as error:
        raise InputError.at(display, f"not YAML ({' '.join(str(error).split())[:160]})") from None
    entries = data.get("images") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InputError.at(display, "no `images:` list; write it with `hubfleet images lock`")
    found: dict[str, LockedImage] = {}
    problems = []
    for index, entry in enumerate(entries):
        where = f"images[{index}]"
        image = entry.get("image") if isinstance(entry, dict) else None
        digest = entry.get("digest") if isinstance(entry, dict) else None
        charts = entry.get("charts") if isinstance(entry, dict) else None
        why = None
        if not isinstance(image, str):
            why = "needs image: <repository>:<tag>"
        elif digest is not None and not (isinstance(digest, str) and DIGEST.fullmatch(digest)):
            why = f"digest {digest!r} is not sha256: and 64 hex digits (or null: not resolved yet)"
        elif not isinstance(charts, list) or not all(isinstance(c, str) for c in charts):
            why = "needs charts: a list of `<chart> <version>`"
        else:
            try:
                parse_image(image)
            except ValueError as error:
                why = f"image {image}: {error}"
        if why:
            problems.append(Diagnostic(display, subject=where, message=why))
            continue
        assert isinstance(image, str) and isinstance(charts, list)
        found[image] = LockedImage(digest, tuple(sorted(charts)))
    if problems:
        raise InputError(problems)
    return found


def image_lock_text(entries: dict[str, LockedImage]) -> str:
    lines = [HEADER, "images:\n"]
    for image in sorted(entries):
        entry = entries[image]
        # JSON strings are YAML double-quoted scalars: any character is escaped, none can end the line.
        charts = ", ".join(json.dumps(chart) for chart in entry.charts)
        digest = entry.digest or "null"
        lines.append(f"  - image: {json.dumps(image)}\n    digest: {digest}\n    charts: [{charts}]\n")
    return "".join(lines)
