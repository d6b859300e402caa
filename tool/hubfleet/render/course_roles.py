"""Roles that fit a course: which LMS launches a hub accepts, and who grades.

- **Launches.** ltiauthenticator checks a launch's signature, issuer, audience and nonce, not
  which deployment of the developer key, or which course, it comes from: with `everyone`, any
  course of the LMS account could log in. The LTI 1.3 post-auth hook hubfleet adds therefore
  refuses a launch whose deployment id (and, when the hub names courses, context id) is not the
  hub's, before JupyterHub makes or updates the user.
- **Profiles by group.** A profile that names groups is offered to, and can be started by, their
  members only (a callable KubeSpawner profile list over z2jh's); groups come from the login
  (`manage_groups`): OIDC's groups claim, GitHub teams as `org:team`, LTI 1.3 course roles.
- **Graders.** A JupyterHub 5 role with the scopes grading needs: the admin page (`admin-ui`),
  listing the hub's users and their servers, and opening those servers (`access:servers`; on an
  LTI 1.3 hub only the servers of the course's Learners, since an admin's server holds the
  shared folder read-write); no `admin:users`, so a grader changes no one. Named users get it from the hub file (`graders`),
  LTI 1.3 users from their course role at each launch (`graderRoles`): the hook puts them in the
  `graders` group, whose membership JupyterHub then takes from the login (`manage_groups`).
  Admins stay the few the hub names (`admins`, `adminRoles`, by default only Instructors), and
  keep z2jh's `admin_access`: they are the ones who need everything.
"""

from __future__ import annotations

import json
from typing import Any

from ..core.auth import GRADERS, LTI_CONTEXT_CLAIM, LTI_DEPLOYMENT_CLAIM, LTI_MEMBERSHIP, LTI_ROLES_CLAIM
from ..inputs.model.auth import Auth, Lti13Platform

GRADER_SCOPES = ("admin-ui", "list:users", "read:users", "read:servers", "access:servers")


#: On an LTI 1.3 hub, graders reach the servers of the course's students only (the Learner group
#: each launch sets): an admin's server mounts the shared folder read-write.
LTI_GRADED_GROUP = "Learner"
SERVER_SCOPES = ("read:servers", "access:servers")


def grader_scopes(auth: Auth) -> list[str]:
    if auth.lti13 is None:
        return list(GRADER_SCOPES)
    return [
        f"{scope}!group={LTI_GRADED_GROUP}" if scope in SERVER_SCOPES else scope for scope in GRADER_SCOPES
    ]


def graders_role(auth: Auth) -> dict[str, Any] | None:
    """The hub's `graders` role (z2jh hub.loadRoles), or None when no one grades."""
    by_role = auth.lti13 is not None and bool(auth.lti13.grader_roles)
    if not auth.graders and not by_role:
        return None
    role: dict[str, Any] = {
        "name": GRADERS,
        "description": "List the hub's users and open their servers; change nothing.",
        "scopes": grader_scopes(auth),
    }
    if auth.graders:
        role["users"] = list(auth.graders)
    if by_role:
        role["groups"] = [GRADERS]
    return role


def lti13_launch_hook(platform: Lti13Platform) -> str:
    """The post-auth hook (hub.extraConfig) of an LTI 1.3 hub."""
    constants = {
        "HUBFLEET_DEPLOYMENTS": sorted(platform.deployment_ids),
        "HUBFLEET_CONTEXTS": sorted(platform.context_ids),
        "HUBFLEET_ADMIN_ROLES": sorted(platform.admin_roles),
        "HUBFLEET_GRADER_ROLES": sorted(platform.grader_roles),
    }
    lines = "\n".join(f"{name} = {json.dumps(value)}" for name, value in constants.items())
    return f"""\
# hubfleet: only launches from this hub's deployments (and courses, when it names them); admin and
# grader rights from the course role at each launch (adminRoles, graderRoles), or the admins list.
{lines}


def hubfleet_lti13_launch(authenticator, handler, authentication):
    claims = authentication.get("auth_state") or {{}}
    deployment = claims.get({LTI_DEPLOYMENT_CLAIM!r})
    if HUBFLEET_DEPLOYMENTS and deployment not in HUBFLEET_DEPLOYMENTS:
        authenticator.log.warning("LTI 1.3 launch refused: deployment %r is not this hub's", deployment)
        return None
    context = (claims.get({LTI_CONTEXT_CLAIM!r}) or {{}}).get("id")
    if HUBFLEET_CONTEXTS and context not in HUBFLEET_CONTEXTS:
        authenticator.log.warning("LTI 1.3 launch refused: course %r is not this hub's", context)
        return None
    # Course (membership) roles only: institution and system roles name a person's role anywhere
    # in the LMS, not in this course. A sub-role (membership/Instructor#TeachingAssistant) comes
    # with its principal role (membership#Instructor), as LTI asks platforms to send it: the
    # principal counts only when no sub-role of it is there, so a TA is no instructor.
    membership = {LTI_MEMBERSHIP!r}
    principals, subs = set(), {{}}
    for role in claims.get({LTI_ROLES_CLAIM!r}) or []:
        role = str(role)
        if role.startswith(membership + "#"):
            principals.add(role[len(membership) + 1 :])
        elif role.startswith(membership + "/") and "#" in role:
            principal, sub = role[len(membership) + 1 :].split("#", 1)
            subs[sub] = principal
    roles = set(subs) | (principals - set(subs.values()))
    listed = authentication["name"] in authenticator.admin_users
    authentication["admin"] = listed or bool(roles & set(HUBFLEET_ADMIN_ROLES))
    # Groups from each launch: the course roles, and graders by graderRoles.
    graders = [{GRADERS!r}] if roles & set(HUBFLEET_GRADER_ROLES) else []
    authentication["groups"] = sorted(roles) + graders
    return authentication


c.Authenticator.post_auth_hook = hubfleet_lti13_launch
c.Authenticator.manage_groups = True
"""


def profile_groups_filter(profiles: dict[str, tuple[str, ...]]) -> str:
    """hub.extraConfig: KubeSpawner's profile list, cut to what the user's groups may see.

    z2jh has set `c.KubeSpawner.profile_list` from singleuser.profileList by the time extraConfig
    runs; KubeSpawner calls a callable profile_list for the options form and again when it loads
    the chosen profile, so a profile the user cannot see cannot be started by naming it either."""
    gated = {slug: sorted(groups) for slug, groups in sorted(profiles.items()) if groups}
    return f"""\
# hubfleet: profiles that name groups are seen, and started, only by members of one of them.
HUBFLEET_PROFILE_GROUPS = {json.dumps(gated)}
_hubfleet_all_profiles = c.KubeSpawner.profile_list


def hubfleet_profiles_for(spawner):
    groups = {{group.name for group in spawner.user.groups}}
    return [
        profile
        for profile in _hubfleet_all_profiles
        if not HUBFLEET_PROFILE_GROUPS.get(profile["slug"])
        or groups & set(HUBFLEET_PROFILE_GROUPS[profile["slug"]])
    ]


c.KubeSpawner.profile_list = hubfleet_profiles_for
"""


def github_team_groups() -> str:
    """hub.extraConfig: a GitHub hub's groups are its user's teams, as org:team (the spelling of
    allowed.organizations)."""
    return """\
# hubfleet: JupyterHub groups from the user's GitHub teams, as org:team.
def hubfleet_github_teams(auth_state):
    return [f"{team['organization']['login']}:{team['slug']}" for team in auth_state.get("teams") or []]


c.GitHubOAuthenticator.auth_state_groups_key = hubfleet_github_teams
"""
