"""A real OCI registry on loopback for the image-lock tests (no tests here).

Debian's `docker-registry` (the CNCF distribution server) serves a temporary folder; images are
built here as OCI layouts (a config, one small layer, a manifest) and pushed by `skopeo`, as a
site pushes to its own registry. With `token=True` the registry takes the distribution token
flow: a token service here signs JWTs with a key whose certificate the registry trusts, grants
anonymous pulls of repositories with a `public` component, and wants the Docker login for anything else.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.server
import io
import json
import shutil
import socket
import subprocess
import tarfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from conftest import require

LOGIN = ("site-robot", "s3cret-pull")
SERVICE, ISSUER = "hubfleet-test-registry", "hubfleet-test-tokens"


def require_registry() -> None:
    """Skip without the Debian packages (`make registry-tools`); in CI fail instead."""
    for tool in ("docker-registry", "skopeo"):
        require(shutil.which(tool) is not None, f"{tool} not found; run `make registry-tools`")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenService:
    """Signs distribution-spec bearer tokens (RS256, the certificate in the x5c header)."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @classmethod
    def make(cls) -> TokenService:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256())
        )  # fmt: skip
        return cls(key, cert)

    def token(self, scope: str, login: tuple[str, str] | None) -> str:
        kind, _, rest = scope.partition(":")
        repository, _, wanted = rest.rpartition(":")
        allowed = [
            a for a in wanted.split(",") if login == LOGIN or (a == "pull" and "/public/" in f"/{repository}")
        ]
        header = {
            "alg": "RS256",
            "typ": "JWT",
            "x5c": [base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()],
        }
        now = int(time.time())
        claims = {
            "iss": ISSUER, "sub": login[0] if login else "", "aud": SERVICE, "exp": now + 300, "nbf": now - 10,
            "iat": now, "jti": f"{now}-{repository}", "access": [{"type": kind, "name": repository, "actions": allowed}],
        }  # fmt: skip
        signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self.key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing}.{_b64(signature)}"


@contextmanager
def token_server(service: TokenService) -> Iterator[str]:
    """The realm URL of a token service on loopback; requests it saw are counted in `.hits`."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlparse(self.path).query)
            login = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                if (user, password) != LOGIN:
                    self.send_response(401)
                    self.end_headers()
                    return
                login = (user, password)
            body = json.dumps({"token": service.token(query.get("scope", [""])[0], login)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/token"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def registry(folder: Path, token: bool = False) -> Iterator[str]:
    """`http://127.0.0.1:PORT` of a distribution registry storing under `folder`."""
    require_registry()
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = [
        "version: 0.1",
        "storage:",
        f"  filesystem: {{rootdirectory: {folder / 'data'}}}",
        "http:",
        f"  addr: 127.0.0.1:{port}",
    ]
    with ExitStack() as stack:
        if token:
            service = TokenService.make()
            bundle = folder / "token-ca.pem"
            bundle.write_bytes(service.cert.public_bytes(serialization.Encoding.PEM))
            realm = stack.enter_context(token_server(service))
            config += [
                "auth:",
                "  token:",
                f"    realm: {realm}",
                f"    service: {SERVICE}",
                f"    issuer: {ISSUER}",
                f"    rootcertbundle: {bundle}",
            ]
        (folder / "config.yml").write_text("\n".join(config) + "\n")
        log = (folder / "registry.log").open("w")
        process = subprocess.Popen(
            ["docker-registry", "serve", str(folder / "config.yml")], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)
            log.close()


def oci_layout(folder: Path, content: bytes) -> Path:
    """An OCI image layout of one image whose one layer holds a file with `content`; tag `t`."""
    blobs = folder / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def blob(data: bytes) -> tuple[str, int]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return f"sha256:{digest}", len(data)

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        entry = tarfile.TarInfo("content.txt")
        entry.size = len(content)
        archive.addfile(entry, io.BytesIO(content))
    layer = gzip.compress(raw.getvalue(), mtime=0)
    layer_digest, layer_size = blob(layer)
    config = {"architecture": "amd64", "os": "linux", "config": {},
              "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()]}}  # fmt: skip
    config_digest, config_size = blob(json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config_size,
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": layer_digest,
                "size": layer_size,
            }
        ],
    }
    manifest_digest, manifest_size = blob(json.dumps(manifest).encode())
    index = {"schemaVersion": 2, "manifests": [{"mediaType": manifest["mediaType"], "digest": manifest_digest,
             "size": manifest_size, "annotations": {"org.opencontainers.image.ref.name": "t"}}]}  # fmt: skip
    (folder / "index.json").write_text(json.dumps(index))
    (folder / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return folder


def push(layout: Path, url: str, name: str, login: tuple[str, str] | None = None) -> str:
    """`skopeo copy` the layout to `url`/`name` (repository:tag); the digest skopeo reports."""
    target = f"docker://{url.removeprefix('http://')}/{name}"
    creds = ["--dest-creds", ":".join(login)] if login else []
    subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", *creds, f"oci:{layout}:t", target],
                   check=True, capture_output=True, text=True, timeout=120)  # fmt: skip
    inspect = ["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", target]
    if login:
        inspect[2:2] = ["--creds", ":".join(login)]
    return subprocess.run(inspect, check=True, capture_output=True, text=True, timeout=60).stdout.strip()
