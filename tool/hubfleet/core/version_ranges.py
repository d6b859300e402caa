"""Shared layer: does a Kubernetes version satisfy a Helm chart's `kubeVersion` constraint?

Helm reads these with Go's Masterminds/semver: comparators joined by spaces or commas (all must
hold), alternatives joined by `||`, and the `^`, `~` and `x` shorthands. Written here because the
maintained Python packages implement other dialects (npm's ranges, PEP 440) whose comma and
hyphen rules differ; the subset below is what charts use. A `-0` pre-release suffix only lets
pre-releases match, so it is ignored for the plain versions compared here.
"""

from __future__ import annotations

import re

_COMPARATOR = re.compile(
    r"(>=|<=|!=|>|<|=|\^|~)?\s*v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-[0-9A-Za-z.-]+)?"
)
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
        fixed = [i for i, w in enumerate(wild) if not w]
        return all(version[i] == numbers[i] for i in fixed)
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


def satisfies(version: str, constraint: str) -> bool:
    """Whether `version` (e.g. 1.35.0) meets `constraint` (e.g. `>= 1.25.0-0 < 1.36.0-0`)."""
    target = _parse(version)
    for alternative in constraint.split("||"):
        comparators = list(_COMPARATOR.finditer(alternative.replace(",", " ")))
        if comparators and all(
            _holds(m.group(1) or "", [m.group(2), m.group(3), m.group(4)], target) for m in comparators
        ):
            return True
    return False
