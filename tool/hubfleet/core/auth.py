"""Shared layer: how each kind of login works, named once for the rules, render, sealing and validate.

A hub's `auth.type` decides the authenticator class the hub image loads (z2jh 4.4.0's hub
image: JupyterHub 5.5.0, oauthenticator 17.4.0, ltiauthenticator 1.6.3,
nativeauthenticator 1.3.0), the `hub.config` section its settings go in, which `allowed`
rules it understands, and which values must be sealed. Those values live in one
SealedSecret per hub (`AUTH_SECRET` in the hub's namespace): render points the JupyterHub
HelmRelease at its keys, `hubfleet seal auth` writes them, validate checks they are there.
"""

from __future__ import annotations

from dataclasses import dataclass

from .names import SEALED_SUFFIX

#: The Secret (sealed, in the hub's namespace) that holds every secret value of a hub's login.
AUTH_SECRET = "hubfleet-auth"
CLIENT_SECRET = "client-secret"
CONSUMER_SECRET = "consumer-secret"
USER_PASSWORD = "user-password"
ADMIN_PASSWORD = "admin-password"
INITIAL_PASSWORD_PREFIX = "initial-password."
#: Where the native login's initial admin passwords are mounted in the hub pod.
INITIAL_PASSWORD_DIR = "/etc/hubfleet/auth"

#: The API token of the hub's `hubfleet-check` service (`hubfleet hub check`), optional.
CHECK_TOKEN = "check-token"
#: The JupyterHub service `hub check` acts as, and the one user whose server it may start.
CHECK_SERVICE = "hubfleet-check"
CHECK_USER = "hubfleet-check"

#: Shortest value each key may have: JupyterHub's SharedPasswordAuthenticator refuses a user
#: password under 8 characters and an admin password under 32; ours for initial passwords; an
#: API token as long as JupyterHub's own (32 random bytes, hex).
MINIMUM_LENGTH = {USER_PASSWORD: 8, ADMIN_PASSWORD: 32, INITIAL_PASSWORD_PREFIX: 8, CHECK_TOKEN: 32}

RULES = ("organizations", "domains", "groups", "users", "everyone")


@dataclass(frozen=True)
class AuthKind:
    """One `auth.type`: what the hub runs and what the input may and must say for it."""

    type: str
    #: `JupyterHub.authenticator_class`: an entry-point name, or a class path where the
    #: package declares none (ltiauthenticator 1.6.3).
    authenticator: str
    #: The `hub.config` section (the class name) its settings go in.
    section: str
    #: An OAuth client: needs `clientId` and a sealed client secret.
    oauth: bool
    #: `allowed` rules this type understands (`everyone` included where it may be used).
    rules: tuple[str, ...]
    #: Whether `allowed` must name a rule (or everyone): types where anyone with an account at
    #: the provider could otherwise log in.
    needs_rule: bool
    #: What the type is, for messages and `hub show`.
    summary: str
    #: Who could log in with no rule, for the message that asks for one.
    open_to: str = ""


AUTH_KINDS = {
    kind.type: kind
    for kind in (
        AuthKind("github", "github", "GitHubOAuthenticator", True,
                 ("organizations", "users", "everyone"), True, "GitHub accounts", "every GitHub account"),
        AuthKind("google", "google", "GoogleOAuthenticator", True,
                 ("domains", "users", "everyone"), True, "Google accounts", "every Google account"),
        AuthKind("cilogon", "cilogon", "CILogonOAuthenticator", True,
                 ("users", "everyone"), True, "institutional accounts through CILogon",
                 "every account of the listed identity providers"),
        AuthKind("oidc", "generic-oauth", "GenericOAuthenticator", True,
                 ("groups", "users", "everyone"), True, "an OpenID Connect provider",
                 "every account of the provider"),
        AuthKind("lti13", "ltiauthenticator.lti13.auth.LTI13Authenticator", "LTI13Authenticator", False,
                 ("users", "everyone"), True, "launches from an LMS course (LTI 1.3)",
                 "everyone the LMS launches"),
        AuthKind("lti11", "ltiauthenticator.lti11.auth.LTI11Authenticator", "LTI11Authenticator", False,
                 ("users", "everyone"), True, "launches from an LMS course (LTI 1.1)",
                 "everyone the LMS launches"),
        AuthKind("shared-password", "shared-password", "SharedPasswordAuthenticator", False,
                 ("users",), False, "one password shared by every user"),
        AuthKind("native", "native", "NativeAuthenticator", False,
                 (), False, "sign-up with a password, approved by an admin"),
        AuthKind("dummy", "dummy", "DummyAuthenticator", False,
                 ("users",), True, "any password (tests and demos only)", "anyone, with any password"),
    )
}  # fmt: skip

