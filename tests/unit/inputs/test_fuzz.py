"""Fuzzing: whatever the inputs hold, render exits 0 or 2, never with a traceback, and writes
nothing when it exits 2.

Hypothesis mutates the example's inputs two ways: as text (tokens that broke the reader
before: tabs, NULs, brackets by the thousand, 5,000-digit numbers, `.nan`, anchors, tags,
a byte-order mark; lines deleted or doubled) and as data (any field replaced by any YAML
value, then dumped back). `make test` runs a bounded number of examples (well under a
minute); `make fuzz` runs many more (HUBFLEET_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from conftest import REPO, snapshot
from hubfleet.system.yaml_reader import load_all

EXAMPLES = int(os.environ.get("HUBFLEET_FUZZ_EXAMPLES", "300"))
FILES = (
    "clusters/clusterA/cluster.yaml",
    "clusters/clusterA/hubs/datalab.yaml",
    "clusters/clusterA/hubs/physics101.yaml",
    "clusters/clusterA/hubs/chem200-2025.yaml",
)
TOKENS = (
    "\t",
    "\0",
    "\ufeff",
    "\u2028",
    "\r",
    "\n",
    "[",
    "]",
    "{",
    "}",
    "[" * 1000,
    "{a: " * 300,
    ":",
    "- ",
    "? ",
    "'",
    '"',
    "#",
    "|",
    ">",
    "~",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!python/object/apply:os.system ['true']",
    "!!binary ",
    "9" * 5000,
    "1e400",
    ".nan",
    "-.inf",
    "0x1F",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "x" * 5000,
)
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(["", "0", "1Gi", "-1", "us-west-2a", "dummy", "native", "retired", "x" * 300])
)
VALUES = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def text_mutation(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines(keepends=True)
    kind = draw(st.sampled_from(["insert", "delete-line", "double-line", "replace-span"]))
    if kind == "delete-line" and lines:
        del lines[draw(st.integers(0, len(lines) - 1))]
        return "".join(lines)
    if kind == "double-line" and lines:
        at = draw(st.integers(0, len(lines) - 1))
        lines.insert(at, lines[at])
        return "".join(lines)
    at = draw(st.integers(0, len(text)))
    token = draw(st.sampled_from(TOKENS) | st.text(max_size=8))
    end = at + (draw(st.integers(0, 12)) if kind == "replace-span" else 0)
    return text[:at] + token + text[end:]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def data_mutation(draw: st.DrawFn, text: str) -> str:
    data = YAML(typ="safe").load(text)
    path = draw(st.sampled_from(_paths(data)[1:] or [()]))
    value = draw(VALUES)
    if not path:
        data = value
    else:
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = value
    if draw(st.booleans()):
        return json.dumps(data, allow_nan=True)  # JSON is YAML too; NaN written as NaN
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, stream)
    return stream.getvalue()


@st.composite
def mutated_inputs(draw: st.DrawFn, originals: dict[str, str]) -> dict[str, str]:
    file = draw(st.sampled_from(FILES))
    strategy = text_mutation if draw(st.booleans()) else data_mutation
    return {file: draw(strategy(originals[file]))}


ORIGINALS = {file: (REPO / file).read_text(encoding="utf-8") for file in FILES}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    derandomize=EXAMPLES <= 300,  # the bounded run in `make test` is the same every time
)
@given(change=mutated_inputs(ORIGINALS))
def test_any_mutated_input_renders_or_is_refused_cleanly(
    rendered: Path, run: Callable[..., Result], change: dict[str, str]
) -> None:
    before = snapshot(rendered / "gitops")
    try:
        for file, text in change.items():
            (rendered / file).write_bytes(text.encode("utf-8", "surrogatepass"))
        result = run(rendered, "render", "clusterA")  # catch_exceptions=False: a traceback fails the test
        assert result.exit_code in (0, 2), result.output
        event(f"exit {result.exit_code}")
        if result.exit_code == 2:
            assert snapshot(rendered / "gitops") == before, result.output
            assert "Traceback" not in result.output
    finally:
        for file in change:
            (rendered / file).write_text(ORIGINALS[file], encoding="utf-8")
        if snapshot(rendered / "gitops") != before:
            shutil.rmtree(rendered / "gitops")
            assert run(rendered, "render", "--all").exit_code == 0


#: Pieces of YAML structure that have crashed or hung parsers: complex keys, flow brackets,
#: anchors and aliases, tags, indentation, document markers.
YAML_PIECES = ["? ", ": ", "- ", "[", "]", "{", "}", ", ", "&a ", "*a", "&b ", "*b", "!!set ", "!!str ",
               "!x ", "\n", "  ", "---\n", "'q'", '"d"', "1", "x", "|\n  t\n", "<<: *a\n", "#c\n"]  # fmt: skip


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(st.lists(st.sampled_from(YAML_PIECES), max_size=400).map("".join))
def test_the_one_yaml_reader_only_ever_answers_or_refuses(text: str) -> None:
    """Whatever the text, the bounded reader returns documents or raises a YAML or value error
    with a position: never a RecursionError, a hang, or an object other than YAML's own types."""
    try:
        documents = load_all(text)
    except (YAMLError, ValueError) as error:
        event(type(error).__name__)
        return
    event("loaded")
    pending = list(documents)
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            assert all(isinstance(key, str) for key in item), item
            pending += item.values()
        elif isinstance(item, list):
            pending += item
        else:
            assert item is None or isinstance(item, (str, int, float, bool)), type(item)
