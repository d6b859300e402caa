"""Load a rendered hub.config and hub.extraConfig into the real authenticator packages, and try them.

Run by tests/tiers/test_hub_side.py with .venv-hub's Python (the hub image's JupyterHub,
oauthenticator, ltiauthenticator and nativeauthenticator), never imported by hubfleet.
Reads a JSON list of requests on standard input (one process, since importing JupyterHub
takes seconds), writes a JSON list of reports on standard output, one per request:

- how z2jh's jupyterhub_config.py would apply it: each `hub.config` section into `c`, then
  every `extraConfig` snippet in name order, with `c` in scope;
- the authenticator class that results, built as JupyterHub builds it (with a database),
  the config options it did not recognise (traitlets warns about those), and the value it
  reads for every option the request set;
- scenario "native": the admin accounts made at start, sign-up under an admin's name, and
  logging in; scenario "lti13": the admin flag the post-auth hook sets for course roles;
  scenario "groups": the JupyterHub groups the authenticator gives a login's auth_state;
  scenario "lti13_launch": launches signed by a platform key made here (its key set served on
  loopback), checked by ltiauthenticator's own validator as its launch handler does, then
  logged in through JupyterHub's `get_authenticated_user` (the hub's allow rules and post-auth
  hook): who gets in, as what, in which groups; and one launch signed by another key.
"""

from __future__ import annotations

import asyncio
import http.server
import importlib
import json
import logging
import os
import sys
import tempfile
import threading
import time
from importlib.metadata import entry_points
from typing import Any

