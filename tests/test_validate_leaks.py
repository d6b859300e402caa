"""validate finds plaintext secrets wherever and however they are committed, and never prints one.

Each case is a way a Secret or a private key slipped past the first scanner (issue 10):
flux-system and dot-folders, JSON and flow style, `kind: List`, a loose file under clusters/,
a NUL byte, UTF-16, a file over 4 MiB, and a scoped run over a non-YAML file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from test_validate_support import copy_example, findings, require_environment, run_validate

#: Only the lint layer (where the leak checks run) and the inputs it needs.
ONLY_LINT = ("--skip", "objects", "--skip", "eksctl", "--skip", "charts", "--skip", "flux")
VALUE = "aHVudGVyMg=="
SEALED = "seal it (hubfleet seal) so only the cluster can read it"
KEY = "a PEM private key is committed here; remove it (from the git history too) and replace the key"
PEM = (
    "-----BEGIN RSA "
    + "PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1t\n-----END RSA "
    + "PRIVATE KEY-----\n"
)
BLOCK = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: {VALUE}\n"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_environment()
    return copy_example(tmp_path_factory.mktemp("leaks") / "project")


@pytest.fixture
def root(example: Path, tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(example, target)
    return target


def leaks(root: Path, *args: str) -> list[str]:
    result = run_validate(root, *ONLY_LINT, *args)
    assert VALUE not in result.output and "hunter2" not in result.output
    return [line for line in findings(result) if "stale" not in line]


def secret_finding(path: str, line: int, field: str = "data") -> str:
    return f"{path}:{line}: Secret/db: {field}: plaintext Secret data in git; {SEALED}"


@pytest.mark.parametrize(
    ("where", "content", "line"),
    [
        ("gitops/clusters/clusterA/flux-system/extra.yaml", BLOCK, 5),
        ("gitops/.drafts/secret.yaml", BLOCK, 5),
        ("clusters/clusterA/.hidden/secret.yaml", BLOCK, 5),
        ("clusters/loose.yaml", BLOCK, 5),
        (
            "clusters/clusterA/secrets/db.json",
            json.dumps(
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"p": VALUE}}
            ),
            1,
        ),
        (
            "clusters/clusterA/flow.yaml",
            f"{{apiVersion: v1, kind: Secret, metadata: {{name: db}}, data: {{p: {VALUE}}}}}\n",
            1,
        ),
        (
            "gitops/hubs/clusterA/list.yaml",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: db}\n"
            "  stringData: {password: hunter2}\n",
            7,
        ),
    ],
)
def test_a_plaintext_secret_is_found_anywhere_in_any_form(
    root: Path, where: str, content: str, line: int
) -> None:
    (root / where).parent.mkdir(parents=True, exist_ok=True)
    (root / where).write_text(content)
    field = "stringData" if "stringData" in content else "data"
    assert leaks(root) == [secret_finding(where, line, field)]


def test_a_scoped_run_scans_every_file_of_its_cluster(root: Path) -> None:
    (root / "clusters/clusterA/secrets/tls.key").write_text(PEM)
    (root / "clusters/loose.yaml").write_text(BLOCK)
    assert leaks(root, "clusterA") == [
        f"clusters/clusterA/secrets/tls.key:1: {KEY}",
        secret_finding("clusters/loose.yaml", 5),
    ]


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("with-nul.txt", b"binary\0header\n" + PEM.encode(), 2),
        ("utf16.pem", PEM.encode("utf-16"), 1),
        ("utf16-no-bom.pem", ("notes\n" + PEM).encode("utf-16-le"), 2),
        ("huge.log", b"x" * (5 * 1024 * 1024) + b"\n" + PEM.encode(), 2),
    ],
)
def test_a_private_key_is_found_in_any_encoding_and_size(
    root: Path, name: str, content: bytes, line: int
) -> None:
    (root / "clusters/clusterA" / name).write_bytes(content)
    assert leaks(root) == [f"clusters/clusterA/{name}:{line}: {KEY}"]


def test_a_secret_in_utf16_is_parsed(root: Path) -> None:
    (root / "clusters/clusterA/utf16.yaml").write_bytes(BLOCK.encode("utf-16"))
    assert leaks(root) == [secret_finding("clusters/clusterA/utf16.yaml", 5)]


def test_a_huge_file_mentioning_a_secret_is_a_finding(root: Path) -> None:
    (root / "clusters/clusterA/dump.yaml").write_text(BLOCK + "# " + "x" * (5 * 1024 * 1024) + "\n")
    assert leaks(root) == [
        "clusters/clusterA/dump.yaml: mentions kind: Secret but is larger than 4 MiB, too large to parse; "
        "hubfleet cannot tell whether it is sealed: commit only SealedSecrets"
    ]


def test_a_symlink_out_of_the_project_is_a_finding_and_never_read(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "id_rsa"
    outside.write_text(PEM)
    (root / "gitops/hubs/clusterA/key.pem").symlink_to(outside)
    assert leaks(root) == [
        "gitops: refusing to write or delete through symlinks (they could lead out of the project); replace them "
        "with real folders and files: gitops/hubs/clusterA/key.pem",
        "gitops/hubs/clusterA/key.pem: is a symlink to a place outside the project; hubfleet reads only files "
        "inside it (copy the file in)",
    ]
