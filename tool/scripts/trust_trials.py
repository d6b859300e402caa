"""Adversarial trials (not part of `make test`): hostile inputs, corrupted trees, planted state.

    .venv/bin/python tool/scripts/trust_trials.py [--inputs 300] [--trees 60] [--seed 7]

A benchmark-style count of what `hubfleet` does with what nobody should hand it, in the same
families as the audit of issue 26, each run as a separate process (so a crash is an exit code,
a hang a timeout):

- inputs: a hub file of random YAML structure (complex keys, brackets, anchors, aliases, tags,
  deep nesting, huge numbers) rendered: tracebacks, segfaults, hangs;
- trees: a rendered file of the example replaced by hostile YAML, then `validate`: the same;
- state: planted journals whose paths leave the tree, a lock symlinked to a file outside,
  gitops/ and its state folder symlinked out: files written or removed outside the project;
- placements: secrets placed the ways the audit placed them: how many validate reports.

Prints one table; exits 1 if any count that should be zero is not. Kill -9 trials are
tool/scripts/crash_test.py (`make crash`); AWS faults are in tests/unit/aws/test_aws_scale.py.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

REPO = Path(__file__).resolve().parents[2]
PIECES = ["? ", ": ", "- ", "[", "]", "{", "}", ", ", "&a ", "*a", "&b ", "*b", "!!set ", "!!python/object ",
          "!x ", "\n", "  ", "---\n", "'q'", '"d"', "1", "x", "9" * 30, "|\n  t\n", "<<: *a\n", "#c\n"]  # fmt: skip
TIMEOUT = 60
#: Placements of a secret, with where they go (the families of the audit's 51).
PLACEMENTS = {
    "gitops/a/tagged.yaml": "apiVersion: v1\nkind: !!str Secret\nmetadata: {name: db}\ndata: {p: aHVudGVyMg==}\n",
    "gitops/a/escaped.json": '{"kind": "\\u0053ecret", "metadata": {"name": "db"}, "data": {"p": "aHVudGVyMg=="}}',
    "gitops/a/block.yaml": "kind: |-\n  Secret\nmetadata: {name: db}\ndata: {p: aHVudGVyMg==}\n",
    "gitops/a/alias.yaml": "metadata: {name: db, labels: {k: &k Secret}}\nkind: *k\ndata: {p: aHVudGVyMg==}\n",
    "gitops/a/sealed.yaml": "kind: SealedSecret\nmetadata: {name: db}\nspec: {template: {data: {p: aHVudGVyMg==}}}\n",
    "gitops/a/kustomization.yaml": "secretGenerator:\n- name: db\n  literals: [password=hunter2]\n",
    "clusters/clusterA/kubeconfig": "kind: Config\nusers:\n- name: a\n  user: {token: hunter2}\n",
    "clusters/clusterA/.env": "DB_PASSWORD=hunter2\n",
    "clusters/clusterA/credentials": "[default]\naws_secret_access_key = hunter2\n",
    "clusters/clusterA/backup.asc": "-----BEGIN PGP " + "PRIVATE KEY BLOCK-----\nx\n",
    "clusters/clusterA/notes.md": "token ghp" + "_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8\n",
    "clusters/clusterA/aws.txt": "AKIA" + "IOSFODNN7EXAMPLE\n",
}


@dataclass
class Counts:
    tried: int = 0
    tracebacks: int = 0
    segfaults: int = 0
    hangs: int = 0
    notes: list[str] = field(default_factory=list)


def hubfleet(root: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    command = [sys.executable, "-m", "hubfleet", "--root", str(root), *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return None


def count(counts: Counts, done: subprocess.CompletedProcess[str] | None, what: str) -> None:
    counts.tried += 1
    if done is None:
        counts.hangs += 1
        counts.notes.append(f"hang: {what}")
    elif done.returncode < 0 or done.returncode == 139:
        counts.segfaults += 1
        counts.notes.append(f"signal {done.returncode}: {what}")
    elif "Traceback" in done.stderr:
        counts.tracebacks += 1
        counts.notes.append(f"traceback: {what}: {done.stderr.strip().splitlines()[-1][:120]}")


def example(folder: Path) -> Path:
    root = folder / "project"
    root.mkdir(parents=True)
    for name in ("clusters", "charts"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "charts.lock", root / "charts.lock")
    done = hubfleet(root, "render", "--all")
    assert done is not None and done.returncode == 0, done
    return root


#: Structures that crashed or hung parsers, grown to a random size.
SHAPES: list[Callable[[int], str]] = [
    lambda n: "? " * n + "x\n",
    lambda n: "a: " + "[" * n + "]" * n + "\n",
    lambda n: "".join(" " * i + "- \n" for i in range(0, 2 * min(n, 3000), 2)),
    lambda n: "a: &x [1, *x]\n",
    lambda n: "a: !!set {x}\nb: !!python/object:os.system x\n",
    lambda n: "1: x\n? [a]\n: b\n",
    lambda n: "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else 'lol'}]\n" for i in range(9)),
    lambda n: "a: " + "9" * min(n, 5000) + "\n",
]


def hostile(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(SHAPES)(rng.choice([100, 1000, 10_000, 100_000]))
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 400)))


def inputs(rng: random.Random, trials: int, work: Path) -> Counts:
    counts = Counts()
    root = example(work / "inputs")
    hub = root / "clusters/clusterA/hubs/datalab.yaml"
    for index in range(trials):
        hub.write_text(
            hostile(rng) if index % 3 else "name: datalab\nuser: " + "[" * rng.randint(10, 200_000)
        )
        count(counts, hubfleet(root, "render", "clusterA"), f"input {index}")
    return counts


def trees(rng: random.Random, trials: int, work: Path) -> Counts:
    counts = Counts()
    root = example(work / "trees")
    files = sorted(p for p in (root / "gitops").rglob("*.yaml") if ".hubfleet" not in p.parts)
    for index in range(trials):
        target = rng.choice(files)
        original = target.read_bytes()
        target.write_text(hostile(rng))
        done = hubfleet(root, "validate", "--skip", "charts", "--skip", "flux", "--skip", "freshness")
        count(counts, done, f"tree {index} ({target.relative_to(root)})")
        target.write_bytes(original)
    return counts


def state(work: Path) -> tuple[int, int]:
    """(cases, cases that wrote or removed anything outside the project)."""
    cases, escaped = 0, 0
    for case in ("journal-up", "journal-inputs", "lock-link", "gitops-link", "state-link"):
        root = example(work / "state" / case)
        outside = work / "state" / f"{case}-outside"
        outside.mkdir()
        victim = outside / "victim.txt"
        victim.write_text("keep")
        state_dir = root / "gitops" / ".hubfleet"
        if case.startswith("journal"):
            target = (
                "../../" + f"{case}-outside/victim.txt"
                if case == "journal-up"
                else "../clusters/clusterA/cluster.yaml"
            )
            (state_dir / "journal.json").write_text(json.dumps(
                {"txn": "txn-x", "direction": "forward", "added": [], "changed": [], "removed": [target]}))  # fmt: skip
        elif case == "lock-link":
            (state_dir / "lock").unlink()
            (state_dir / "lock").symlink_to(victim)
        elif case == "gitops-link":
            (root / "gitops").rename(outside / "gitops")
            (root / "gitops").symlink_to(outside / "gitops")
        else:
            shutil.rmtree(state_dir)
            state_dir.symlink_to(outside)
        before = sorted(str(p) for p in outside.rglob("*")), victim.read_text()
        cluster = (root / "clusters/clusterA/cluster.yaml").read_bytes()
        (root / "clusters/clusterA/hubs/bio150.yaml").unlink()
        hubfleet(root, "render", "clusterA")
        hubfleet(root, "validate", "--skip", "charts", "--skip", "flux")
        after = sorted(str(p) for p in outside.rglob("*")), victim.read_text()
        cases += 1
        kept = (root / "clusters/clusterA/cluster.yaml").exists() and (
            root / "clusters/clusterA/cluster.yaml"
        ).read_bytes() == cluster
        escaped += int(before != after or not kept)
    return cases, escaped


def placements(work: Path) -> tuple[int, int]:
    root = example(work / "placements")
    for path, text in PLACEMENTS.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    done = hubfleet(
        root, "validate", "--skip", "charts", "--skip", "flux", "--skip", "freshness", "--skip", "objects"
    )
    output = done.stdout if done else ""
    caught = sum(1 for path in PLACEMENTS if any(line.startswith(f"{path}:") for line in output.splitlines()))
    return len(PLACEMENTS), caught


# AWS through an error-injecting proxy --------------------------------------------------------

#: What the proxy does to the one UpdateAutoScalingGroup request: answer a 200 of its own
#: (HTML, empty, garbage XML) without forwarding, forward and then drop the answer, stall, or a 500.
AWS_FAULTS = ("html-200", "empty-200", "garbage-200", "forward-then-drop", "drop", "stall", "500", "none")


class _Proxy(http.server.BaseHTTPRequestHandler):
    upstream: ClassVar[str] = ""
    fault: ClassVar[str] = "none"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        faulty = b"Action=UpdateAutoScalingGroup" in body and self.fault != "none"
        if faulty and self.fault in ("html-200", "empty-200", "garbage-200"):
            answer = {"html-200": b"<html>ok</html>", "empty-200": b"", "garbage-200": b"<x><y/></x>"}[
                self.fault
            ]
            self._send(200, answer)
            return
        if faulty and self.fault == "drop":
            self.connection.close()
            return
        if faulty and self.fault == "stall":
            time.sleep(30)
            self.connection.close()
            return
        if faulty and self.fault == "500":
            self._send(500, b"<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>")
            return
        request = urllib.request.Request(self.upstream + self.path, data=body, method="POST",
                                         headers={k: v for k, v in self.headers.items() if k.lower() != "host"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = response.read()
        if faulty and self.fault == "forward-then-drop":
            self.connection.close()
            return
        self._send(200, answer)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def aws(work: Path) -> tuple[int, int, int]:
    """(trials, partial changes: cluster.yaml and the group disagreeing afterwards, tracebacks)."""
    import boto3
    from moto.server import ThreadedMotoServer

    from hubfleet.system.yaml_reader import load_one

    root = example(work / "aws")
    cluster_file = root / "clusters/clusterA/cluster.yaml"
    cluster_file.write_text(
        cluster_file.read_text().replace('accountId: "111122223333"', 'accountId: "123456789012"')
    )
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_SHARED_CREDENTIALS_FILE": str(work / "none"),
           "AWS_CONFIG_FILE": str(work / "none"), "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}  # fmt: skip
    os.environ.update(env)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    _Proxy.upstream = f"http://{host}:{port}"
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{proxy.server_address[1]}"
    asg = boto3.client("autoscaling", region_name="us-west-2", endpoint_url=_Proxy.upstream)
    ec2 = boto3.client("ec2", region_name="us-west-2", endpoint_url=_Proxy.upstream)
    image = ec2.register_image(Name="node", RootDeviceName="/dev/xvda")["ImageId"]
    template = ec2.create_launch_template(LaunchTemplateName="core", LaunchTemplateData={"ImageId": image,
                                          "InstanceType": "t3a.medium"})["LaunchTemplate"]["LaunchTemplateId"]  # fmt: skip
    name = "eksctl-clusterA-nodegroup-core-v1-35-NodeGroup-X"
    asg.create_auto_scaling_group(
        AutoScalingGroupName=name, MinSize=1, MaxSize=10, DesiredCapacity=1, AvailabilityZones=["us-west-2b"],
        LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
        Tags=[{"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": k, "Value": v, "PropagateAtLaunch": True}
              for k, v in {"alpha.eksctl.io/cluster-name": "clusterA",
                           "alpha.eksctl.io/nodegroup-name": "core-v1-35"}.items()],
    )  # fmt: skip
    trials = partial = tracebacks = 0
    try:
        for index, fault in enumerate(AWS_FAULTS * 3):
            _Proxy.fault = fault
            wanted = 11 + index
            command = [sys.executable, "-m", "hubfleet", "--root", str(root), "aws", "scale", "clusterA", "core",
                       "--max", str(wanted)]  # fmt: skip
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT * 4, check=False,
                                      env={**env, "AWS_ENDPOINT_URL": endpoint})  # fmt: skip
                if "Traceback" in done.stderr:
                    tracebacks += 1
                    print(f"    traceback after {fault}: {done.stderr.strip().splitlines()[-1][:160]}")
            except subprocess.TimeoutExpired:
                tracebacks += 1
                print(f"    no end after {fault} in {TIMEOUT * 4} s")
            in_git = load_one(cluster_file.read_text())["nodeGroups"]["core"]["maxSize"] == wanted
            group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
            if in_git != (group["MaxSize"] == wanted):
                partial += 1
                print(f"    partial change after {fault}: cluster.yaml {'has' if in_git else 'lacks'} maxSize "
                      f"{wanted}, the group shows {group['MaxSize']}")  # fmt: skip
            trials += 1
    finally:
        proxy.shutdown()
        server.stop()
    return trials, partial, tracebacks


# GitHub answering plan comment ---------------------------------------------------------------

TOKEN = "ghs_" + "t" * 36
#: Ways a GitHub (or something in its place) answers the comment list.
GITHUB_ANSWERS: dict[str, tuple[int, bytes, dict[str, str]]] = {
    "endless pages": (
        200,
        json.dumps([{"id": n, "body": "x", "user": {"type": "User"}} for n in range(100)]).encode(),
        {},
    ),
    "not a list": (200, b'{"message": "ok"}', {}),
    "null": (200, b"null", {}),
    "strings": (200, b'["a", "b"]', {}),
    "ids as strings": (200, b'[{"id": "7", "body": "<!-- hubfleet-plan -->", "user": {"type": "Bot"}}]', {}),
    "user null": (200, b'[{"id": 7, "body": "<!-- hubfleet-plan -->", "user": null}]', {}),
    "html": (200, b"<html>rate limited</html>", {}),
    "huge": (200, b"[" + b" " * (20 * 1024 * 1024) + b"]", {}),
    "echo token 401": (401, b"", {"X-Echo": "1"}),
    "403": (403, b'{"message": "Resource not accessible"}', {}),
    "redirect elsewhere": (302, b"", {"Location": "http://127.0.0.1:9/steal"}),
    "500": (500, b"", {}),
}


class _GitHub(http.server.BaseHTTPRequestHandler):
    answer: ClassVar[tuple[int, bytes, dict[str, str]]] = (200, b"[]", {})
    requests: ClassVar[int] = 0

    def _reply(self) -> None:
        with contextlib.suppress(OSError):  # the client gave up (a bound it keeps): nothing to say
            self._answer()

    def _answer(self) -> None:
        type(self).requests += 1
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, body, headers = self.answer
        if self.command != "GET":
            status, body, headers = 201, b'{"html_url": "u"}', {}
        if headers.get("X-Echo"):
            body = json.dumps({"message": f"Bad credentials {self.headers.get('Authorization')}"}).encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = _reply

    def log_message(self, *args: Any) -> None:
        pass


def github(work: Path) -> tuple[int, int, int, int]:
    """(answers, tracebacks, hangs, outputs holding the token)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _GitHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    event = work / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    plan = work / "plan.md"
    plan.write_text("<!-- hubfleet-plan -->\n" + "x" * 200_000)
    env = {**os.environ, "GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "uni/hubs", "GITHUB_EVENT_PATH": str(event),
           "GITHUB_API_URL": f"http://127.0.0.1:{server.server_address[1]}"}  # fmt: skip
    tracebacks = hangs = leaks = 0
    try:
        for answer in GITHUB_ANSWERS.values():
            _GitHub.answer = answer
            try:
                done = subprocess.run([sys.executable, "-m", "hubfleet", "plan", "comment", str(plan)],
                                      capture_output=True, text=True, timeout=TIMEOUT * 2, env=env, check=False)  # fmt: skip
            except subprocess.TimeoutExpired:
                hangs += 1
                continue
            tracebacks += "Traceback" in done.stderr
            leaks += TOKEN in done.stdout + done.stderr
    finally:
        server.shutdown()
    return len(GITHUB_ANSWERS), tracebacks, hangs, leaks


