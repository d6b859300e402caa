"""Stage 3, model of a hub's login: `auth` of a merged hub file, typed, with the defaults of each type.

Built from input that passed the schema, before the rules run (they read this model, and
`inputs/rules/auth.py` reads which blocks the file wrote): it indexes only fields the schema
requires of a block that is present. What each type means upstream is in `core/auth.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Allowed:
    """Who may log in: anyone matching one rule (`everyone` opens the hub to all the provider
    authenticates)."""

    organizations: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    everyone: bool = False


@dataclass(frozen=True)
class OidcProvider:
    authorize_url: str
    token_url: str
    userdata_url: str
    username_claim: str
    groups_claim: str | None
    admin_groups: tuple[str, ...]
    scopes: tuple[str, ...]
    login_service: str | None
    issuer: str | None


@dataclass(frozen=True)
class CilogonIdp:
    entity_id: str
    username_claim: str
    strip_domain: str | None
    domains: tuple[str, ...]


@dataclass(frozen=True)
class Lti13Platform:
    issuer: str
    authorize_url: str
    jwks_url: str
    username_key: str
    admin_roles: tuple[str, ...]
    grader_roles: tuple[str, ...] = ()
    #: Launches from other deployments (or, when given, other courses) are refused at login.
    deployment_ids: tuple[str, ...] = ()
    context_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Auth:
    """A hub's login, typed: only the block of its own type is set."""

    type: str
    client_id: str | None
    admins: tuple[str, ...]
    allowed: Allowed
    insecure: bool = False
    #: Users with the hub's graders role (render/roles.py).
    graders: tuple[str, ...] = ()
    oidc: OidcProvider | None = None
    cilogon_idps: tuple[CilogonIdp, ...] = ()
    lti13: Lti13Platform | None = None
    lti11_consumer_key: str | None = None
    lti11_username_key: str | None = None


DEFAULT_OIDC_SCOPES = ("openid", "email", "profile")
DEFAULT_OIDC_USERNAME_CLAIM = "preferred_username"
DEFAULT_CILOGON_USERNAME_CLAIM = "email"
DEFAULT_LTI13_USERNAME_KEY = "email"
DEFAULT_LTI13_ADMIN_ROLES = ("Instructor",)
DEFAULT_LTI13_GRADER_ROLES = ("TeachingAssistant",)


def build_auth(raw: dict[str, Any]) -> Auth:
    """The `auth` block of a merged hub that passed the schema and the auth rules."""
    allowed = raw.get("allowed", {})
    oidc = raw.get("oidc")
    lti13 = raw.get("lti13")
    lti11 = raw.get("lti11", {})
    return Auth(
        type=str(raw["type"]),
        client_id=str(raw["clientId"]) if "clientId" in raw else None,
        admins=tuple(raw.get("admins", [])),
        graders=tuple(raw.get("graders", [])),
        allowed=Allowed(
            organizations=tuple(allowed.get("organizations", [])),
            domains=tuple(allowed.get("domains", [])),
            groups=tuple(allowed.get("groups", [])),
            users=tuple(allowed.get("users", [])),
            everyone=bool(allowed.get("everyone", False)),
        ),
        insecure=bool(raw.get("insecure", False)),
        oidc=OidcProvider(
            authorize_url=str(oidc["authorizeUrl"]),
            token_url=str(oidc["tokenUrl"]),
            userdata_url=str(oidc["userdataUrl"]),
            username_claim=str(oidc.get("usernameClaim", DEFAULT_OIDC_USERNAME_CLAIM)),
            groups_claim=oidc.get("groupsClaim"),
            admin_groups=tuple(oidc.get("adminGroups", [])),
            scopes=tuple(oidc.get("scopes", DEFAULT_OIDC_SCOPES)),
            login_service=oidc.get("loginService"),
            issuer=oidc.get("issuer"),
        )
        if oidc
        else None,
        cilogon_idps=tuple(
            CilogonIdp(
                entity_id=entity,
                username_claim=str(idp.get("usernameClaim", DEFAULT_CILOGON_USERNAME_CLAIM)),
                strip_domain=idp.get("stripDomain"),
                domains=tuple(idp.get("domains", [])),
            )
            for entity, idp in sorted(raw.get("cilogon", {}).get("idps", {}).items())
        ),
        lti13=Lti13Platform(
            issuer=str(lti13["issuer"]),
            authorize_url=str(lti13["authorizeUrl"]),
            jwks_url=str(lti13["jwksUrl"]),
            username_key=str(lti13.get("usernameKey", DEFAULT_LTI13_USERNAME_KEY)),
            admin_roles=tuple(lti13.get("adminRoles", DEFAULT_LTI13_ADMIN_ROLES)),
            grader_roles=tuple(lti13.get("graderRoles", DEFAULT_LTI13_GRADER_ROLES)),
            deployment_ids=tuple(lti13.get("deploymentIds", [])),
            context_ids=tuple(lti13.get("contextIds", [])),
        )
        if lti13
        else None,
        lti11_consumer_key=lti11.get("consumerKey"),
        lti11_username_key=lti11.get("usernameKey"),
    )
