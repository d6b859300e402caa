"""Shared layer: does a Kubernetes version satisfy a Helm chart's `kubeVersion` constraint?

Helm reads these with Go's Masterminds/semver v3: comparators joined by spaces or commas (all
must hold), alternatives joined by `||`, hyphen ranges (`1.30 - 1.36`), the `^`, `~`/`~>` and `x`
shorthands, and `=>`/`=<` as spellings of `>=`/`<=`. Written here because the maintained Python
packages implement other dialects (npm's ranges, PEP 440) whose comma, hyphen and pre-release rules
differ. Text that is not a comparator makes the constraint unsatisfiable, as Helm's parse error
makes the chart uninstallable.

Pre-releases: EKS reports its versions as pre-releases (`v1.35.2-eks-...`), and Masterminds lets a
pre-release satisfy only comparators that carry a pre-release themselves: `>=1.25.0-0` matches
EKS, `>=1.25.0` does not. `satisfies(..., prerelease=True)` applies that rule.
"""

from __future__ import annotations

import re

_PART = r"(\d+|[xX*])"
_COMPARATOR = re.compile(
    rf"(>=|=>|<=|=<|!=|~>|>|<|=|\^|~)?\s*v?{_PART}(?:\.{_PART})?(?:\.{_PART})?(-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
)
_HYPHEN = re.compile(r"(\S+)\s+-\s+(\S+)")
_SPELLING = {"=>": ">=", "=<": "<=", "~>": "~"}
Version = tuple[int, int, int]


def _parse(version: str) -> Version:
    parts = [int(p) for p in re.findall(r"\d+", version)[:3]] + [0, 0, 0]
    return parts[0], parts[1], parts[2]


def _holds(operator: str, parts: list[str | None], version: Version) -> bool:
    wild = [p is None or p in ("x", "X", "*") for p in parts]
    numbers = [0 if w else int(p or 0) for p, w in zip(parts, wild, strict=True)]
    bound: Version = (numbers[0], numbers[1], numbers[2])
    if operator in ("", "=") and any(wild):
        # 1.2.x / 1.2: the same major (and minor, when given).
        return all(version[i] == numbers[i] for i, w in enumerate(wild) if not w)
    if operator == "^":
        upper = (bound[0] + 1, 0, 0) if bound[0] else (0, bound[1] + 1, 0)
        return bound <= version < upper
    if operator == "~":
        upper = (bound[0], bound[1] + 1, 0) if not wild[1] else (bound[0] + 1, 0, 0)
        return bound <= version < upper
    return {
        "": version == bound,
        "=": version == bound,
        "!=": version != bound,
        ">": version > bound,
        "<": version < bound,
        ">=": version >= bound,
        "<=": version <= bound,
    }[operator]


def _alternative(text: str, target: Version, prerelease: bool) -> bool:
    text = _HYPHEN.sub(r">=\1 <=\2", text).replace(",", " ")
    matches = list(_COMPARATOR.finditer(text))
    leftover = _COMPARATOR.sub("", text).strip()
    if not matches or leftover:
        return False
    for match in matches:
        if prerelease and not match.group(5):
            return False
        operator = _SPELLING.get(match.group(1) or "", match.group(1) or "")
        if not _holds(operator, [match.group(2), match.group(3), match.group(4)], target):
            return False
    return True


def satisfies(version: str, constraint: str, prerelease: bool = False) -> bool:
    """Whether `version` (e.g. 1.35.0) meets `constraint` (e.g. `>= 1.25.0-0 < 1.36.0-0`); with
    `prerelease`, as a pre-release of that version (how EKS reports it)."""
    target = _parse(version)
    return any(_alternative(part, target, prerelease) for part in constraint.split("||"))
