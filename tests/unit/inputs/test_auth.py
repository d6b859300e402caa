"""Institutional login: the rules that keep hubs from opening by accident, `seal auth`, the
validate audit of login secrets, `hub show`, and render's warning when a login changes.

What each type renders is pinned by the auth-types golden case; what the hub image makes
of it is in test_hub_side.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from kubesealpy import SealedSecret, Unsealer

from conftest import load_docs
from hubfleet.cli import main
from hubfleet.core.auth import AUTH_SECRET
from support.builders import DELETE, make_cluster, position_of
from support.sealing import cli, make_project, sealing_pair

HUB = "clusters/clusterA/hubs/course.yaml"
GITHUB = {
    "type": "github",
    "clientId": "Iv1.abc",
    "admins": ["prof-lee"],
    "allowed": {"organizations": ["osu"]},
}
PLATFORM = {
    "issuer": "https://canvas.instructure.com",
    "authorizeUrl": "https://sso.canvaslms.com/api/lti/authorize_redirect",
    "jwksUrl": "https://sso.canvaslms.com/api/lti/security/jwks",
}
DEPLOYED = {**PLATFORM, "deploymentIds": ["1:course-deployment"]}


def problems_of(root: Path) -> list[str]:
    result = cli(root, "render", "clusterA")
    assert result.exit_code == 2, result.output
    return result.output.splitlines()[:-1]


def at(root: Path, field: str, message: str, where: str | None = None) -> str:
    line, column = position_of(root / HUB, where or field)
    return f"{HUB}:{line}:{column}: {field}: {message}"


@pytest.mark.parametrize(
    ("auth", "field", "where", "message"),
    [
        (
            {k: v for k, v in GITHUB.items() if k != "clientId"},
            "auth.clientId",
            "auth",
            "type github needs clientId, the client id registered for this hub (`hubfleet hub show CLUSTER HUB` "
            "prints the URLs to register)",
        ),
        (
            {k: v for k, v in GITHUB.items() if k != "allowed"},
            "auth.allowed",
            "auth",
            "type github would let in every GitHub account: name who may log in (allowed.organizations or "
            "allowed.users), or set allowed.everyone: true to mean it",
        ),
        (
            {**GITHUB, "allowed": {"groups": ["a"]}},
            "auth.allowed.groups",
            None,
            "type github has no groups rule (it understands: organizations, users, everyone)",
        ),
        (
            {"type": "oidc", "clientId": "x", "allowed": {"users": ["a"]}},
            "auth.oidc",
            "auth",
            "type oidc needs an oidc block (authorizeUrl, tokenUrl, userdataUrl)",
        ),
        (
            {**GITHUB, "lti13": PLATFORM},
            "auth.lti13",
            None,
            "only used with type lti13, and type is github; remove it",
        ),
        (
            {"type": "lti13", "clientId": "1", "allowed": {"everyone": True}, "lti13": PLATFORM},
            "auth.lti13",
            None,
            "with allowed.everyone, name the deployments whose launches this hub accepts (lti13.deploymentIds): "
            "ltiauthenticator checks a launch's signature, issuer, audience and nonce, not its deployment or "
            "course, so every course of the LMS account that holds the developer key could log in",
        ),
        (
            {"type": "native", "admins": DELETE},
            "auth.admins",
            "auth",
            "type native needs at least one admin: admins approve every sign-up; their accounts are made at hub "
            "start from passwords sealed with `hubfleet seal auth`",
        ),
        (
            {"type": "native", "admins": ["a"], "clientId": "x"},
            "auth.clientId",
            None,
            "type native takes no clientId; remove it",
        ),
        (
            {"type": "dummy", "admins": DELETE, "allowed": {"users": ["demo"]}},
            "auth.type",
            None,
            "dummy lets anyone who knows an allowed name log in with any password; set insecure: true in this "
            "hub's own file to accept that (demos and tests only)",
        ),
        (
            {"type": "dummy", "insecure": True, "allowed": {"users": ["demo"]}},
            "auth.admins",
            None,
            "type dummy takes no admins: anyone could log in as one with any password",
        ),
        (
            {"type": "dummy", "admins": DELETE, "insecure": True, "allowed": {"everyone": True}},
            "auth.allowed.everyone",
            None,
            "refused with type dummy: anyone on the internet could log in with any password",
        ),
        (
            {"type": "dummy", "admins": DELETE, "insecure": True},
            "auth.allowed",
            "auth",
            "type dummy would let in anyone, with any password: name who may log in (allowed.users)",
        ),
        (
            {
                "type": "google",
                "clientId": "1-a.apps.googleusercontent.com",
                "allowed": {"domains": ["example.edu"], "users": ["guest@gmail.com"]},
            },
            "auth.allowed.users",
            None,
            "with allowed.domains, Google refuses every account outside those domains, named users included: "
            "list the users' domains, or drop allowed.domains",
        ),
        (
            {"type": "shared-password", "insecure": True},
            "auth.insecure",
            None,
            "only used with type dummy; remove it",
        ),
        (
            {
                "type": "oidc",
                "clientId": "x",
                "allowed": {"groups": ["students"]},
                "oidc": {
                    "authorizeUrl": "https://a.edu/a",
                    "tokenUrl": "https://a.edu/t",
                    "userdataUrl": "https://a.edu/u",
                },
            },
            "auth.allowed.groups",
            None,
            "needs oidc.groupsClaim, the claim that lists a user's groups",
        ),
    ],
)
def test_auth_rules(
    tmp_path: Path, auth: dict[str, Any], field: str, where: str | None, message: str
) -> None:
    root = make_cluster(tmp_path, hubs={"course": {"auth": auth}})
    assert at(root, field, message, where) in problems_of(root)


@pytest.mark.parametrize(
    ("auth", "field", "message"),
    [
        (
            {**GITHUB, "clientId": "has space"},
            "auth.clientId",
            "'has space' is not a valid client id (The OAuth client id the provider issued for this hub (not "
            "secret); for lti13, the LMS developer key's client id.)",
        ),
        (
            {**GITHUB, "allowed": {"organizations": ["bad org!"]}},
            "auth.allowed.organizations[0]",
            "'bad org!' is not a valid GitHub organisation or org:team",
        ),
        (
            {"type": "cilogon", "clientId": "c", "cilogon": {"idps": {"shibboleth": {}}}},
            "auth.cilogon.idps",
            "'shibboleth' is not a valid IdP entity id (https://... or urn:...)",
        ),
        (
            {"type": "lti13", "clientId": "1", "lti13": {**PLATFORM, "issuer": "http://canvas.example.edu"}},
            "auth.lti13.issuer",
            "'http://canvas.example.edu' is not a valid https URL (The platform's issuer, e.g. "
            "https://canvas.instructure.com.)",
        ),
        (
            {"type": "lti13", "clientId": "1", "lti13": {**PLATFORM, "adminRoles": ["Professor"]}},
            "auth.lti13.adminRoles[0]",
            "'Professor' is not one of: Administrator, ContentDeveloper, Instructor, Mentor, TeachingAssistant",
        ),
    ],
)
def test_auth_schema(tmp_path: Path, auth: dict[str, Any], field: str, message: str) -> None:
    root = make_cluster(tmp_path, hubs={"course": {"auth": auth}})
    assert at(root, field, message) in problems_of(root)


def test_a_hub_is_opened_to_everyone_only_by_its_own_file(tmp_path: Path) -> None:
    root = make_cluster(
        tmp_path,
        hubDefaults={"auth": {"allowed": {"everyone": True}}},
        hubs={"course": {"auth": {"type": "lti13", "clientId": "1", "admins": DELETE, "lti13": DEPLOYED}}},
    )
    assert problems_of(root) == [
        at(
            root,
            "auth.allowed.everyone",
            "comes from hubDefaults; a hub is opened to everyone only by its own file",
            "auth",
        )
    ]


# seal auth ----------------------------------------------------------------------------------------


def auth_project(tmp_path: Path, auth: dict[str, Any]) -> Path:
    root = make_project(tmp_path)
    hubs = root / "clusters/clusterA/hubs"
    hubs.mkdir()
    (hubs / "course.yaml").write_text(json.dumps({"name": "course", "drive": {"size": "10Gi"}, "auth": auth}))
    return root


SEALED_AUTH = "clusters/clusterA/secrets/auth.course.sealedsecret.yaml"


def unsealed(root: Path) -> dict[str, bytes]:
    """The values of the hub's sealed login Secret, decrypted by kubesealpy (an independent
    implementation of the controller's format) with the session's sealing key."""
    secret = Unsealer.from_private_key(sealing_pair()[0]).unseal(
        SealedSecret.from_yaml((root / SEALED_AUTH).read_text())
    )
    assert (secret.metadata.namespace, secret.metadata.name) == ("course", AUTH_SECRET)
    decoded: dict[str, bytes] = secret.get_data_decoded()
    return decoded


def test_seal_auth_seals_each_key_and_keeps_the_others(tmp_path: Path) -> None:
    root = auth_project(tmp_path, {"type": "shared-password", "admins": ["lead"]})
    first = cli(root, "seal", "auth", "clusterA", "course", input=b"workshop-pass\n")
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        f"sealed user-password for course/hubfleet-auth into {SEALED_AUTH}",
        "still to seal: admin-password",
        "run `hubfleet render clusterA` and commit",
    ]
    password = tmp_path / "admin.txt"
    password.write_bytes(b"a" * 32)
    second = cli(root, "seal", "auth", "clusterA", "course", "--admin-password", "--from-file", str(password))
    assert second.exit_code == 0, second.output
    assert "kept, sealed before: user-password" in second.output.splitlines()
    assert unsealed(root) == {"admin-password": b"a" * 32, "user-password": b"workshop-pass"}
    assert "workshop-pass" not in first.output + second.output
    (manifest,) = load_docs(root / SEALED_AUTH)
    assert manifest["spec"]["template"] == {
        "metadata": {
            "name": AUTH_SECRET,
            "namespace": "course",
            "labels": {"app.kubernetes.io/managed-by": "hubfleet"},
        },
        "type": "Opaque",
    }


def test_render_puts_the_sealed_login_in_the_hub_folder(tmp_path: Path) -> None:
    root = auth_project(tmp_path, GITHUB)
    assert cli(root, "seal", "auth", "clusterA", "course", input=b"client-secret-value").exit_code == 0
    assert cli(root, "render", "clusterA").exit_code == 0
    folder = root / "gitops/hubs/clusterA/course"
    (kustomization,) = load_docs(folder / "kustomization.yaml")
    assert "auth.course.sealedsecret.yaml" in kustomization["resources"]
    (release,) = load_docs(folder / "jupyterhub.yaml")
    assert "client-secret-value" not in (folder / "jupyterhub.yaml").read_text()
    assert release["spec"]["valuesFrom"][0]["valuesKey"] == "client-secret"
    assert not list((root / "gitops/infrastructure/clusterA/configs").glob("auth.*"))


def test_native_seals_one_initial_password_per_admin(tmp_path: Path) -> None:
    root = auth_project(tmp_path, {"type": "native", "admins": ["prof", "ta@x.edu"]})
    missing = cli(root, "seal", "auth", "clusterA", "course", input=b"long-enough")
    assert (missing.exit_code, missing.output) == (
        2,
        "--admin: type native seals one initial password per admin; name one (prof, ta@x.edu)\n",
    )
    assert (
        cli(root, "seal", "auth", "clusterA", "course", "--admin", "ta@x.edu", input=b"long-enough").exit_code
        == 0
    )
    assert unsealed(root) == {"initial-password.ta_at_x.edu": b"long-enough"}
    stranger = cli(root, "seal", "auth", "clusterA", "course", "--admin", "eve", input=b"long-enough")
    assert stranger.output == "--admin: 'eve' is not an admin of hub course (admins: prof, ta@x.edu)\n"


@pytest.mark.parametrize(
    ("auth", "args", "value", "message"),
    [
        (
            {"type": "lti13", "clientId": "1", "allowed": {"everyone": True}, "lti13": DEPLOYED},
            (),
            b"x",
            "HUB: hub course logs in with lti13, which needs no sealed secret",
        ),
        (
            {"type": "shared-password"},
            (),
            b"short\n",
            "the value for user-password has 5 characters; it needs at least 8",
        ),
        (
            {"type": "shared-password"},
            (),
            b"\n",
            "the value for user-password is empty; give it in the file or on standard input",
        ),
        (
            {"type": "shared-password"},
            ("--admin-password",),
            b"x" * 40,
            "--admin-password: only a shared-password hub with admins has an admin password; hub course is "
            "shared-password without admins",
        ),
        (
            GITHUB,
            ("--admin", "prof-lee"),
            b"x",
            "--admin: only type native takes --admin; hub course is github",
        ),
    ],
)
def test_seal_auth_refuses(
    tmp_path: Path, auth: dict[str, Any], args: tuple[str, ...], value: bytes, message: str
) -> None:
    root = auth_project(tmp_path, auth)
    result = cli(root, "seal", "auth", "clusterA", "course", *args, input=value)
    assert (result.exit_code, result.output) == (2, message + "\n")
    assert not (root / SEALED_AUTH).exists()


# validate's audit --------------------------------------------------------------------------------


def audit(root: Path) -> list[str]:
    result = cli(root, "validate", "clusterA", "--skip", "flux", "--skip", "charts", "--skip", "objects")
    return [line for line in result.output.splitlines() if line.startswith(("clusters/", "gitops/hubs"))]


def test_a_login_secret_that_is_not_sealed_is_a_finding_with_the_command_that_seals_it(
    tmp_path: Path,
) -> None:
    root = auth_project(tmp_path, {"type": "shared-password", "admins": ["lead"]})
    assert cli(root, "render", "clusterA").exit_code == 0
    assert (
        f"{HUB}: auth: the shared-password login needs user-password, admin-password sealed in "
        "course/hubfleet-auth, and they are not; seal user-password: `hubfleet seal auth clusterA course`; "
        "admin-password: `hubfleet seal auth clusterA course --admin-password`"
    ) in audit(root)


def test_a_login_secret_sealed_for_another_namespace_is_a_finding(tmp_path: Path) -> None:
    root = auth_project(tmp_path, GITHUB)
    assert cli(root, "seal", "auth", "clusterA", "course", input=b"client-secret-value").exit_code == 0
    sealed = root / SEALED_AUTH
    sealed.write_text(sealed.read_text().replace("namespace: course", "namespace: other"))
    refused = cli(root, "render", "clusterA")  # it would be applied with the infrastructure, and fail there
    assert refused.exit_code == 2
    assert "metadata.namespace: sealed for namespace other, which nothing of clusterA makes" in refused.stderr
    found = audit(root)
    assert (
        f"{SEALED_AUTH}: sealed for other/hubfleet-auth, not course/hubfleet-auth: hub course cannot read it; "
        "seal its values again with `hubfleet seal auth clusterA course`"
    ) in found
    assert (
        f"{HUB}: auth: the github login needs client-secret sealed in course/hubfleet-auth, and it is not; "
        "seal client-secret: `hubfleet seal auth clusterA course`"
    ) in found


def test_a_login_secret_of_no_hub_is_a_warning(tmp_path: Path) -> None:
    root = auth_project(tmp_path, GITHUB)
    assert cli(root, "seal", "auth", "clusterA", "course", input=b"client-secret-value").exit_code == 0
    (root / SEALED_AUTH).rename(root / "clusters/clusterA/secrets/auth.gone.sealedsecret.yaml")
    assert cli(root, "render", "clusterA").exit_code == 0
    assert (
        "clusters/clusterA/secrets/auth.gone.sealedsecret.yaml: warning: cluster clusterA has no hub named in this "
        "file's name; a login secret is only read by its hub: remove the file, or rename it after its hub"
    ) in audit(root)


def test_a_dummy_hub_is_a_warning_on_every_run(tmp_path: Path) -> None:
    root = auth_project(tmp_path, {"type": "dummy", "insecure": True, "allowed": {"users": ["demo"]}})
    assert cli(root, "render", "clusterA").exit_code == 0
    assert (
        f"{HUB}: warning: hub course uses the dummy login (insecure: true): anyone who knows an allowed name "
        "logs in with any password"
    ) in audit(root)


# hub show and render's warning -------------------------------------------------------------------


def test_hub_show_prints_what_to_register(tmp_path: Path) -> None:
    root = auth_project(
        tmp_path,
        {"type": "lti13", "clientId": "10000000000042", "allowed": {"everyone": True}, "lti13": DEPLOYED},
    )
    result = cli(root, "hub", "show", "clusterA", "course")
    base = "https://clusterA.hubs.example.org/course/hub/lti13".lower()
    assert result.output.splitlines() == [
        "hub course of cluster clusterA (active): https://clustera.hubs.example.org/course/",
        "login: lti13, launches from an LMS course (LTI 1.3); client id 10000000000042",
        "admins: anyone launching with the LTI role Instructor",  # a course role makes admins
        "allowed: everyone",
        "register with the provider:",
        f"  OpenID Connect login initiation URL  {base}/oauth_login",
        f"  Redirect URI and target link URI     {base}/oauth_callback",
        f"  Tool configuration (JSON)            {base}/config",
        "  Tool public key set (JWKS)           none: the hub signs nothing (ltiauthenticator 1.6.3); it checks "
        "launches with the platform's key set, https://sso.canvaslms.com/api/lti/security/jwks",
    ]


def test_hub_show_as_json_says_what_is_sealed(tmp_path: Path) -> None:
    root = auth_project(tmp_path, GITHUB)
    assert cli(root, "seal", "auth", "clusterA", "course", input=b"client-secret-value").exit_code == 0
    shown = json.loads(cli(root, "hub", "show", "clusterA", "course", "--format", "json").output)
    assert shown["register"] == {
        "OAuth callback (redirect) URL": "https://clustera.hubs.example.org/course/hub/oauth_callback"
    }
    assert shown["secret"] == {
        "file": SEALED_AUTH,
        "name": "course/hubfleet-auth",
        "keys": {"client-secret": "sealed"},
    }
    assert shown["allowed"] == {"organizations": ["osu"]}


def test_render_warns_when_a_hub_changes_its_login(tmp_path: Path) -> None:
    root = auth_project(tmp_path, {"type": "native", "admins": ["prof-lee"]})
    assert cli(root, "render", "clusterA").exit_code == 0
    (root / HUB).write_text(json.dumps({"name": "course", "drive": {"size": "10Gi"}, "auth": GITHUB}))
    result = CliRunner().invoke(main, ["--root", str(root), "render", "clusterA"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "warning: gitops/hubs/clusterA/course/jupyterhub.yaml: the login changes from native to github; users "
        "get new names and empty homes (their files stay on the drive under the old names)"
    ]


def test_a_native_hub_rendered_under_the_old_class_name_is_no_login_change(tmp_path: Path) -> None:
    root = auth_project(tmp_path, {"type": "native", "admins": ["prof-lee"]})
    assert cli(root, "render", "clusterA").exit_code == 0
    release = root / "gitops/hubs/clusterA/course/jupyterhub.yaml"
    # What hubfleet rendered for native hubs before: the class path, and no guard.
    release.write_text(
        release.read_text().replace(
            "authenticator_class: native", "authenticator_class: nativeauthenticator.NativeAuthenticator"
        )
    )
    result = CliRunner().invoke(main, ["--root", str(root), "render", "clusterA"], catch_exceptions=False)
    assert result.exit_code == 0 and result.stderr == ""
