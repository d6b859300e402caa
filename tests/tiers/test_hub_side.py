"""The rendered login, read by the real packages of the hub image (tests/hub_side/, .venv-hub/).

hubfleet cannot run a hub, but it can hand what it renders to the code that will read it:
JupyterHub 5.5.0, oauthenticator 17.4.0, ltiauthenticator 1.6.3 and nativeauthenticator
1.3.0, the versions of z2jh 4.4.0's hub image. Every option must be recognised, read as
meant, and the two guards hubfleet adds must do what they say.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, require
from hubfleet.core.auth import INITIAL_PASSWORD_DIR, LTI_ROLES_CLAIM, initial_password_key
from hubfleet.inputs.model.cluster import build_cluster, build_hub
from hubfleet.render.auth import auth_values
from hubfleet.render.hub import jupyterhub_values
from support.builders import minimal_cluster

HUB_PYTHON = REPO / ".venv-hub" / "bin" / "python"
SCRIPT = Path(__file__).resolve().parents[1] / "hub_side" / "try_login.py"
PLATFORM = {
    "issuer": "https://canvas.instructure.com",
    "authorizeUrl": "https://sso.canvaslms.com/api/lti/authorize_redirect",
    "jwksUrl": "https://sso.canvaslms.com/api/lti/security/jwks",
}
OIDC = {
    "authorizeUrl": "https://login.example.edu/authorize",
    "tokenUrl": "https://login.example.edu/token",
    "userdataUrl": "https://login.example.edu/userinfo",
    "groupsClaim": "groups",
    "adminGroups": ["jupyter-admins"],
}
CILOGON = {
    "idps": {
        "https://login.example.edu/idp/shibboleth": {"stripDomain": "example.edu", "domains": ["example.edu"]}
    }
}


def request_for(
    auth: dict[str, Any], profiles: list[dict[str, Any]] | None = None, **request: Any
) -> dict[str, Any]:
    """What try_login.py is asked about a hub with `auth` (and `profiles`): its rendered login, with
    a stand-in for each sealed value at the targetPath valuesFrom would fill."""
    cluster = build_cluster(minimal_cluster(), "clusters/clusterA/cluster.yaml")
    raw = {
        "name": "course",
        "drive": {"size": "10Gi"},
        "auth": auth,
        **({"profiles": profiles} if profiles else {}),
    }
    hub = build_hub(raw, "clusters/clusterA/hubs/course.yaml")
    login = auth_values(cluster, hub)
    values = jupyterhub_values(cluster, hub, login)
    config = json.loads(json.dumps(values["hub"]["config"]))
    for entry in login.values_from:
        *parents, last = entry["targetPath"].split(".")[2:]
        section = config.setdefault(parents[0], {})
        for part in parents[1:]:
            section = section.setdefault(part, {})
        section[last] = f"sealed-{entry['valuesKey']}-" + "x" * 32
    return {
        "hub_config": config,
        "extra_config": values["hub"].get("extraConfig", {}),
        "mount": INITIAL_PASSWORD_DIR,
        **request,
    }


def try_logins(requests: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every request's report, from one process of the hub image's packages."""
    require(HUB_PYTHON.exists(), f"{HUB_PYTHON} is missing: run `make hub-venv`")
    done = subprocess.run(
        [str(HUB_PYTHON), str(SCRIPT)],
        input=json.dumps(list(requests.values())),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(zip(requests, json.loads(done.stdout), strict=True))


TYPES: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {
    auth["type"]: (auth, cls, read)
    for auth, cls, read in [
        (
            {
                "type": "github",
                "clientId": "Iv1.abc",
                "admins": ["prof-lee"],
                "allowed": {"organizations": ["osu", "osu:ta"]},
            },
            "GitHubOAuthenticator",
            {
                "GitHubOAuthenticator.allowed_organizations": ["osu", "osu:ta"],
                "GitHubOAuthenticator.scope": ["read:org"],
                "GitHubOAuthenticator.client_id": "Iv1.abc",
                "GitHubOAuthenticator.oauth_callback_url": "https://clustera.hubs.example.org/course/hub/oauth_callback",
                "Authenticator.allow_all": False,
                "Authenticator.admin_users": ["prof-lee"],
            },
        ),
        (
            {
                "type": "google",
                "clientId": "1-a.apps.googleusercontent.com",
                "allowed": {"domains": ["example.edu"]},
            },
            "GoogleOAuthenticator",
            {"GoogleOAuthenticator.hosted_domain": ["example.edu"], "Authenticator.allow_all": True},
        ),
        (
            {"type": "cilogon", "clientId": "cilogon:/client_id/1", "cilogon": CILOGON},
            "CILogonOAuthenticator",
            {
                "CILogonOAuthenticator.idps": {
                    "https://login.example.edu/idp/shibboleth": {
                        "username_derivation": {
                            "username_claim": "email",
                            "action": "strip_idp_domain",
                            "domain": "example.edu",
                        },
                        "allowed_domains": ["example.edu"],
                    }
                },
                "Authenticator.allow_all": False,
            },
        ),
        (
            {"type": "oidc", "clientId": "jupyter", "oidc": OIDC, "allowed": {"groups": ["students"]}},
            "GenericOAuthenticator",
            {
                "GenericOAuthenticator.allowed_groups": ["students"],
                "GenericOAuthenticator.admin_groups": ["jupyter-admins"],
                "GenericOAuthenticator.manage_groups": True,
                "GenericOAuthenticator.auth_state_groups_key": "oauth_user.groups",
                "GenericOAuthenticator.username_claim": "preferred_username",
                "GenericOAuthenticator.scope": ["openid", "email", "profile"],
            },
        ),
        (
            {"type": "lti11", "lti11": {"consumerKey": "canvas-course"}, "allowed": {"everyone": True}},
            "LTI11Authenticator",
            {"Authenticator.allow_all": True},
        ),
        (
            {"type": "shared-password", "admins": ["lab-admin"]},
            "SharedPasswordAuthenticator",
            {"Authenticator.allow_all": True, "Authenticator.admin_users": ["lab-admin"]},
        ),
        (
            {"type": "dummy", "insecure": True, "allowed": {"users": ["demo-1", "demo-2"]}},
            "DummyAuthenticator",
            {"Authenticator.allow_all": False, "Authenticator.allowed_users": ["demo-1", "demo-2"]},
        ),
    ]
}
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
NATIVE_ADMINS = ["prof-kim", "ta.lee@example.org"]
NATIVE_PASSWORDS = {"prof-kim": "initial-password-1", "ta.lee@example.org": "initial-password-2"}
LAUNCHES = {
    "prof@example.edu": [f"{MEMBERSHIP}#Instructor"],
    "ta@example.edu": [f"{MEMBERSHIP}/Instructor#TeachingAssistant"],
    "student@example.edu": [f"{MEMBERSHIP}#Learner"],
    "dean@example.edu": [],
    # An instructor somewhere in the institution is no admin of this course.
    "staff@example.edu": ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"],
}
GATED_PROFILES = [
    {"name": "small", "default": True, "nodeGroup": "user"},
    {"name": "gpu", "nodeGroup": "user", "groups": ["osu:gpu-users", "gpu-users"]},
]
#: What GitHub's /user/teams answers (the fields the groups are made of).
GITHUB_TEAMS = [
    {"slug": "gpu-users", "name": "GPU users", "organization": {"login": "osu"}},
    {"slug": "ta", "name": "TAs", "organization": {"login": "osu"}},
]
LTI = "https://purl.imsglobal.org/spec/lti/claim"
DEPLOYMENT, COURSE = "231:4e0d5ba1b8c5f2e3", "4dde05e8ca1973bcca9b"
#: What every launch of the course's link carries (LTI 1.3 core's required claims).
COMMON_CLAIMS = {
    f"{LTI}/version": "1.3.0",
    f"{LTI}/message_type": "LtiResourceLinkRequest",
    f"{LTI}/target_link_uri": "https://clustera.hubs.example.org/course/hub/lti13/oauth_callback",
    f"{LTI}/resource_link": {"id": "link-1"},
    f"{LTI}/deployment_id": DEPLOYMENT,
    f"{LTI}/context": {"id": COURSE, "label": "BIO 150"},
}


def launch(email: str, *roles: str, **claims: Any) -> dict[str, Any]:
    return {"claims": {"email": email, LTI_ROLES_CLAIM: [f"{MEMBERSHIP}{role}" for role in roles], **claims}}


SIGNED_LAUNCHES = {
    "student": launch("student@example.edu", "#Learner"),
    "instructor": launch("prof@example.edu", "#Instructor"),
    "ta": launch("ta@example.edu", "/Instructor#TeachingAssistant"),
    # As LTI asks platforms to send a sub-role: with its principal role. Still no instructor.
    "ta with principal": launch("ta2@example.edu", "#Instructor", "/Instructor#TeachingAssistant"),
    # The same developer key installed in another course or account: signed, and refused.
    "other deployment": launch(
        "student@example.edu", "#Learner", **{f"{LTI}/deployment_id": "999:elsewhere"}
    ),
    "other course": launch("student@example.edu", "#Learner", **{f"{LTI}/context": {"id": "another-course"}}),
    "forged": {**launch("prof@example.edu", "#Instructor"), "signed_by": "stranger"},
}
#: nativeauthenticator 1.3.0 itself reads JupyterHub's shared database session, which JupyterHub
#: 5 warns about; the guard uses the same session, as the class it extends does.
SHARED_SESSION = "The shared database session at Authenticator.db is deprecated"


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    requests = {name: request_for(auth) for name, (auth, _, _) in TYPES.items()}
    requests["native"] = request_for(
        {"type": "native", "admins": NATIVE_ADMINS},
        scenario="native",
        native={"admins": NATIVE_ADMINS, "passwords": NATIVE_PASSWORDS},
        secret_files={initial_password_key(name): value for name, value in NATIVE_PASSWORDS.items()},
    )
    requests["lti13"] = request_for(
        {
            "type": "lti13",
            "clientId": "10000000000042",
            "admins": ["dean@example.edu"],
            "allowed": {"everyone": True},
            "lti13": {**PLATFORM, "adminRoles": ["Instructor", "TeachingAssistant"]},
        },
        scenario="lti13",
        lti13={"claim": LTI_ROLES_CLAIM, "launches": LAUNCHES},
    )
    requests["github_groups"] = request_for(
        TYPES["github"][0],
        GATED_PROFILES,
        scenario="groups",
        groups={"auth_state": {"teams": GITHUB_TEAMS}},
    )
    requests["oidc_groups"] = request_for(
        TYPES["oidc"][0],
        GATED_PROFILES,
        scenario="groups",
        groups={"auth_state": {"oauth_user": {"groups": ["students", "gpu-users"]}}},
    )
    requests["lti13_launch"] = request_for(
        {
            "type": "lti13",
            "clientId": "10000000000042",
            "allowed": {"everyone": True},
            "lti13": {**PLATFORM, "deploymentIds": [DEPLOYMENT], "contextIds": [COURSE]},
        },
        scenario="lti13_launch",
        lti13_launch={"common": COMMON_CLAIMS, "launches": SIGNED_LAUNCHES},
    )
    return try_logins(requests)


@pytest.mark.parametrize("auth_type", sorted(TYPES))
def test_each_type_is_read_as_meant(reports: dict[str, dict[str, Any]], auth_type: str) -> None:
    _, cls, read = TYPES[auth_type]
    report = reports[auth_type]
    assert report["class"] == cls
    assert report["warnings"] == []
    assert {key: report["read"][key] for key in read} == read


def test_secret_values_reach_the_class_through_their_target_paths(reports: dict[str, dict[str, Any]]) -> None:
    shared = reports["shared-password"]["read"]
    assert shared["SharedPasswordAuthenticator.user_password"].startswith("sealed-user-password-")
    assert shared["SharedPasswordAuthenticator.admin_password"].startswith("sealed-admin-password-")
    consumers = reports["lti11"]["read"]["LTI11Authenticator.consumers"]
    assert list(consumers) == ["canvas-course"] and consumers["canvas-course"].startswith(
        "sealed-consumer-secret-"
    )


def test_native_admins_are_made_at_start_and_their_names_cannot_be_signed_up(
    reports: dict[str, dict[str, Any]],
) -> None:
    report = reports["native"]
    assert report["class"] == "HubfleetNativeAuthenticator" and "NativeAuthenticator" in report["bases"]
    assert [w for w in report["warnings"] if SHARED_SESSION not in w] == []
    for admin in NATIVE_ADMINS:
        assert report["native"][admin] == {
            "made": True,
            "rows": 1,
            "login": admin,
            "wrong_password": None,
            "signup_taken": False,
        }
    # Anyone else may sign up, and waits for an admin's approval.
    assert report["native"]["student"] == {
        "signed_up": True,
        "authorized": False,
        "login_before_approval": None,
    }


def test_lti13_admin_rights_follow_the_course_role_at_each_launch(reports: dict[str, dict[str, Any]]) -> None:
    report = reports["lti13"]
    assert report["class"] == "LTI13Authenticator" and report["warnings"] == []
    assert report["read"]["LTI13Authenticator.client_id"] == ["10000000000042"]
    assert report["read"]["LTI13Authenticator.jwks_endpoint"] == PLATFORM["jwksUrl"]
    assert report["lti13"] == {
        "prof@example.edu": True,
        "ta@example.edu": True,
        "student@example.edu": False,
        "dean@example.edu": True,
        "staff@example.edu": False,
    }


def test_lti13_launches_from_other_deployments_or_courses_are_refused(
    reports: dict[str, dict[str, Any]],
) -> None:
    """Launches signed by the platform's key, checked by ltiauthenticator's own validator, then logged
    in through JupyterHub: only this hub's deployment and course get in; TAs are graders, not admins."""
    report = reports["lti13_launch"]
    assert report["warnings"] == []
    assert report["lti13_launch"] == {
        "student": {"name": "student@example.edu", "admin": False, "groups": ["Learner"]},
        "instructor": {"name": "prof@example.edu", "admin": True, "groups": ["Instructor"]},
        "ta": {"name": "ta@example.edu", "admin": False, "groups": ["TeachingAssistant", "graders"]},
        "ta with principal": {
            "name": "ta2@example.edu",
            "admin": False,
            "groups": ["TeachingAssistant", "graders"],
        },
        "other deployment": {"refused": "login"},
        "other course": {"refused": "login"},
        "forged": {"refused": "TokenError"},
    }


def test_logins_that_carry_groups_give_them_to_jupyterhub(reports: dict[str, dict[str, Any]]) -> None:
    """The groups a profile may name, as each authenticator computes them from a login
    (oauthenticator's own get_user_groups; LTI 1.3's are in the signed-launch test above)."""
    github = reports["github_groups"]
    assert github["warnings"] == []
    assert github["read"]["GitHubOAuthenticator.manage_groups"] is True
    assert github["read"]["GitHubOAuthenticator.populate_teams_in_auth_state"] is True
    assert github["groups"] == ["osu:gpu-users", "osu:ta"]
    assert reports["oidc_groups"]["groups"] == ["gpu-users", "students"]
