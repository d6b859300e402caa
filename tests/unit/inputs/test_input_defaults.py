"""The input format's defaults are stated twice on purpose and kept equal here: the schemas'
`default` keywords (what editors show and the README's tables quote) and the typed model (what
render uses). A default added to either without the other fails; so does prose that says one
default and a keyword that says another."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from hubfleet.inputs.model.auth import Auth, build_auth
from hubfleet.inputs.model.cluster import Cluster, Hub
from hubfleet.inputs.pipeline import Scope, load_project
from hubfleet.system.project import Project
from support.builders import DELETE, make_cluster

HUB_PYTHON = REPO / ".venv-hub" / "bin" / "python"


def schema_defaults(name: str) -> Iterator[tuple[str, Any, str]]:
    """Every `default` keyword of schemas/<name>.schema.json: (field path, value, description)."""

    def walk(node: Any, path: tuple[str, ...]) -> Iterator[tuple[str, Any, str]]:
        if isinstance(node, dict):
            # Under `properties`, keys are field names (a profile has a field called default).
            if "default" in node and path[-1:] != ("properties",):
                yield (
                    ".".join(p for p in path if p not in ("properties", "additionalProperties")),
                    node["default"],
                    node.get("description", ""),
                )
            for key, value in node.items():
                yield from walk(value, (*path, key))

    yield from walk(json.loads((REPO / "schemas" / f"{name}.schema.json").read_text()), ())


@pytest.fixture(scope="module")
def defaults_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cluster, Hub]:
    """A cluster and a hub that leave out every field with a default."""
    root = make_cluster(
        tmp_path_factory.mktemp("defaults"),
        hubs={"course": {}},
        flux__branch=DELETE,
        monitoring={},
        backups={"schedule": "daily", "keep": 7},
        **{"nodeGroups.extraUser": [{"name": "burst", "instanceType": "m6i.large", "maxSize": 2}]},
    )
    [cluster] = load_project(Project(root), Scope(("clusterA",), False))
    return cluster, cluster.hubs[0]


def auth_of(kind: str) -> Auth:
    """The model of the smallest `auth` block of each login type that has defaults."""
    blocks: dict[str, dict[str, Any]] = {
        "oidc": {"authorizeUrl": "https://id/a", "tokenUrl": "https://id/t", "userdataUrl": "https://id/u"},
        "cilogon": {"idps": {"https://idp.example.edu": {}}},
        "lti13": {"issuer": "https://lms", "authorizeUrl": "https://lms/a", "jwksUrl": "https://lms/j"},
        "lti11": {},
    }
    return build_auth({"type": kind, kind: blocks[kind]})


def ltiauthenticator_default() -> str:
    """LTI 1.1's user-name key when hubfleet sets none: ltiauthenticator's own default, read from
    the hub image's ltiauthenticator (the hub-side Python, `make hub-venv`)."""
    if not HUB_PYTHON.is_file():
        pytest.skip("the hub-side Python is not installed: run `make hub-venv`")
    code = "from ltiauthenticator.lti11.auth import LTI11Authenticator as A\n"
    code += "print(A.class_traits()['username_key'].default_value)"
    return subprocess.run(
        [str(HUB_PYTHON), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


Model = tuple[Cluster, Hub]
#: Each default, read from the typed model of input that leaves the field out.
READ: dict[str, Callable[[Model], Any]] = {
    "cluster:ingress.maxUploadSize": lambda m: m[0].max_upload_size,
    "cluster:urls": lambda m: m[0].urls,
    "cluster:tls.mode": lambda m: m[0].tls.mode,
    "cluster:tls.issuer": lambda m: m[0].tls.issuer,
    "cluster:flux.branch": lambda m: m[0].git_branch,
    "cluster:autoscaler.expander": lambda m: m[0].expander,
    "cluster:backups.time": lambda m: m[0].backups.time if m[0].backups else None,
    "cluster:monitoring.retention": lambda m: m[0].monitoring.retention if m[0].monitoring else None,
    "cluster:monitoring.storage": lambda m: m[0].monitoring.storage if m[0].monitoring else None,
    "cluster:$defs.extraNodeGroup.minSize": lambda m: (
        next(g for g in m[0].node_groups if g.name == "burst").min_size
    ),
    "hub:state": lambda m: m[1].state,
    "hub:drive.shared": lambda m: m[1].shared,
    "hub:auth.oidc.usernameClaim": lambda m: auth_of("oidc").oidc.username_claim,  # type: ignore[union-attr]
    "hub:auth.oidc.scopes": lambda m: list(auth_of("oidc").oidc.scopes),  # type: ignore[union-attr]
    "hub:auth.cilogon.idps.usernameClaim": lambda m: auth_of("cilogon").cilogon_idps[0].username_claim,
    "hub:auth.lti13.usernameKey": lambda m: auth_of("lti13").lti13.username_key,  # type: ignore[union-attr]
    "hub:auth.lti13.adminRoles": lambda m: list(auth_of("lti13").lti13.admin_roles),  # type: ignore[union-attr]
    "hub:auth.lti13.graderRoles": lambda m: list(auth_of("lti13").lti13.grader_roles),  # type: ignore[union-attr]
    # hubfleet sets nothing (the model holds None), so the authenticator's own default applies.
    "hub:auth.lti11.usernameKey": lambda m: auth_of("lti11").lti11_username_key or ltiauthenticator_default(),
    "hub:user.placeholders": lambda m: m[1].placeholders,
    "hub:user.localDatabases": lambda m: m[1].local_databases,
    "hub:expectedUsers": lambda m: m[1].expected_users,
    "hub:spawn.startTimeout": lambda m: m[1].spawn.start,
    "hub:spawn.httpTimeout": lambda m: m[1].spawn.http,
    "hub:culling.enabled": lambda m: m[1].culling.enabled,
    "hub:culling.timeout": lambda m: m[1].culling.timeout,
    "hub:culling.every": lambda m: m[1].culling.every,
    "hub:culling.maxAge": lambda m: m[1].culling.max_age,
    "hub:culling.kernels.idleTimeout": lambda m: m[1].culling.kernels.idle_timeout,
    "hub:culling.kernels.connected": lambda m: m[1].culling.kernels.connected,
}
STATED = [
    (f"{name}:{path}", value, text)
    for name in ("cluster", "hub")
    for path, value, text in schema_defaults(name)
]


def test_every_default_keyword_is_read_from_the_model() -> None:
    assert sorted(key for key, _, _ in STATED) == sorted(READ)


@pytest.mark.parametrize(("key", "value", "description"), STATED, ids=[key for key, _, _ in STATED])
def test_the_model_holds_the_schemas_default(
    defaults_model: Model, key: str, value: Any, description: str
) -> None:
    assert READ[key](defaults_model) == value


@pytest.mark.parametrize(("key", "value", "description"), STATED, ids=[key for key, _, _ in STATED])
def test_the_description_states_the_same_default(key: str, value: Any, description: str) -> None:
    stated = re.search(r"Default (.*?)(?:\.(?:\s|$)|[;(]|: |$)", description)
    assert stated is not None, f"{key}: the description does not say its default"
    if isinstance(value, list):
        shown = {", ".join(value), f"[{', '.join(value)}]"}
    else:
        shown = {json.dumps(value).strip('"')}
    assert stated.group(1).strip() in shown, description


def test_the_schema_keywords_are_valid_values(tmp_path: Path) -> None:
    """Each default passes its own field's schema (jsonschema ignores `default`, so a wrong one
    would otherwise go unnoticed)."""
    from jsonschema import Draft202012Validator

    for name in ("cluster", "hub"):
        schema = json.loads((REPO / "schemas" / f"{name}.schema.json").read_text())

        def visit(node: Any, under_properties: bool = False) -> None:
            if isinstance(node, dict):
                if "default" in node and not under_properties:
                    rest = {k: v for k, v in node.items() if k != "default"}
                    Draft202012Validator(rest).validate(node["default"])
                for key, value in node.items():
                    visit(value, key == "properties")

        visit(schema)
