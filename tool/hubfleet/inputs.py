"""Load -> check -> model for a whole project: the only way later stages get a Cluster.

Every problem in every requested input is collected before anything fails, so a
person sees them all at once.
"""

from __future__ import annotations

from .errors import InputError, Problem
from .load import load_file, plain
from .model import Cluster, build_cluster
from .project import Project
from .rules import check_cluster_rules
from .schema_check import check_source


def load_cluster(project: Project, name: str) -> Cluster:
    """The validated model of clusters/<name>/, or InputError with every problem found."""
    return load_clusters(project, [name])[0]


def load_clusters(project: Project, names: list[str]) -> list[Cluster]:
    problems: list[Problem] = []
    clusters: list[Cluster] = []
    for name in names:
        try:
            clusters.append(_load_one(project, name))
        except InputError as error:
            problems.extend(error.problems or [Problem(name, 0, 0, "", error.message)])
    if problems:
        raise InputError(problems)
    return clusters


def _load_one(project: Project, name: str) -> Cluster:
    path = project.cluster_file(name)
    display = project.relative(path)
    if not path.is_file():
        known = ", ".join(project.cluster_names()) or "none"
        raise InputError([Problem(display, 0, 0, "", f"no such cluster '{name}' (clusters: {known})")])
    source = load_file(path, display)
    raw = plain(source.data)
    problems = check_source(source, "cluster", raw)
    if not problems:
        problems = check_cluster_rules(source, raw, name)
    if problems:
        raise InputError(problems)
    return build_cluster(raw, display)
