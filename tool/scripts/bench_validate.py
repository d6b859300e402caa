"""Benchmark (not a test): `hubfleet validate` over a synthetic fleet, every release expanded.

    .venv/bin/python tool/scripts/bench_validate.py [--clusters 30] [--hubs 50] [--mirror URL]

Builds the fleet of tool/scripts/fleet.py (every hub's values distinct, so nothing is
deduplicated away) in a temporary folder, copies charts/ and charts.lock, gives every
cluster a sealing certificate and a sealed TLS secret (one throwaway key pair), renders
it, then times, each in a fresh process, with peak memory:

- cold: `hubfleet validate` of everything with an empty chart cache;
- warm: the same again, nothing changed;
- one hub changed, `hubfleet validate` of its cluster;
- the sharded pull-request job: `validate CLUSTER` for --sample clusters, each with the chart
  packages cached but its expansions cold, then warm; `validate --fleet`; and the wall time
  with one runner per cluster (the slowest shard or the fleet job). Targets: cold < 15 s per
  cluster, warm < 2 s, fleet-wide < 10 s;
- the plain way, for comparison: one `helm template` process per HelmRelease of one
  cluster, sequentially, extrapolated to the fleet (said so in the output).

Charts come from --mirror, default: HUBFLEET_CHART_MIRROR, else HUBFLEET_UPSTREAM's charts/ served on loopback. helm
and kubectl from .tools/bin; schemas are the installed ones.
Targets on a 2-core machine: cold < 120 s, warm < 15 s, one hub < 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hubfleet.sealing.keys import generate_sealing_key
from hubfleet.sealing.seal import seal_tls
from hubfleet.system.project import Project

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))
from fleet import make_fleet  # noqa: E402 (the script folder is not a package)
from serve_charts import benchmark_mirror  # noqa: E402


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


def plain_loop(root: Path, cluster: str, helm: str, cache: Path, scratch: Path) -> tuple[float, int]:
    """One `helm template` per HelmRelease of `cluster`, one after another: the plain way."""
    from hubfleet.system.yaml_reader import loader
    from hubfleet.upstream.cache import read_lock

    lock = {ref.chart: digest for ref, digest in read_lock(root / "charts.lock").items()}
    commands: list[list[str]] = []
    for path in sorted((root / "gitops").rglob("*.yaml")):
        if f"/{cluster}/" not in path.as_posix() and not path.name.startswith(cluster):
            continue
        for document in loader().load_all(path.read_text()):
            if not isinstance(document, dict) or document.get("kind") != "HelmRelease":
                continue
            spec = document["spec"]
            chart = spec["chart"]["spec"]
            values = scratch / f"{len(commands)}.json"
            values.write_text(json.dumps(spec.get("values") or {}))
            if chart["sourceRef"]["kind"] == "GitRepository":
                package = str(root / chart["chart"])
            else:
                package = str(cache / "sha256" / f"{lock[chart['chart']]}.tgz")
            namespace = spec.get("targetNamespace") or document["metadata"]["namespace"]
            commands.append(
                [
                    helm,
                    "template",
                    spec.get("releaseName", "x"),
                    package,
                    "--namespace",
                    namespace,
                    "--kube-version",
                    "1.32.0",
                    "--include-crds",
                    "--skip-schema-validation",
                    "-f",
                    str(values),
                ]
            )
    start = time.perf_counter()
    for command in commands:
        subprocess.run(command, capture_output=True, check=False)
    return time.perf_counter() - start, len(commands)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=30)
    parser.add_argument("--hubs", type=int, default=50)
    parser.add_argument("--sample", type=int, default=3, help="clusters timed one by one for the sharded job")
    parser.add_argument(
        "--mirror",
        help="chart mirror URL (default: HUBFLEET_CHART_MIRROR, else HUBFLEET_UPSTREAM's charts/ on loopback)",
    )
    args = parser.parse_args()
    hubfleet = str(Path(sys.executable).with_name("hubfleet"))
    helm = str(REPO / ".tools" / "bin" / "helm")
    with tempfile.TemporaryDirectory() as tmp:
        root, scratch, cache = Path(tmp) / "fleet", Path(tmp) / "scratch", Path(tmp) / "cache"
        scratch.mkdir()
        env = {
            **os.environ,
            "HUBFLEET_SCHEMA_LOCATION": "",
            "HUBFLEET_CHART_MIRROR": args.mirror or benchmark_mirror(),
            "HUBFLEET_CHART_CACHE": str(cache),
            "PATH": f"{REPO / '.tools' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        names = make_fleet(root, args.clusters, args.hubs)
        shutil.copy(REPO / "charts.lock", root / "charts.lock")
        seal_fleet(root, names, scratch)
        subprocess.run([hubfleet, "--root", str(root), "render", "--all"], check=True, capture_output=True)
        files = sum(1 for _ in (root / "gitops").rglob("*.yaml"))
        base = [hubfleet, "--root", str(root), "validate"]
        one_cluster = timed([*base, names[0]], env)  # cold for one cluster's charts; also warms them
        # The sharded pull-request job: one runner per cluster, all sharing the chart packages
        # (cached by charts.lock) but not each other's expansions; and the fleet-wide job.
        per_cluster_cold, per_cluster_warm = [], []
        for name in names[: args.sample]:
            shutil.rmtree(cache / "expansions", ignore_errors=True)
            per_cluster_cold.append(timed([*base, name], env))
            per_cluster_warm.append(timed([*base, name], env))
        fleet_job = timed([*base, "--fleet"], env)
        shutil.rmtree(cache)
        cold = timed(base, env)
        warm = timed(base, env)
        hub = root / "clusters" / names[0] / "hubs" / "hub000.yaml"
        hub.write_text(hub.read_text().replace("size: 10Gi", "size: 11Gi"))
        subprocess.run([hubfleet, "--root", str(root), "render", names[0]], check=True, capture_output=True)
        one_hub = timed([*base, names[0]], env)
        plain, releases = plain_loop(root, names[0], helm, cache, scratch)
    fleet_releases = releases * args.clusters
    plain_fleet = plain * args.clusters
    print(
        f"fleet: {args.clusters} clusters x {args.hubs} hubs = {args.clusters * args.hubs} hubs, {files} files"
    )
    print(f"object schemas: jsonschema (in process); {os.cpu_count()} CPUs")
    for label, (seconds, peak, status, last) in (
        ("one cluster, first", one_cluster),
        ("everything, cold cache", cold),
        ("everything, warm", warm),
        ("one hub changed, its cluster", one_hub),
    ):
        print(f"validate {label + ':':32} {seconds:6.2f} s  peak {peak:5.0f} MB  exit {status}  ({last})")
    cold_max = max(run[0] for run in per_cluster_cold)
    warm_max = max(run[0] for run in per_cluster_warm)
    print(
        f"sharded job ({len(per_cluster_cold)} of {args.clusters} clusters timed, each with its own expansions):"
    )
    print(f"  per cluster, cold: {', '.join(f'{r[0]:.1f}' for r in per_cluster_cold)} s  (target < 15 s)")
    print(f"  per cluster, warm: {', '.join(f'{r[0]:.1f}' for r in per_cluster_warm)} s  (target < 2 s)")
    print(f"  fleet-wide job:    {fleet_job[0]:.1f} s  exit {fleet_job[2]}  (target < 10 s)")
    print(
        f"  wall time with one runner per cluster: {max(cold_max, fleet_job[0]):.1f} s cold, "
        f"{max(warm_max, fleet_job[0]):.1f} s warm, beside {cold[0]:.1f} s / {warm[0]:.1f} s for the whole "
        "fleet in one job"
    )
    print(
        f"plain way: {releases} helm template runs for {names[0]} took {plain:.2f} s sequentially; "
        f"x {args.clusters} clusters = {plain_fleet:.0f} s for about {fleet_releases} releases "
        f"(cold validate is {plain_fleet / cold[0]:.1f}x faster, warm {plain_fleet / warm[0]:.1f}x)"
    )
    statuses = [cold[2], warm[2], one_hub[2], fleet_job[2], *(r[2] for r in per_cluster_cold)]
    return 0 if all(status == 0 for status in statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
