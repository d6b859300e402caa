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
tool/scripts/crash_test.py (`make crash`); AWS faults are in tests/test_aws_scale.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=300)
    parser.add_argument("--trees", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    with tempfile.TemporaryDirectory(prefix="hubfleet-trials-") as tmp:
        work = Path(tmp)
        found = {"render hostile inputs": inputs(rng, options.inputs, work),
                 "validate corrupted trees": trees(rng, options.trees, work)}  # fmt: skip
        cases, escaped = state(work)
        planted, caught = placements(work)
    print(f"{'family':<26} {'tried':>6} {'tracebacks':>11} {'segfaults':>10} {'hangs':>6}")
    for name, counts in found.items():
        print(
            f"{name:<26} {counts.tried:>6} {counts.tracebacks:>11} {counts.segfaults:>10} {counts.hangs:>6}"
        )
        for note in counts.notes[:5]:
            print(f"    {note}")
    print(f"{'planted state':<26} {cases:>6} cases, {escaped} wrote or removed outside the project")
    print(f"{'secret placements':<26} {planted:>6} planted, {caught} reported by validate")
    bad = sum(c.tracebacks + c.segfaults + c.hangs for c in found.values()) + escaped + (planted - caught)
    return 1 if bad else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
