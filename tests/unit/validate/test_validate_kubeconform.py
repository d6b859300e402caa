"""The kubeconform backend. Its output parser and its wiring (with a stand-in binary) are tested
everywhere; the real binary only where it is installed (kubeconform is not on this machine's registries)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from hubfleet.validate.kubeconform import KubeconformChecker, parse_output
from hubfleet.validate.locations import schema_sources
from hubfleet.validate.manifests import parse_stream
from hubfleet.validate.schemas import JsonSchemaChecker, ValidatorCache
from support.validate import (
    FIXTURES,
    copy_example,
    findings,
    require_schemas,
    run_validate,
    schema_location,
)


def test_parse_json_output() -> None:
    results = parse_output((FIXTURES / "kubeconform-output.json").read_text(), 4)
    assert [[(i.field, i.message, i.missing_schema) for i in r] for r in results] == [
        [],
        [(("spec",), "additional properties 'intervall' not allowed", False)],
        [(("apiVersion",), "could not find schema for ServiceMonitor", True)],
        [((), "For field spec.ports.0.port: Invalid type. Expected: integer, given: string", False)],
    ]


def test_output_that_is_not_kubeconform_json() -> None:
    with pytest.raises(ValueError):
        parse_output('{"files": []}', 1)


kubeconform = shutil.which("kubeconform")
needs_binary = pytest.mark.skipif(kubeconform is None, reason="kubeconform is not on PATH")


@needs_binary
def test_the_binary_agrees_with_the_jsonschema_backend() -> None:
    assert kubeconform is not None
    sources = schema_sources([str(schema_location())], Path.cwd())
    wording = JsonSchemaChecker(sources, ValidatorCache())
    binary = KubeconformChecker(kubeconform, sources, 2, wording)
    text = (FIXTURES / "servicemonitor.yaml").read_text()
    text += "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\nspec: {finalizerz: []}\n"
    manifests = parse_stream(text, "x.yaml").manifests
    got = binary.check(manifests, "1.32.0")
    want = wording.check(manifests, "1.32.0")
    assert [bool(r) for r in got] == [bool(r) for r in want] == [True, True]
    assert got[0] == want[0]


@needs_binary
def test_the_example_passes_with_kubeconform(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "project")
    result = run_validate(root, "--backend", "kubeconform")
    assert result.exit_code == 0, result.output
    assert findings(result) == []


FAKE = """\
#!{python}
# A stand-in for kubeconform: records its arguments, and finds no schema for ServiceMonitors.
import json, pathlib, sys
pathlib.Path({record!r}).write_text(json.dumps(sys.argv[1:]))
resources = []
for path in sorted(pathlib.Path(sys.argv[-1]).glob("*.yaml")):
    if json.loads(path.read_text())["kind"] == "ServiceMonitor":
        resources.append({{"filename": str(path), "kind": "ServiceMonitor", "name": "ingress",
                           "version": "monitoring.coreos.com/v1", "status": "statusError",
                           "msg": "could not find schema for ServiceMonitor"}})
print(json.dumps({{"resources": resources}}))
sys.exit(1 if resources else 0)
"""


def test_the_adapter_runs_kubeconform_strict_with_the_same_locations(tmp_path: Path) -> None:
    require_schemas()
    record = tmp_path / "argv.json"
    fake = tmp_path / "kubeconform"
    fake.write_text(FAKE.format(python=sys.executable, record=str(record)))
    fake.chmod(0o755)
    sources = schema_sources([str(schema_location())], Path.cwd())
    wording = JsonSchemaChecker(sources, ValidatorCache())
    text = (
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n"
        + (FIXTURES / "servicemonitor.yaml").read_text()
    )
    manifests = parse_stream(text, "x.yaml").manifests
    results = KubeconformChecker(str(fake), sources, 3, wording).check(manifests, "1.32.0")
    assert results[0] == []
    assert [i.message for i in results[1]] == [wording.missing(manifests[1], "1.32.0").message]
    argv = json.loads(record.read_text())
    assert argv[:7] == ["-strict", "-output", "json", "-kubernetes-version", "1.32.0", "-n", "3"]
    assert argv[7:-1] == [arg for location in sources.locations for arg in ("-schema-location", location)]
