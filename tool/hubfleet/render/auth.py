"""A hub's login as z2jh 4.4.0 values: `hub.config`, the sealed values it takes, and two guards.

What oauthenticator 17.4, ltiauthenticator 1.6.3, nativeauthenticator 1.3.0 and JupyterHub
5.5.0 (the chart's hub image) read, and nothing else. Secret values never appear here:
the HelmRelease takes each from the hub's sealed Secret through `valuesFrom` with a
`targetPath`, so it reaches the chart without being in git or in the HelmRelease.
Two behaviours upstream lacks are added as `hub.extraConfig` code, kept short and tested
against the real packages (tests/hub_side/):

- `native`: NativeAuthenticator authorizes whoever signs up first under an admin's name
  (nativeauthenticator#140). Here admin accounts are made at hub start, before the hub
  listens, from the sealed initial passwords (mounted read-only), and sign-up under an
  admin's name is refused.
- `lti13`: ltiauthenticator has no admin-by-role setting and checks no deployment or course;
  a post-auth hook (course_roles.py) refuses launches from other deployments and courses, and
  makes a user an admin (or a grader) at each launch when their course role is one of
  `adminRoles` (`graderRoles`), or they are listed in `admins`, and takes it away otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.auth import (
    ADMIN_PASSWORD,
    AUTH_KINDS,
    AUTH_SECRET,
    CLIENT_SECRET,
    CONSUMER_SECRET,
    INITIAL_PASSWORD_DIR,
    INITIAL_PASSWORD_PREFIX,
    USER_PASSWORD,
    hub_urls,
)
from ..inputs.model.auth import Auth
from ..inputs.model.cluster import Cluster, Hub
from .course_roles import github_team_groups, lti13_launch_hook

GITHUB_ORG_SCOPE = "read:org"
NATIVE_GUARD = "hubfleet-native-admins"
LTI13_LAUNCH = "hubfleet-lti13-launch"
GITHUB_TEAMS = "hubfleet-github-teams"
AUTH_VOLUME = "hubfleet-auth"


@dataclass
class AuthValues:
    """What a hub's login adds to its JupyterHub values and HelmRelease."""

    config: dict[str, Any]
    values_from: list[dict[str, str]] = field(default_factory=list)
    extra_config: dict[str, str] = field(default_factory=dict)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    mounts: list[dict[str, Any]] = field(default_factory=list)


def _sealed(key: str, section: str, setting: str) -> dict[str, str]:
    return {
        "kind": "Secret",
        "name": AUTH_SECRET,
        "valuesKey": key,
        "targetPath": f"hub.config.{section}.{setting}",
    }


def _authenticator_settings(auth: Auth) -> dict[str, Any]:
    """Settings every type shares (JupyterHub's Authenticator)."""
    settings: dict[str, Any] = {"admin_users": list(auth.admins)}
    if auth.allowed.users:
        settings["allowed_users"] = list(auth.allowed.users)
    # JupyterHub 5 lets nobody in by default. Open on purpose (everyone), gated by a password
    # or an admin's approval (shared-password, native), or by Google's own domain check:
    # everyone who passes is allowed. Otherwise only who a rule names.
    gated = auth.type == "native" or (auth.type == "shared-password" and not auth.allowed.users)
    google_domains = auth.type == "google" and bool(auth.allowed.domains)
    settings["allow_all"] = auth.allowed.everyone or gated or google_domains
    return settings


def _oauth(cluster: Cluster, hub: Hub, auth: Auth) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "client_id": auth.client_id,
        "oauth_callback_url": hub_urls(cluster.hub_site(hub.name).url).oauth_callback,
    }
    if auth.type == "github" and auth.allowed.organizations:
        settings["allowed_organizations"] = list(auth.allowed.organizations)
        # Without read:org only public memberships are visible, and team rules fail.
        settings["scope"] = [GITHUB_ORG_SCOPE]
    elif auth.type == "google":
        # Google itself checks the hd claim; one domain also strips @domain from user names.
        settings["hosted_domain"] = list(auth.allowed.domains)
    elif auth.type == "cilogon":
        settings["idps"] = {idp.entity_id: _cilogon_idp(idp) for idp in auth.cilogon_idps}
    elif auth.type == "oidc":
        settings.update(_oidc(auth))
    return settings


def _cilogon_idp(idp: Any) -> dict[str, Any]:
    derivation: dict[str, Any] = {"username_claim": idp.username_claim}
    if idp.strip_domain:
        derivation.update(action="strip_idp_domain", domain=idp.strip_domain)
    entry: dict[str, Any] = {"username_derivation": derivation}
    if idp.domains:
        entry["allowed_domains"] = list(idp.domains)
    return entry


