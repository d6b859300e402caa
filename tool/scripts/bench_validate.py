"""Benchmark (not a test): `hubfleet validate` over a synthetic fleet, all of it and one cluster.

    .venv/bin/python tool/scripts/bench_validate.py [--clusters 30] [--hubs 50] [--schemas DIR]

Builds the fleet of bench_render.make_fleet in a temporary folder, copies charts/,
gives every cluster a sealing certificate and a sealed TLS secret (one throwaway
key pair, made here and dropped afterwards), renders it, then times, each in a
fresh process, `hubfleet validate` of every cluster and of one cluster, with peak
memory (ru_maxrss of the child). helm and kubectl come from .tools/bin, schemas
from --schemas (default $HUBFLEET_SCHEMA_LOCATION or ../shared/upstream).
Targets on a 2-core machine: everything < 60 s, one cluster of 50 hubs < 5 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_render import make_fleet
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hubfleet.project import Project
from hubfleet.sealing.keys import generate_sealing_key
from hubfleet.sealing.seal import seal_tls

REPO = Path(__file__).resolve().parents[2]


def write_tls_pair(folder: Path, now: datetime) -> tuple[Path, Path]:
    """A self-signed wildcard certificate for every fleet domain (*.hubs.example.org) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "*.hubs.example.org")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("*.hubs.example.org")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "tls.crt", folder / "tls.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def seal_fleet(root: Path, names: list[str], scratch: Path) -> None:
    """One sealing key for the whole fleet (it is a benchmark), and each cluster's TLS secret sealed."""
    now = datetime.now(UTC)
    _, sealing = generate_sealing_key(now, bits=2048)
    pem = sealing.public_bytes(serialization.Encoding.PEM)
    cert, key = write_tls_pair(scratch, now)
    project = Project(root)
    for name in names:
        project.sealing_cert(name).write_bytes(pem)
        seal_tls(project, name, cert, key, now)


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS of the child in MB, its exit status and its last line of output."""
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    lines = result.stdout.strip().splitlines() or result.stderr.strip().splitlines() or [""]
    return seconds, peak, result.returncode, lines[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=30)
    parser.add_argument("--hubs", type=int, default=50)
    default = os.environ.get("HUBFLEET_SCHEMA_LOCATION", str(REPO.parent / "shared" / "upstream"))
    parser.add_argument("--schemas", default=default, help="the upstream schema folder")
    args = parser.parse_args()
    hubfleet = str(Path(sys.executable).with_name("hubfleet"))
    env = {
        **os.environ,
        "HUBFLEET_SCHEMA_LOCATION": str(Path(args.schemas).resolve()),
        "PATH": f"{REPO / '.tools' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    with tempfile.TemporaryDirectory() as tmp:
        root, scratch = Path(tmp) / "fleet", Path(tmp) / "scratch"
        scratch.mkdir()
        names = make_fleet(root, args.clusters, args.hubs)
        shutil.copytree(REPO / "charts", root / "charts")
        seal_fleet(root, names, scratch)
        subprocess.run([hubfleet, "--root", str(root), "render", "--all"], check=True, capture_output=True)
        files = sum(1 for _ in (root / "gitops").rglob("*.yaml"))
        base = [hubfleet, "--root", str(root), "validate"]
        # The smaller run first: a child's peak memory is the largest of any child so far.
        one = timed([*base, names[0]], env)
        runs = [(f"one cluster ({names[0]})", one), ("all clusters", timed(base, env))]
    kubeconform = shutil.which("kubeconform", path=env["PATH"])
    print(
        f"fleet: {args.clusters} clusters x {args.hubs} hubs = {args.clusters * args.hubs} hubs, {files} files"
    )
    print(
        f"object schemas: {'kubeconform' if kubeconform else 'jsonschema (in process)'}; {os.cpu_count()} CPUs"
    )
    for label, (seconds, peak, status, last) in runs:
        print(f"validate {label + ':':28} {seconds:6.2f} s  peak {peak:5.0f} MB  exit {status}  ({last})")
    return 0 if all(status == 0 for _, (_, _, status, _) in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
