"""The `hubfleet-check` service of a hub: what `hubfleet hub check` logs in as, from outside.

Rendered only for a hub whose sealed login Secret holds a check token (`hubfleet seal auth
CLUSTER HUB --check-token`): the token reaches z2jh's `hub.services` through `valuesFrom`,
like every sealed login value, and a role gives the service exactly what the check does to
one user of its own and nothing else: make that user, start and stop its server, follow the
spawn's progress, and reach the server (the Jupyter contents API). No other user's name,
server or file is in its scopes, so a leaked check token cannot read anyone's work.
"""

from __future__ import annotations

from typing import Any

from ..core.auth import AUTH_SECRET, CHECK_SERVICE, CHECK_TOKEN, CHECK_USER
from ..inputs.model.cluster import Cluster, Hub

#: JupyterHub 5 scopes, each filtered to the check's own user.
CHECK_SCOPES = tuple(
    f"{scope}!user={CHECK_USER}" for scope in ("admin:users", "servers", "read:servers", "access:servers")
)


def check_service(cluster: Cluster, hub: Hub) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """z2jh `hub.services` and `hub.loadRoles` for the check, and its token's valuesFrom; empty
    for a hub without a sealed check token."""
    if CHECK_TOKEN not in cluster.sealed_auth_keys(hub.name):
        return {}, []
    values = {
        "services": {CHECK_SERVICE: {"name": CHECK_SERVICE}},
        "loadRoles": {
            CHECK_SERVICE: {
                "description": "hubfleet hub check: start, use and stop one test user's server",
                "scopes": list(CHECK_SCOPES),
                "services": [CHECK_SERVICE],
            }
        },
    }
    token = {
        "kind": "Secret",
        "name": AUTH_SECRET,
        "valuesKey": CHECK_TOKEN,
        "targetPath": f"hub.services.{CHECK_SERVICE}.apiToken",
    }
    return values, [token]