def _oidc(auth: Auth) -> dict[str, Any]:
    oidc = auth.oidc
    assert oidc is not None  # the rules require the block for type oidc
    settings: dict[str, Any] = {
        "authorize_url": oidc.authorize_url,
        "token_url": oidc.token_url,
        "userdata_url": oidc.userdata_url,
        "username_claim": oidc.username_claim,
        "scope": list(oidc.scopes),
    }
    if oidc.login_service:
        settings["login_service"] = oidc.login_service
    if oidc.groups_claim:
        settings["manage_groups"] = True
        settings["auth_state_groups_key"] = f"oauth_user.{oidc.groups_claim}"
        if auth.allowed.groups:
            settings["allowed_groups"] = list(auth.allowed.groups)
        if oidc.admin_groups:
            settings["admin_groups"] = list(oidc.admin_groups)
    return settings


def _native_guard() -> str:
    return f"""\
# hubfleet: admin accounts from sealed initial passwords, made before the hub listens;
# sign-up under an admin's name is refused (nativeauthenticator#140).
import os

import bcrypt
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.orm import UserInfo


class HubfleetNativeAuthenticator(NativeAuthenticator):
    initial_passwords = {INITIAL_PASSWORD_DIR!r}

    def create_user(self, username, password, **kwargs):
        if self.normalize_username(username) in self.admin_users:
            self.log.warning("Refused sign-up under the admin name %s", username)
            return None
        return super().create_user(username, password, **kwargs)

    def add_user(self, user):
        super().add_user(user)
        if user.name not in self.admin_users or UserInfo.find(self.db, user.name) is not None:
            return
        key = {INITIAL_PASSWORD_PREFIX!r} + user.name.replace("@", "_at_")
        with open(os.path.join(self.initial_passwords, key), "rb") as stream:
            password = stream.read()
        hashed = bcrypt.hashpw(password, bcrypt.gensalt())
        self.db.add(UserInfo(username=user.name, password=hashed, is_authorized=True))
        self.db.commit()


c.JupyterHub.authenticator_class = HubfleetNativeAuthenticator
"""


def auth_values(cluster: Cluster, hub: Hub) -> AuthValues:
    """The login part of a hub's JupyterHub values and HelmRelease."""
    auth = hub.auth
    kind = AUTH_KINDS[auth.type]
    out = AuthValues(
        config={
            "JupyterHub": {"authenticator_class": kind.authenticator},
            "Authenticator": _authenticator_settings(auth),
        }
    )
    section: dict[str, Any] = {}
    if kind.oauth:
        section = _oauth(cluster, hub, auth)
        out.values_from.append(_sealed(CLIENT_SECRET, kind.section, "client_secret"))
    elif auth.type == "lti13":
        platform = auth.lti13
        assert platform is not None  # the rules require the block for type lti13
        section = {
            "issuer": platform.issuer,
            "authorize_url": platform.authorize_url,
            "jwks_endpoint": platform.jwks_url,
            "client_id": [auth.client_id],
            "username_key": platform.username_key,
        }
        out.extra_config[LTI13_LAUNCH] = lti13_launch_hook(platform)
    elif auth.type == "lti11":
        assert auth.lti11_consumer_key is not None  # the rules require it for type lti11
        if auth.lti11_username_key:
            section["username_key"] = auth.lti11_username_key
        out.values_from.append(_sealed(CONSUMER_SECRET, kind.section, f"consumers.{auth.lti11_consumer_key}"))
    elif auth.type == "shared-password":
        out.values_from.append(_sealed(USER_PASSWORD, kind.section, "user_password"))
        if auth.admins:
            out.values_from.append(_sealed(ADMIN_PASSWORD, kind.section, "admin_password"))
    elif auth.type == "native":
        # Sign-up is open, but new accounts wait for an admin's approval.
        section = {"open_signup": False, "enable_signup": True}
        out.extra_config[NATIVE_GUARD] = _native_guard()
        out.volumes.append({"name": AUTH_VOLUME, "secret": {"secretName": AUTH_SECRET}})
        out.mounts.append({"name": AUTH_VOLUME, "mountPath": INITIAL_PASSWORD_DIR, "readOnly": True})
    if auth.type == "github" and any(profile.groups for profile in hub.profiles):
        # Profiles by group (course_roles.py): the user's teams, fetched at login with read:org.
        section.update(
            {"populate_teams_in_auth_state": True, "manage_groups": True, "scope": [GITHUB_ORG_SCOPE]}
        )
        out.extra_config[GITHUB_TEAMS] = github_team_groups()
    if section:
        out.config[kind.section] = section
    return out
