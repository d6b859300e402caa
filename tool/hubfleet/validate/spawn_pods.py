"""Start one hub's JupyterHub from z2jh's own configuration, and build every pod a user could get.

Run as a script by `hubfleet validate --hub-python` (validate/pods.py) and by the hub tier of
the tests, with the Python of an environment holding the hub image's JupyterHub, KubeSpawner
and authenticators (`make hub-venv`), one process per hub; hubfleet itself never imports it.
Its one argument is a folder that validate/pods.py staged from `helm template` of the real
chart with the hub's HelmRelease values:

- `z2jh/`: the chart package's `files/hub/jupyterhub_config.py` and `z2jh.py`, with each of the
  hub container's mount paths put under `root/` (the only change; the hub's extraConfig the
  same way);
- `root/<mountPath>/...`: the files of the hub container's mounts (the chart's ConfigMap and
  Secret, sealed secrets as test values);
- `request.json`: the hub container's environment, and the users to try.

The JupyterHub application is initialised as `jupyterhub` does it (the config file, an
sqlite database in the folder, the authenticator, the spawner class). Each user is made by
JupyterHub (admins from the config, as at every start) and spawned by JupyterHub's own
`User.spawn`, with KubeSpawner's options form, `options_from_form`, group overrides and
pre-spawn hook. Only the two KubeSpawner methods that talk to the Kubernetes API are replaced:
`start` runs KubeSpawner's own steps up to the API call (`load_user_options`,
`get_pod_manifest`, `modify_pod_hook`) and hands back the pod as its client would serialise
it; `stop` does nothing. A launched (LTI) user's admin flag and groups are applied as
JupyterHub's login does, and every user's scopes are JupyterHub's own resolution of their
roles. Writes its report to `report.json` in the folder.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any


class Captured(Exception):
    """Raised by the replaced `start` with the pod KubeSpawner would have created."""

    def __init__(self, pod: dict[str, Any]) -> None:
        super().__init__("pod captured")
        self.pod = pod


class FormChoices(HTMLParser):
    """The choices of KubeSpawner's rendered options form: profiles, and each option's values."""

    def __init__(self) -> None:
        super().__init__()
        self.profiles: list[str] = []
        self.options: dict[str, list[str]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        name = found.get("name") or ""
        if tag == "input" and name == "profile" and found.get("value"):
            self.profiles.append(str(found["value"]))
        elif tag == "select" and name.startswith("profile-option-"):
            self._select = name
            self.options[name] = []
        elif tag == "option" and self._select and found.get("value") is not None:
            self.options[self._select].append(str(found["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def forms(html: str) -> list[dict[str, list[str]]]:
    """Every form a user can submit: each profile with each choice of each of its options."""
    parsed = FormChoices()
    parsed.feed(html)
    submitted = []
    for profile in parsed.profiles or [""]:
        prefix = f"profile-option-{profile}--"
        choices = {name: values for name, values in parsed.options.items() if name.startswith(prefix)}
        base = {"profile": [profile]} if profile else {}
        if not choices:
            submitted.append(base)
        for name, values in choices.items():
            submitted.extend({**base, name: [value]} for value in values)
    return submitted


async def pod_of(user: Any, formdata: dict[str, list[str]]) -> dict[str, Any]:
    spawner = user.get_spawner("", replace_failed=True)

    async def start() -> None:
        # KubeSpawner._start, up to the first call to the Kubernetes API.
        await spawner.load_user_options()
        pod = await spawner.get_pod_manifest()
        if spawner.modify_pod_hook:
            from jupyterhub.utils import maybe_future

            pod = await maybe_future(spawner.modify_pod_hook(spawner, pod))
        raise Captured(spawner.api.api_client.sanitize_for_serialization(pod))

    async def stop(now: bool = False) -> None:
        return None

    spawner.start = start
    spawner.stop = stop
    options = spawner.options_from_form(formdata) if formdata else None
    try:
        await user.spawn("", options=options)
    except Captured as captured:
        return {"pod": captured.pod, "options": options}
    raise AssertionError("the spawn ended without reaching the pod")


async def main(folder: Path) -> dict[str, Any]:
    request = json.loads((folder / "request.json").read_text())
    os.environ.update(request["env"])
    os.chdir(folder / "work")
    logging.getLogger("JupyterHub").setLevel(logging.CRITICAL)
    from jupyterhub import orm, roles
    from jupyterhub.app import JupyterHub
    from jupyterhub.scopes import get_scopes_for

    app = JupyterHub()
    await app.initialize(["-f", str(folder / "z2jh" / "jupyterhub_config.py")])
    report: dict[str, Any] = {
        "authenticator": type(app.authenticator).__name__,
        "spawner": app.spawner_class.__name__,
        # Where the hub serves, and the login cookie's name and path (the hub's own prefix).
        "base_url": app.base_url,
        "cookie": app.hub.cookie_name,
        "cookie_path": app.hub.base_url,
        "users": {},
    }
    for who in request["users"]:
        name = who["name"]
        orm_user = orm.User.find(app.db, name)
        if orm_user is None:
            orm_user = orm.User(name=name)
            app.db.add(orm_user)
            app.db.commit()
        user = app.users[orm_user]
        if who.get("auth_state") is not None:
            # What JupyterHub does with a login: the authenticator's post-auth hook, then the
            # admin flag it returns (BaseHandler.auth_to_user).
            model = await app.authenticator.run_post_auth_hook(
                None, {"name": name, "admin": None, "auth_state": who["auth_state"]}
            )
            if model.get("admin") is not None:
                user.admin = model["admin"]
                app.db.commit()
            roles.assign_default_roles(app.db, entity=user)
            if app.authenticator.manage_groups and model.get("groups") is not None:
                user.sync_groups(model["groups"])
        if who.get("groups") is not None:
            # Groups as a login with manage_groups gives them (JupyterHub's own sync).
            user.sync_groups(who["groups"])
        spawner = user.get_spawner("", replace_failed=True)
        timeouts = {"start": spawner.start_timeout, "http": spawner.http_timeout}
        form = await spawner.get_options_form()
        pods = []
        for formdata in forms(form) if form else [{}]:
            try:
                pods.append({"form": formdata, **(await pod_of(user, formdata))})
            except Exception as error:
                pods.append({"form": formdata, "error": f"{type(error).__name__}: {error}"})
        # A profile the form does not offer cannot be started by naming it either.
        offered = {form_data.get("profile", [""])[0] for form_data in (forms(form) if form else [])}
        hidden = {}
        for slug in request.get("profiles", []):
            if slug not in offered:
                try:
                    await pod_of(user, {"profile": [slug]})
                    hidden[slug] = "started"
                except Exception as error:
                    hidden[slug] = f"{type(error).__name__}: {error}"
        # What JupyterHub's RBAC lets the user do (its roles, groups' roles and the admin flag).
        scopes = sorted(get_scopes_for(user))
        report["users"][name] = {
            "admin": user.admin,
            "timeouts": timeouts,
            "pods": pods,
            "scopes": scopes,
            "hidden": hidden,
            "groups": sorted(group.name for group in user.groups),
        }
    return report


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    result = asyncio.run(main(folder))
    (folder / "report.json").write_text(json.dumps(result))
