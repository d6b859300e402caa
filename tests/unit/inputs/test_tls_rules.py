"""`tls` and `hostedZone` in cluster.yaml: what acme needs is asked for at the line that needs it,
all at once, before anything is rendered (inputs/rules/tls.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from support.builders import make_cluster, position_of

FILE = "clusters/clusterA/cluster.yaml"
ZONE = {"id": "Z04417231ABCDEFGHIJKL", "name": "hubs.example.org"}
ACME = {"mode": "acme", "email": "hub-ops@example.edu"}


def refused(root: Path, run: Callable[..., Result]) -> list[str]:
    result = run(root, "render", "clusterA")
    assert result.exit_code == 2, result.output
    assert not (root / "gitops").exists()
    return result.output.splitlines()


def at(root: Path, field: str) -> str:
    line, column = position_of(root / FILE, field)
    return f"{FILE}:{line}:{column}: {field}"


def test_acme_without_a_zone_is_refused_at_the_mode(tmp_path: Path, run: Callable[..., Result]) -> None:
    """The contact is optional (Let's Encrypt sends no expiry emails since June 2025); the zone is not."""
    root = make_cluster(tmp_path, tls={"mode": "acme"})
    assert refused(root, run) == [
        f"{at(root, 'tls.mode')}: acme proves the domain through Route 53: add hostedZone: {{id: Z..., name: "
        "<zone>} (the hosted zone that holds the domain), or use mode: sealed",
        "1 problem in the input; nothing was written",
    ]
    (root / FILE).write_text(
        (root / FILE).read_text() + "hostedZone: {id: Z0AB12, name: hubs.example.org.}\n"
    )
    assert run(root, "render", "clusterA").exit_code == 0  # no email, and the zone as Route 53 prints it


def test_a_domain_outside_the_zone_is_refused_at_the_zone(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, tls=ACME, hostedZone={**ZONE, "name": "example.edu"})
    assert refused(root, run) == [
        f"{at(root, 'hostedZone.name')}: clustera.hubs.example.org (domain) is not in hosted zone example.edu: "
        "give the zone that holds the domain (its name is the domain or ends with .<that name>)",
        "1 problem in the input; nothing was written",
    ]


def test_path_urls_at_the_zones_apex_is_refused(tmp_path: Path, run: Callable[..., Result]) -> None:
    """A CNAME cannot sit at a zone's apex, and urls: path needs one at the domain."""
    root = make_cluster(tmp_path, hostedZone={**ZONE, "name": "clustera.hubs.example.org"})
    assert refused(root, run) == [
        f"{at(root, 'hostedZone.name')}: urls: path serves every hub at clustera.hubs.example.org, the apex of "
        "the hosted zone, where DNS allows no CNAME to the load balancer: use urls: host (records under the "
        "domain) or the zone above the domain",
        "1 problem in the input; nothing was written",
    ]
    # With a host per hub the records are under the domain, so the domain's own zone is right.
    (root / FILE).write_text((root / FILE).read_text() + "urls: host\n")
    assert run(root, "render", "clusterA").exit_code == 0


@pytest.mark.parametrize("key", ["email", "issuer"])
def test_acme_settings_on_a_sealed_certificate_are_refused(
    tmp_path: Path, run: Callable[..., Result], key: str
) -> None:
    value: dict[str, Any] = {"email": "a@b.edu", "issuer": "staging"}
    root = make_cluster(tmp_path, tls={"mode": "sealed", key: value[key]})
    assert refused(root, run) == [
        f"{at(root, f'tls.{key}')}: is only for mode: acme (this cluster's certificate is sealed); remove it",
        "1 problem in the input; nothing was written",
    ]


def test_a_zone_id_in_the_wrong_form_is_a_schema_error(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_cluster(tmp_path, hostedZone={**ZONE, "id": "/hostedzone/Z044"})
    (line,) = refused(root, run)[:-1]
    assert line.startswith(f"{at(root, 'hostedZone.id')}: '/hostedzone/Z044' is not a valid hosted zone ID")
