"""Stage 2b, the login rules: no hub open by accident, and each type given what it needs.

The schema says what each field may hold; these rules say which fields go together.
They see the merged hub (hubDefaults, then the hub file) and the hub file alone:
`insecure` and `allowed.everyone` open a hub, so they count only when the hub's own file
says them, never when a cluster-wide default does.
"""

from __future__ import annotations

from typing import Any

from ...core.auth import AUTH_KINDS, RULES, AuthKind
from ...errors import Diagnostic
from ..load import Source

#: Blocks that belong to one type each.
TYPE_BLOCKS = {"oidc": "oidc", "cilogon": "cilogon", "lti13": "lti13", "lti11": "lti11"}
BLOCK_FIELDS = {
    "oidc": "authorizeUrl, tokenUrl, userdataUrl",
    "cilogon": "idps",
    "lti13": "issuer, authorizeUrl, jwksUrl",
    "lti11": "consumerKey",
}
AUTH = "auth"


def _own(source: Source, *path: str) -> Any:
    """A value as the hub's own file gives it (None when only hubDefaults do)."""
    data: Any = source.data
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _uses_client_id(kind: AuthKind) -> bool:
    return kind.oauth or kind.type == "lti13"


def _blocks(source: Source, auth: dict[str, Any], kind: AuthKind) -> list[Diagnostic]:
    problems = []
    for block in TYPE_BLOCKS:
        if block == kind.type and block not in auth:
            problems.append(
                source.problem(
                    [AUTH, block], f"type {kind.type} needs an {block} block ({BLOCK_FIELDS[block]})"
                )
            )
        elif block != kind.type and block in auth:
            problems.append(
                source.problem(
                    [AUTH, block], f"only used with type {block}, and type is {kind.type}; remove it"
                )
            )
    if _uses_client_id(kind) and "clientId" not in auth:
        problems.append(
            source.problem(
                [AUTH, "clientId"],
                f"type {kind.type} needs clientId, the client id registered for this hub "
                "(`hubfleet hub show CLUSTER HUB` prints the URLs to register)",
            )
        )
    elif not _uses_client_id(kind) and "clientId" in auth:
        problems.append(source.problem([AUTH, "clientId"], f"type {kind.type} takes no clientId; remove it"))
    return problems


def _has_rule(auth: dict[str, Any], kind: AuthKind) -> bool:
    allowed = auth.get("allowed", {})
    if any(allowed.get(rule) for rule in RULES):
        return True
    idps = auth.get("cilogon", {}).get("idps", {})
    return kind.type == "cilogon" and any(idp.get("domains") for idp in idps.values())


def _allowed(source: Source, auth: dict[str, Any], kind: AuthKind) -> list[Diagnostic]:
    problems = []
    allowed = auth.get("allowed", {})
    for rule in RULES:
        if rule in allowed and rule not in kind.rules and allowed[rule] is not False:
            if rule == "everyone" and kind.type == "dummy":
                message = "refused with type dummy: anyone on the internet could log in with any password"
            else:
                understood = ", ".join(kind.rules)
                message = f"type {kind.type} has no {rule} rule (it understands: {understood})"
            problems.append(source.problem([AUTH, "allowed", rule], message))
    if allowed.get("everyone") and not _own(source, AUTH, "allowed", "everyone"):
        problems.append(
            source.problem(
                [AUTH, "allowed", "everyone"],
                "comes from hubDefaults; a hub is opened to everyone only by its own file",
            )
        )
    if kind.needs_rule and not problems and not _has_rule(auth, kind):
        rules = " or ".join(f"allowed.{rule}" for rule in kind.rules if rule != "everyone")
        opening = "" if "everyone" not in kind.rules else ", or set allowed.everyone: true to mean it"
        where = ", or domains of a cilogon IdP" if kind.type == "cilogon" else ""
        problems.append(
            source.problem(
                [AUTH, "allowed"],
                f"type {kind.type} would let in {kind.open_to}: name who may log in "
                f"({rules}{where}){opening}",
            )
        )
    return problems


def _insecure(source: Source, auth: dict[str, Any], kind: AuthKind) -> list[Diagnostic]:
    problems = []
    if kind.type != "dummy":
        if "insecure" in auth:
            problems.append(source.problem([AUTH, "insecure"], "only used with type dummy; remove it"))
        return problems
    if _own(source, AUTH, "insecure") is not True:
        problems.append(
            source.problem(
                [AUTH, "type"],
                "dummy lets anyone who knows an allowed name log in with any password; set "
                "insecure: true in this hub's own file to accept that (demos and tests only)",
            )
        )
    if auth.get("admins"):
        problems.append(
            source.problem(
                [AUTH, "admins"], "type dummy takes no admins: anyone could log in as one with any password"
            )
        )
    return problems


def _per_type(source: Source, auth: dict[str, Any], kind: AuthKind) -> list[Diagnostic]:
    problems = []
    if kind.type == "native" and not auth.get("admins"):
        problems.append(
            source.problem(
                [AUTH, "admins"],
                "type native needs at least one admin: admins approve every sign-up; their accounts "
                "are made at hub start from passwords sealed with `hubfleet seal auth`",
            )
        )
    allowed = auth.get("allowed", {})
    if kind.type == "google" and allowed.get("domains") and allowed.get("users"):
        problems.append(
            source.problem(
                [AUTH, "allowed", "users"],
                "with allowed.domains, Google refuses every account outside those domains, named users "
                "included: list the users' domains, or drop allowed.domains",
            )
        )
    lti13 = auth.get("lti13", {})
    if kind.type == "lti13" and allowed.get("everyone") and "deploymentIds" not in lti13:
        problems.append(
            source.problem(
                [AUTH, "lti13"],
                "with allowed.everyone, name the deployments whose launches this hub accepts "
                "(lti13.deploymentIds): ltiauthenticator checks a launch's signature, issuer, audience and "
                "nonce, not its deployment or course, so every course of the LMS account that holds the "
                "developer key could log in",
            )
        )
    oidc = auth.get("oidc", {})
    if kind.type == "oidc" and "groupsClaim" not in oidc:
        for path in (["allowed", "groups"], ["oidc", "adminGroups"]):
            holder = auth.get(path[0], {})
            if path[1] in holder:
                problems.append(
                    source.problem(
                        [AUTH, *path], "needs oidc.groupsClaim, the claim that lists a user's groups"
                    )
                )
    return problems


def check_auth(source: Source, raw: dict[str, Any], stem: str) -> list[Diagnostic]:
    """Every problem of the merged hub's `auth` (which passed the schema)."""
    auth = raw[AUTH]
    kind = AUTH_KINDS[auth["type"]]
    return [
        *_blocks(source, auth, kind),
        *_allowed(source, auth, kind),
        *_insecure(source, auth, kind),
        *_per_type(source, auth, kind),
    ]