# kill -9 and concurrent renders ----------------------------------------------------------------


def kills(kill_count: int, races: int) -> str:
    """tool/scripts/crash_test.py's own summary line (it classifies every tree after the next command)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("crash_test.py")), "--clusters", "3", "--hubs", "10",
         "--kills", str(kill_count), "--races", str(races)],
        capture_output=True, text=True, timeout=3600, check=False,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return " | ".join(lines[-3:]) if lines else done.stderr.strip()[-200:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=300)
    parser.add_argument("--trees", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kills", type=int, default=64)
    parser.add_argument("--races", type=int, default=25)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    with tempfile.TemporaryDirectory(prefix="hubfleet-trials-") as tmp:
        work = Path(tmp)
        found = {"render hostile inputs": inputs(rng, options.inputs, work),
                 "validate corrupted trees": trees(rng, options.trees, work)}  # fmt: skip
        cases, escaped = state(work)
        planted, caught = placements(work)
        aws_trials, partial, aws_tracebacks = aws(work)
        answers, gh_tracebacks, gh_hangs, gh_leaks = github(work)
    crash = kills(options.kills, options.races)
    print(f"{'family':<26} {'tried':>6} {'tracebacks':>11} {'segfaults':>10} {'hangs':>6}")
    for name, counts in found.items():
        print(
            f"{name:<26} {counts.tried:>6} {counts.tracebacks:>11} {counts.segfaults:>10} {counts.hangs:>6}"
        )
        for note in counts.notes[:5]:
            print(f"    {note}")
    print(f"{'planted state':<26} {cases:>6} cases, {escaped} wrote or removed outside the project")
    print(f"{'secret placements':<26} {planted:>6} planted, {caught} reported by validate")
    print(
        f"{'aws scale, faults':<26} {aws_trials:>6} faults, {partial} partial changes, {aws_tracebacks} tracebacks or hangs"
    )
    print(
        f"{'plan comment, answers':<26} {answers:>6} answers, {gh_tracebacks} tracebacks, {gh_hangs} hangs, "
        f"{gh_leaks} printed the token"
    )
    print(f"{'kill -9 and races':<26} {crash}")
    bad = sum(c.tracebacks + c.segfaults + c.hangs for c in found.values()) + escaped + (planted - caught)
    bad += partial + aws_tracebacks + gh_tracebacks + gh_hangs + gh_leaks
    return 1 if bad else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