#: LTI roles that may make a user an admin, by the name after '#' in the role's URI
#: (`http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor`,
#: `.../membership/Instructor#TeachingAssistant`).
LTI_ROLES = ("Administrator", "ContentDeveloper", "Instructor", "Mentor", "TeachingAssistant")
LTI_ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
#: Course roles (`.../membership#Instructor`, `.../membership/Instructor#TeachingAssistant`).
LTI_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
#: Where a launch says which installation of the developer key, and which course, it comes from.
LTI_DEPLOYMENT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
LTI_CONTEXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/context"
#: The JupyterHub role (and, for LTI 1.3, the group) of a hub's graders (render/course_roles.py).
GRADERS = "graders"
#: The course roles an LTI 1.3 launch can carry (LIS membership roles and the common sub-roles, by
#: the name after '#'): the JupyterHub groups an LTI 1.3 login gives, besides graders.
LTI_COURSE_ROLES = (
    "Administrator",
    "ContentDeveloper",
    "Grader",
    "Instructor",
    "Learner",
    "Manager",
    "Member",
    "Mentor",
    "Officer",
    "TeachingAssistant",
)


def login_gives_group(
    auth_type: str, group: str, organizations: tuple[str, ...], groups_claim: bool, graders: bool
) -> bool:
    """Whether a login of `auth_type` can put a user in JupyterHub group `group` (manage_groups):
    OIDC any group of its groups claim, GitHub a team of an allowed organisation as org:team,
    LTI 1.3 a course role or graders; the other types give none."""
    if auth_type == "oidc":
        return groups_claim
    if auth_type == "github":
        org, colon, team = group.partition(":")
        allowed = {entry.split(":", 1)[0] for entry in organizations}
        return bool(colon and team) and (not allowed or org in allowed)
    if auth_type == "lti13":
        return group in LTI_COURSE_ROLES or (graders and group == GRADERS)
    return False


def initial_password_key(admin: str) -> str:
    """The Secret key of a native admin's initial password ('@' is not allowed in keys, '_' is
    not allowed in user names, so the mapping cannot collide)."""
    return INITIAL_PASSWORD_PREFIX + admin.replace("@", "_at_")


def secret_keys(auth_type: str, admins: tuple[str, ...]) -> tuple[str, ...]:
    """The keys the hub's AUTH_SECRET must hold for `auth_type`, in a fixed order."""
    kind = AUTH_KINDS[auth_type]
    if kind.oauth:
        return (CLIENT_SECRET,)
    if auth_type == "lti11":
        return (CONSUMER_SECRET,)
    if auth_type == "shared-password":
        # Names in admin_users can only log in with the admin password.
        return (USER_PASSWORD, ADMIN_PASSWORD) if admins else (USER_PASSWORD,)
    if auth_type == "native":
        return tuple(initial_password_key(admin) for admin in admins)
    return ()


def minimum_length(key: str) -> int:
    if key.startswith(INITIAL_PASSWORD_PREFIX):
        return MINIMUM_LENGTH[INITIAL_PASSWORD_PREFIX]
    return MINIMUM_LENGTH.get(key, 1)


def auth_sealed_file_name(hub: str) -> str:
    """clusters/<cluster>/secrets/<this>: the hub's sealed login secret."""
    return f"auth.{hub}{SEALED_SUFFIX}"


@dataclass(frozen=True)
class HubUrls:
    """The addresses people register with their identity provider or LMS."""

    hub: str
    oauth_callback: str
    lti13_login: str
    lti13_launch: str
    lti13_config: str
    lti11_launch: str
    lti11_config: str


def hub_urls(base: str) -> HubUrls:
    """Every address of a hub served at `base` (`https://<host><path>`, ending in /)."""
    return HubUrls(
        hub=base,
        oauth_callback=f"{base}hub/oauth_callback",
        lti13_login=f"{base}hub/lti13/oauth_login",
        lti13_launch=f"{base}hub/lti13/oauth_callback",
        lti13_config=f"{base}hub/lti13/config",
        lti11_launch=f"{base}hub/lti/launch",
        lti11_config=f"{base}hub/lti11/config",
    )
