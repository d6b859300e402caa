"""Derive the schemas hubfleet ships from upstream files (a maintenance script, not run by users).

    .venv/bin/python tool/scripts/derive_schemas.py UPSTREAM

UPSTREAM is a folder laid out like the reference folder the tests read (HUBFLEET_UPSTREAM): `crds/flux/*.yaml` (the Flux CRDs
`flux bootstrap` installs), `crds/sealed-secrets/*.yaml` (a fallback for when the chart,
which installs it, cannot be expanded: `--offline` with an empty cache, `--skip charts`),
`charts/crd.projectcalico.org.v1-<version>.tgz` (the same fallback for the Calico kinds hubfleet
writes itself, CALICO_KINDS) and `eksctl/clusterconfig-v1alpha5.schema.json`. Writes, under
tool/hubfleet/data/:
- crd-schemas/<group>/<kind>_<version>.json, one strict schema per served version, made by
  hubfleet.validate.crds (the same code that reads the CRDs charts install);
- eksctl/clusterconfig-v1alpha5.schema.json.
Descriptions are dropped from both: validation never reads them, and they are most of
the bytes. Output is sorted JSON, so a re-run on the same input changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from hubfleet.validate.crds import crd_schemas

DATA = Path(__file__).resolve().parents[1] / "hubfleet" / "data"
#: The Calico kinds render writes outside any chart (render/network_policy.py), by CRD file name.
CALICO_KINDS = ("globalnetworkpolicies",)


def _without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_without_descriptions(item) for item in node]
    return node


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(DATA.parents[2])} ({path.stat().st_size // 1024} KiB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("upstream", type=Path)
    args = parser.parse_args()
    yaml = YAML(typ="safe")
    crd_files = sorted((args.upstream / "crds" / "flux").glob("*.yaml"))
    crd_files += sorted((args.upstream / "crds" / "sealed-secrets").glob("*.yaml"))
    for crd_file in crd_files:
        for document in yaml.load_all(crd_file.read_text(encoding="utf-8")):
            for (group, kind, version), schema in sorted(crd_schemas(document or {}).items()):
                _write(DATA / "crd-schemas" / group / f"{kind.lower()}_{version}.json", schema)
    (calico,) = sorted((args.upstream / "charts").glob("crd.projectcalico.org.v1-*.tgz"))
    with tarfile.open(calico) as package:
        for kind in CALICO_KINDS:
            member = package.extractfile(
                f"crd.projectcalico.org.v1/templates/calico/crd.projectcalico.org_{kind}.yaml"
            )
            assert member is not None
            for (group, name, version), schema in sorted(crd_schemas(yaml.load(member.read())).items()):
                _write(DATA / "crd-schemas" / group / f"{name.lower()}_{version}.json", schema)
    eksctl = args.upstream / "eksctl" / "clusterconfig-v1alpha5.schema.json"
    _write(
        DATA / "eksctl" / eksctl.name, _without_descriptions(json.loads(eksctl.read_text(encoding="utf-8")))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
