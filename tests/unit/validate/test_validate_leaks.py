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

from support.validate import copy_example, findings, require_environment, run_validate

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


#: Token values shaped as their issuers publish them; built in pieces so no scanner of this
#: repository's own history takes the test file for a leak.
GITHUB = "ghp" + "_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"
SLACK_HOOK = "https://hooks.slack.com/services/" + "T0000/B0000/" + "XXXXXXXXXXXXXXXXXXXXXXXX"
HEX_SECRET = "0123456789abcdef" * 2 + "01234567"
PGP = "-----BEGIN PGP " + "PRIVATE KEY BLOCK-----\n\nlQOYBF...\n-----END PGP PRIVATE KEY BLOCK-----\n"
OPENSSH = (
    "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n"
)
SECRET_BODY = "metadata:\n  name: db\ndata:\n  password: " + VALUE + "\n"
TOKEN = "a GitHub token is committed here; revoke it, remove it (from the git history too) and keep it in a sealed secret"
PLAIN = "a secret in plain text; keep it out of git, sealed"


@pytest.mark.parametrize(
    ("where", "content", "expected"),
    [
        # Six spellings of kind: Secret that a pattern missed and a parser does not.
        ("gitops/a/tagged.yaml", "apiVersion: v1\nkind: !!str Secret\n" + SECRET_BODY, ["Secret/db: data"]),
        (
            "gitops/a/escaped.json",
            '{"apiVersion": "v1", "kind": "\\u0053ecret", "metadata": {"name": "db"}, '
            '"data": {"p": "' + VALUE + '"}}',
            ["Secret/db: data"],
        ),
        ("gitops/a/block.yaml", "apiVersion: v1\nkind: |-\n  Secret\n" + SECRET_BODY, ["Secret/db: data"]),
        ("gitops/a/folded.yaml", "apiVersion: v1\nkind: >-\n  Secret\n" + SECRET_BODY, ["Secret/db: data"]),
        (
            "gitops/a/anchored.yaml",
            "apiVersion: v1\nmetadata:\n  name: db\n  labels: {k: &k Secret}\nkind: *k\ndata:\n  password: "
            + VALUE
            + "\n",
            ["Secret/db: data"],
        ),
        ("gitops/a/quoted.yaml", 'apiVersion: v1\nkind: "Secr\\x65t"\n' + SECRET_BODY, ["Secret/db: data"]),
        # What else carries secrets as data.
        (
            "gitops/a/sealed.yaml",
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: db}\n"
            "spec:\n  encryptedData: {}\n  template:\n    stringData:\n      password: hunter2\n",
            ["SealedSecret/db: spec.template.stringData"],
        ),
        (
            "gitops/a/kustomization.yaml",
            "secretGenerator:\n- name: db\n  literals: [password=hunter2]\n",
            ["secretGenerator: kustomize makes Secrets"],
        ),
        (
            "clusters/clusterA/kubeconfig",
            "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: hunter2\n",
            ["users[0].user.token: a kubeconfig credential"],
        ),
        (
            "clusters/clusterA/docker.json",
            '{"auths": {"ghcr.io": {"auth": "aHVudGVyMg=="}}}',
            ["auths.ghcr.io: a container registry login"],
        ),
        # Keys and tokens by their shapes.
        ("clusters/clusterA/backup.asc", PGP, [KEY]),
        ("gitops/a/id_ed25519", OPENSSH, [KEY]),
        ("clusters/clusterA/notes.md", f"deploy with {GITHUB}\n", [TOKEN]),
        ("clusters/clusterA/ops.txt", f"key {AWS_ID}\n", ["an AWS access key id is committed here"]),
        ("clusters/clusterA/alerts.txt", f"{SLACK_HOOK}\n", ["a Slack webhook URL is committed here"]),
        # Files that assign secrets line by line.
        ("clusters/clusterA/.env", "HUB_URL=https://x\nDB_PASSWORD=hunter2\n", [f"DB_PASSWORD: {PLAIN}"]),
        (
            "clusters/clusterA/credentials",
            "[default]\naws_secret_access_key = hunter2\n",
            [f"aws_secret_access_key: {PLAIN}"],
        ),
        (
            "clusters/clusterA/.npmrc",
            "//registry.npmjs.org/:_authToken=hunter2\n",
            [f"//registry.npmjs.org/:_authToken: {PLAIN}"],
        ),
    ],
)
def test_each_placement_of_a_secret_is_found_and_never_printed(
    root: Path, where: str, content: str, expected: list[str]
) -> None:
    (root / where).parent.mkdir(parents=True, exist_ok=True)
    (root / where).write_text(content)
    found = leaks(root)
    assert len(found) == len(expected), found
    for line, wanted in zip(found, expected, strict=True):
        assert line.startswith(f"{where}:") and wanted in line, (line, wanted)
    for value in (GITHUB, AWS_ID, SLACK_HOOK, "hunter2", VALUE):
        assert all(value not in line for line in found)


def test_tokens_in_hub_and_cluster_inputs_are_found(root: Path) -> None:
    """A client secret pasted where the client id goes, a token in a profile's description and
    credentials in flux.url: all pass the input layer, none passes the scan."""
    hub = root / "clusters/clusterA/hubs/physics101.yaml"
    text = hub.read_text()
    hub.write_text(text.replace("clientId: Ov23liPhys101Example", f"clientId: {HEX_SECRET}"))
    datalab = root / "clusters/clusterA/hubs/datalab.yaml"
    datalab.write_text(
        datalab.read_text().replace("The lab's usual server", f"The lab's usual server {GITHUB}")
    )
    cluster = root / "clusters/clusterA/cluster.yaml"
    cluster.write_text(
        cluster.read_text().replace("ssh://git@github.com/", f"https://deploy:{GITHUB}@github.com/")
    )
    found = leaks(root)
    assert any(line.startswith("clusters/clusterA/hubs/physics101.yaml:") and "auth.clientId: looks like an "
               "OAuth client secret" in line for line in found), found  # fmt: skip
    assert any(line.startswith("clusters/clusterA/hubs/datalab.yaml:") and TOKEN in line for line in found), (
        found
    )
    assert any(
        line.startswith("clusters/clusterA/cluster.yaml:") and "credentials in a URL" in line
        for line in found
    )
    assert all(GITHUB not in line and HEX_SECRET not in line for line in found)
