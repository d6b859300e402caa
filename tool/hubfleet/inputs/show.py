"""Inputs, shown: `hubfleet hub show`, what to register with a hub's identity provider or LMS, and what is sealed.

A login needs addresses on the provider's side (the OAuth callback URL, the LTI login
initiation and launch URLs) that follow from the cluster's domain and the hub's name;
people copy them from here rather than work them out. The report also says which login
secrets are sealed and which are still missing, with the command that seals each.
"""

from __future__ import annotations

from typing import Any

from ..core.auth import AUTH_KINDS, AUTH_SECRET, auth_sealed_file_name, hub_urls, secret_keys
from ..system.project import Project
from .model.cluster import Cluster, Hub
from .pipeline import hub_of, load_cluster


def _register(cluster: Cluster, hub: Hub) -> dict[str, str]:
    """Provider-side settings, by the name the provider's forms use."""
    urls = hub_urls(cluster.hub_site(hub.name).url)
    auth = hub.auth
    if AUTH_KINDS[auth.type].oauth:
        return {"OAuth callback (redirect) URL": urls.oauth_callback}
    if auth.type == "lti13":
        assert auth.lti13 is not None
        return {
            "OpenID Connect login initiation URL": urls.lti13_login,
            "Redirect URI and target link URI": urls.lti13_launch,
            "Tool configuration (JSON)": urls.lti13_config,
            "Tool public key set (JWKS)": "none: the hub signs nothing (ltiauthenticator 1.6.3); it "
            f"checks launches with the platform's key set, {auth.lti13.jwks_url}",
        }
    if auth.type == "lti11":
        return {
            "Launch URL": urls.lti11_launch,
            "Tool configuration (XML)": urls.lti11_config,
            "Consumer key": str(auth.lti11_consumer_key),
        }
    return {}


def describe_hub(project: Project, cluster_name: str, hub_name: str) -> dict[str, Any]:
    """Everything `hub show` prints, as plain data (also its --format json)."""
    cluster = load_cluster(project, cluster_name)
    hub = hub_of(cluster, hub_name, "NAME")
    auth = hub.auth
    file_name = auth_sealed_file_name(hub.name)
    sealed = next((s for s in cluster.sealed_secrets if s.file_name == file_name), None)
    encrypted = sealed.manifest.get("spec", {}).get("encryptedData", {}) if sealed else {}
    allowed: dict[str, Any] = {
        rule: list(values)
        for rule, values in (
            ("organizations", auth.allowed.organizations),
            ("domains", auth.allowed.domains),
            ("groups", auth.allowed.groups),
            ("users", auth.allowed.users),
        )
        if values
    }
    if auth.allowed.everyone:
        allowed["everyone"] = True
    return {
        "cluster": cluster.name,
        "hub": hub.name,
        "state": hub.state,
        "url": hub_urls(cluster.hub_site(hub.name).url).hub,
        "login": {"type": auth.type, "what": AUTH_KINDS[auth.type].summary, "clientId": auth.client_id},
        "admins": list(auth.admins),
        # LTI 1.3: who is made admin by a course role (render/auth.py's post-auth hook).
        "adminRoles": list(auth.lti13.admin_roles) if auth.type == "lti13" and auth.lti13 is not None else [],
        "allowed": allowed,
        "register": _register(cluster, hub),
        "secret": {
            "file": project.relative(project.secrets_dir(cluster.name) / file_name),
            "name": f"{hub.name}/{AUTH_SECRET}",
            "keys": {
                key: "sealed" if isinstance(encrypted, dict) and key in encrypted else "missing"
                for key in secret_keys(auth.type, auth.admins)
            },
        },
    }


def _admins(info: dict[str, Any]) -> str:
    """Named admins, and the LTI roles that make a person admin at launch."""
    parts = list(info["admins"])
    if info.get("adminRoles"):
        parts.append(f"anyone launching with the LTI role {' or '.join(info['adminRoles'])}")
    return ", ".join(parts) or "none"


def format_text(info: dict[str, Any]) -> list[str]:
    login = info["login"]
    lines = [
        f"hub {info['hub']} of cluster {info['cluster']} ({info['state']}): {info['url']}",
        f"login: {login['type']}, {login['what']}"
        + (f"; client id {login['clientId']}" if login["clientId"] else ""),
        f"admins: {_admins(info)}",
    ]
    rules = [
        rule if values is True else f"{rule} {', '.join(values)}" for rule, values in info["allowed"].items()
    ]
    if rules:
        lines.append(f"allowed: {'; '.join(rules)}")
    if info["register"]:
        lines.append("register with the provider:")
        width = max(len(name) for name in info["register"])
        lines += [f"  {name:<{width}}  {value}" for name, value in info["register"].items()]
    secret = info["secret"]
    if secret["keys"]:
        lines.append(f"sealed secrets in {secret['file']} ({secret['name']}):")
        lines += [f"  {key}: {state}" for key, state in secret["keys"].items()]
    return lines