from jupyterhub import orm
from traitlets.config import Config


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def authenticator_class(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    found = entry_points(group="jupyterhub.authenticators", name=value)
    if found:
        return next(iter(found)).load()
    module, _, name = value.rpartition(".")
    return getattr(importlib.import_module(module), name)


def plain(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value if isinstance(value, str | int | float | bool | type(None)) else repr(value)


def main() -> None:
    json.dump([report_of(request) for request in json.load(sys.stdin)], sys.stdout)


def report_of(request: dict[str, Any]) -> dict[str, Any]:
    folder = tempfile.mkdtemp()
    for key, value in request.get("secret_files", {}).items():
        with open(os.path.join(folder, key), "w") as stream:
            stream.write(value)
    c = Config()
    for section, settings in request["hub_config"].items():
        c[section].update(settings)
    for name in sorted(request.get("extra_config", {})):
        code = request["extra_config"][name].replace(request.get("mount", "\0"), folder)
        exec(compile(code, name, "exec"), {"c": c})
    collect = Collect()
    loggers = (logging.getLogger("traitlets"), logging.getLogger())
    for logger in loggers:
        logger.addHandler(collect)
    db = orm.new_session_factory("sqlite://")()
    cls = authenticator_class(c.JupyterHub.authenticator_class)
    authenticator = cls(config=c, _deprecated_db_session=db)
    report: dict[str, Any] = {"class": cls.__name__, "bases": [k.__name__ for k in cls.__mro__]}
    report["read"] = {
        f"{section}.{key}": plain(getattr(authenticator, key))
        for section, settings in request["hub_config"].items()
        if section in report["bases"]
        for key in settings
    }
    scenario = request.get("scenario")
    if scenario == "native":
        report["native"] = asyncio.run(native(authenticator, db, request["native"]))
    elif scenario == "lti13":
        report["lti13"] = lti13(authenticator, c, request["lti13"])
    elif scenario == "groups":
        found = asyncio.run(authenticator.get_user_groups(request["groups"]["auth_state"]))
        report["groups"] = sorted(found)
    elif scenario == "lti13_launch":
        report["lti13_launch"] = asyncio.run(lti13_launches(authenticator, request["lti13_launch"]))
    for logger in loggers:
        logger.removeHandler(collect)
    report["warnings"] = [m for m in collect.messages if "not recognized" in m or "deprecated" in m.lower()]
    return report


async def native(authenticator: Any, db: Any, request: dict[str, Any]) -> dict[str, Any]:
    from nativeauthenticator.orm import UserInfo

    out: dict[str, Any] = {}
    for admin in request["admins"]:
        user = orm.User(name=admin)
        db.add(user)
        db.commit()
        authenticator.add_user(user)
        authenticator.add_user(user)  # again, as at every start: nothing changes
        info = UserInfo.find(db, admin)
        out[admin] = {
            "made": info is not None and info.is_authorized,
            "rows": db.query(UserInfo).filter(UserInfo.username == admin).count(),
            "login": await authenticator.authenticate(
                None, {"username": admin, "password": request["passwords"][admin]}
            ),
            "wrong_password": await authenticator.authenticate(
                None, {"username": admin, "password": "not-it-at-all"}
            ),
            "signup_taken": authenticator.create_user(admin, "a-long-enough-password") is not None,
        }
    student = authenticator.create_user("student-1", "a-long-enough-password")
    out["student"] = {
        "signed_up": student is not None,
        "authorized": bool(student and student.is_authorized),
        "login_before_approval": await authenticator.authenticate(
            None, {"username": "student-1", "password": "a-long-enough-password"}
        ),
    }
    return out


def lti13(authenticator: Any, c: Any, request: dict[str, Any]) -> dict[str, Any]:
    hook = c.Authenticator.post_auth_hook
    claim = request["claim"]
    out = {}
    for name, roles in request["launches"].items():
        result = hook(authenticator, None, {"name": name, "auth_state": {claim: roles}})
        out[name] = result["admin"]
    return out


class KeySet(http.server.BaseHTTPRequestHandler):
    """The platform's JSON Web Key Set, as its jwksUrl serves it."""

    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        return None


async def lti13_launches(authenticator: Any, request: dict[str, Any]) -> dict[str, Any]:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa
    from ltiauthenticator.lti13.error import ValidationError
    from ltiauthenticator.lti13.validator import LTI13LaunchValidator

    platform = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(platform.public_key()))
    KeySet.body = json.dumps({"keys": [{**public, "kid": "platform", "alg": "RS256", "use": "sig"}]}).encode()
    server = http.server.HTTPServer(("127.0.0.1", 0), KeySet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # The platform's key set, served here: the one setting changed from the rendered login.
    authenticator.jwks_endpoint = f"http://127.0.0.1:{server.server_port}/jwks"
    validator = LTI13LaunchValidator()
    out: dict[str, Any] = {}
    try:
        for name, launch in request["launches"].items():
            now = int(time.time())
            claims = {
                "iss": authenticator.issuer,
                "aud": sorted(authenticator.client_id)[0],
                "iat": now,
                "exp": now + 300,
                "nonce": f"nonce-{name}",
                "sub": f"sub-{name}",
                **request["common"],
                **launch["claims"],
            }
            key = stranger if launch.get("signed_by") == "stranger" else platform
            token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "platform"})
            try:
                # What LTI13CallbackHandler.decode_and_validate_launch_request does with the form.
                validator.validate_auth_response({"id_token": token, "state": "state"})
                id_token = validator.verify_and_decode_jwt(
                    encoded_jwt=token,
                    issuer=authenticator.issuer,
                    audience=authenticator.client_id,
                    jwks_endpoint=authenticator.jwks_endpoint,
                    jwks_algorithms=authenticator.jwks_algorithms,
                )
                validator.validate_id_token(id_token)
                validator.validate_azp_claim(id_token, authenticator.client_id)
            except ValidationError as error:
                out[name] = {"refused": f"{type(error).__name__}"}
                continue
            user = await authenticator.get_authenticated_user(None, id_token)
            out[name] = (
                {"refused": "login"}
                if user is None
                else {"name": user["name"], "admin": user["admin"], "groups": user.get("groups")}
            )
    finally:
        server.shutdown()
    return out


if __name__ == "__main__":
    main()
