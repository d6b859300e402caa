"""The emitter writes YAML that ruamel.yaml (and so kubectl, Flux, helm) reads back as the same data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from hubfleet.write.emit import dump

TRICKY = [
    "",
    " ",
    "true",
    "True",
    "NO",
    "y",
    "null",
    "~",
    "1.32",
    "0x10",
    "1e3",
    "12:30",
    "2G",
    "-",
    "- a",
    "a: b",
    "a #b",
    "#c",
    "{username}",
    "[x]",
    "*alias",
    "&anchor",
    "!tag",
    "%x",
    "@x",
    "`x",
    "'q'",
    '"dq"',
    "line\nbreak",
    "tab\there",
    "ünïcode",
    "trailing ",
    " leading",
    "a:b",
    "arn:aws:iam::1:role/x",
    "printf '%s\\n' nfs > /etc/x",
    "yes please",
    ".inf",
    "-.5",
    "+1",
    "=",
    "k8s.io/a-b_c.d",
    # Literal blocks (code) and what must stay quoted: YAML reads NEL, U+2028 and U+2029 as line
    # breaks, and holds no C1 control or byte-order mark as it is.
    "def f():\n    return 1\n",
    "\nfirst line empty\n",
    "a\n\n  b\n",
    " indented first\nline\n",
    "two finals\n\n",
    "trailing \nspace\n",
    "tab\n\tline\n",
    "nel\x85inside\n",
    "line\u2028separator",
    "c1\x9ccontrol",
    "\ufeffbom",
]


def roundtrip(document: dict[str, Any]) -> Any:
    return YAML(typ="safe", pure=True).load(dump(document))


@pytest.mark.parametrize("text", TRICKY)
def test_strings_come_back_as_the_same_strings(text: str) -> None:
    document = {"value": text, text or "empty": [text], "nested": {"list": [{"k": text, "n": 1}]}}
    assert roundtrip(document) == document


def test_scalars_and_empty_containers() -> None:
    document = {"i": 0, "f": 0.5, "g": 2.0, "t": True, "f2": False, "n": None, "d": {}, "l": [], "neg": -3}
    back = roundtrip(document)
    assert back == document
    assert type(back["g"]) is float and type(back["i"]) is int


def test_lists_of_mappings_and_lists() -> None:
    document = {"a": [{"x": 1, "y": {"z": [1, 2]}}, [1, [2]], {"only": {}}], "b": {"c": {"d": "e"}}}
    assert roundtrip(document) == document


def test_refuses_what_yaml_manifests_cannot_hold() -> None:
    with pytest.raises(TypeError):
        dump({"when": object()})
    with pytest.raises(ValueError):
        dump({"x": float("nan")})


def test_every_committed_file_reads_back_as_rendered() -> None:
    from conftest import REPO
    from hubfleet.core.layout import Layout
    from hubfleet.inputs.pipeline import Scope, load_project
    from hubfleet.system.project import Project
    from hubfleet.write.pipeline import render_files

    project = Project(REPO)
    files = render_files(load_project(project, Scope.select(project, (), True)), Layout())
    assert len(files) > 20
    for file in (f for f in files if f.raw is None):
        text = (REPO / "gitops" / file.path).read_text()
        docs = [d for d in YAML(typ="safe", pure=True).load_all(text)]
        assert docs == file.documents, file.path
        rt = [d for d in YAML(typ="rt").load_all(Path(REPO / "gitops" / file.path).read_text())]
        assert len(rt) == len(file.documents)


def test_code_is_written_as_a_literal_block() -> None:
    assert dump({"code": "import os\n\nprint(1)\n"}) == "code: |\n  import os\n\n  print(1)\n"
