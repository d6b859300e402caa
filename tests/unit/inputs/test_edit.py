"""In-place edits of input files: the new value goes into the old value's exact span, nothing else moves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from ruamel.yaml import YAML

from conftest import snapshot
from hubfleet.errors import LocalError
from hubfleet.inputs.edit import EditPath, Scalar, edit_text, read_exact, remove_text
from hubfleet.system.files import write_atomic
from support.aws import (
    World,
    group_sizes,
    world_fixture,  # noqa: F401  (the `world` fixture)
)
from support.builders import position_of

FILE = "clusters/clusterA/cluster.yaml"

BLOCK = """\
# A cluster, block style.
name: clusterA
nodeGroups:
  core:                  # hub pods, drives
    instanceType: t3a.medium
    minSize: 1
    maxSize: 10          # ten at most
    volumeSize: 30
  extraUser:
    # Big notebooks.
    - name: user-xlarge
      instanceType: "t3a.xlarge"
      minSize: 0
      maxSize: 5
hubDefaults:
  image: {name: 'quay.io/jupyter/scipy-notebook', tag: "2025-11-10"}  # pinned
"""

FLOW = """\
nodeGroups:
  tools: {instanceType: t3a.medium, minSize: 1, maxSize: 4, volumeSize: 20}
  core:  {instanceType: t3a.medium, minSize: 1, maxSize: 10, volumeSize: 30}  # hubs and drives
  extraUser:
    - {name: user-xlarge, instanceType: t3a.xlarge, minSize: 0, maxSize: 5}
"""


def edit(text: str, updates: dict[EditPath, Scalar]) -> str:
    return edit_text(text, FILE, updates)


def test_a_value_in_a_block_mapping_is_replaced_and_every_other_byte_kept() -> None:
    assert edit(BLOCK, {("nodeGroups", "core", "minSize"): 2}) == BLOCK.replace(
        "    minSize: 1\n", "    minSize: 2\n"
    )


def test_a_value_in_a_flow_mapping_is_replaced_and_the_rest_of_the_mapping_kept() -> None:
    assert edit(FLOW, {("nodeGroups", "tools", "maxSize"): 6}) == FLOW.replace("maxSize: 4,", "maxSize: 6,")
    both = edit(FLOW, {("nodeGroups", "core", "minSize"): 2, ("nodeGroups", "core", "maxSize"): 12})
    assert both == FLOW.replace(
        "core:  {instanceType: t3a.medium, minSize: 1, maxSize: 10,",
        "core:  {instanceType: t3a.medium, minSize: 2, maxSize: 12,",
    )


def test_a_flow_mapping_over_several_lines_with_comments() -> None:
    text = "core: {\n  minSize: 1,   # one\n  maxSize: 10  # ten\n}\n"
    assert edit(text, {("core", "maxSize"): 12}) == text.replace("maxSize: 10", "maxSize: 12")


def test_quoted_values_are_replaced_with_their_quotes() -> None:
    path: EditPath = ("nodeGroups", "extraUser", 0, "instanceType")
    assert edit(BLOCK, {path: "m5.xlarge"}) == BLOCK.replace('"t3a.xlarge"', "m5.xlarge")
    image = ("hubDefaults", "image")
    assert edit(BLOCK, {(*image, "name"): "x/y", (*image, "tag"): "2026-01-05"}) == BLOCK.replace(
        "{name: 'quay.io/jupyter/scipy-notebook', tag: \"2025-11-10\"}", '{name: "x/y", tag: "2026-01-05"}'
    )
    tricky = 'image: {name: "a, b # not a comment", tag: x}\n'
    assert edit(tricky, {("image", "name"): "c"}) == "image: {name: c, tag: x}\n"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("plain-word_1.0", "plain-word_1.0"),
        ("Null", '"Null"'),
        ("on", '"on"'),
        ("1e3", '"1e3"'),
        (True, "true"),
    ],
)
def test_new_values_are_written_so_they_read_back_as_given(value: Scalar, written: str) -> None:
    assert edit("name: clusterA\nfield: old\n", {("field",): value}) == f"name: clusterA\nfield: {written}\n"


def test_trailing_comments_stay_where_they_were() -> None:
    assert edit(BLOCK, {("nodeGroups", "core", "maxSize"): 12}) == BLOCK.replace(
        "    maxSize: 10          # ten at most\n", "    maxSize: 12          # ten at most\n"
    )
    assert edit(FLOW, {("nodeGroups", "core", "volumeSize"): 40}) == FLOW.replace(
        "volumeSize: 30}  # hubs and drives", "volumeSize: 40}  # hubs and drives"
    )


def test_entries_of_a_list_are_reached_by_index() -> None:
    path: EditPath = ("nodeGroups", "extraUser", 0, "minSize")
    assert edit(BLOCK, {path: 1}) == BLOCK.replace("      minSize: 0\n", "      minSize: 1\n")
    assert edit(FLOW, {path: 1}) == FLOW.replace("minSize: 0,", "minSize: 1,")


def test_a_missing_key_is_added_as_a_line_at_the_end_of_a_block_mapping() -> None:
    added = edit(BLOCK, {("nodeGroups", "extraUser", 0, "desiredCapacity"): 1})
    assert added == BLOCK.replace("      maxSize: 5\n", "      maxSize: 5\n      desiredCapacity: 1\n")
    after_last = edit(BLOCK, {("nodeGroups", "core", "desiredCapacity"): 1})
    assert after_last == BLOCK.replace("    volumeSize: 30\n", "    volumeSize: 30\n    desiredCapacity: 1\n")
    after_list = edit(BLOCK, {("nodeGroups", "note"): "x"})
    assert after_list == BLOCK.replace("      maxSize: 5\n", "      maxSize: 5\n  note: x\n")
    nested = "a:\n  b:\n    c: 1  # c\n\nz: 1"
    assert edit(nested, {("a", "d"): 2}) == "a:\n  b:\n    c: 1  # c\n  d: 2\n\nz: 1"
    assert edit(nested, {("y",): "v"}) == f"{nested}\ny: v\n"


def test_a_missing_key_is_added_before_the_closing_brace_of_a_flow_mapping() -> None:
    assert edit(FLOW, {("nodeGroups", "tools", "desiredCapacity"): 1}) == FLOW.replace(
        "volumeSize: 20}", "volumeSize: 20, desiredCapacity: 1}"
    )
    assert edit(FLOW, {("nodeGroups", "extraUser", 0, "desiredCapacity"): 2}) == FLOW.replace(
        "maxSize: 5}", "maxSize: 5, desiredCapacity: 2}"
    )
    assert edit("a: {}\n", {("a", "b"): 1}) == "a: {b: 1}\n"
    text = "core: {\n  minSize: 1,\n  maxSize: 10,  # ten\n}\n"
    assert edit(text, {("core", "desiredCapacity"): 1}) == text.replace("10,", "10, desiredCapacity: 1,")


def test_a_left_out_value_is_filled_in_after_its_colon() -> None:
    assert edit("a:\n  b:\n  c: 1\n", {("a", "b"): 2}) == "a:\n  b: 2\n  c: 1\n"


def test_line_endings_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_bytes(b"name: clusterA\r\ncore:\r\n  maxSize: 10\r\n")
    write_atomic(path, edit_text(read_exact(path), FILE, {("core", "maxSize"): 12, ("core", "minSize"): 1}))
    assert path.read_bytes() == b"name: clusterA\r\ncore:\r\n  maxSize: 12\r\n  minSize: 1\r\n"


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("a: 1\n", ("a", "b"), f"{FILE}: cannot set a.b: a is not a mapping or list"),
        ("a: [1]\n", ("a", 3, "b"), f"{FILE}: cannot set a[3].b: a[3] does not exist"),
        ("a: [1]\n", ("a", 0), f"{FILE}: cannot set a[0]: it is not a field of a mapping"),
        ("a: {b: 1}\n", ("a",), f"{FILE}: cannot set a: it is not a single value"),
        ("a: |\n  text\nb: 1\n", ("a",), f"{FILE}: cannot set a: it is a block scalar; edit it by hand"),
        (
            "a: {b: 1, c: }\n",
            ("a", "d"),
            f"{FILE}: hubfleet cannot set a.d safely in place; edit it by hand",
        ),
    ],
)
def test_edits_that_cannot_be_made_safely_are_refused_in_one_line(
    text: str, path: EditPath, message: str
) -> None:
    with pytest.raises(LocalError) as caught:
        edit(text, {path: 2})
    assert caught.value.message == message


def flow_style(world: World) -> str:
    """Rewrite the node groups of the world's cluster.yaml in flow style, as the README shows them."""
    text = world.cluster_file.read_text()
    start, end = text.index("nodeGroups:\n"), text.index("\ningress:")
    groups = (
        "nodeGroups:\n"
        "  tools: {instanceType: t3a.medium, minSize: 1, maxSize: 4, desiredCapacity: 1, volumeSize: 20}\n"
        "  core:  {instanceType: t3a.medium, minSize: 1, maxSize: 10, desiredCapacity: 1, volumeSize: 30}"
        "  # hubs\n"
        "  user:  {instanceType: t3a.large, minSize: 1, maxSize: 30, volumeSize: 30}\n"
        "  extraUser:\n"
        "    - {name: user-xlarge, instanceType: t3a.xlarge, minSize: 0, maxSize: 5}\n"
        "    - {name: gpu-t4, instanceType: g4dn.xlarge, maxSize: 4, volumeSize: 60}\n"
    )
    text = text[:start] + groups + text[end:]
    world.cluster_file.write_text(text)
    return text


def rendered_sizes(root: Path, name: str) -> tuple[int, int, int]:
    config = YAML(typ="safe").load((root / "gitops/eksctl/clusterA.yaml").read_text())
    group = next(group for group in config["nodeGroups"] if group["name"] == f"{name}-v1-35")
    return group["minSize"], group["maxSize"], group["desiredCapacity"]


def test_aws_scale_on_a_flow_style_cluster_file(world: World, run: Callable[..., Result]) -> None:
    before = flow_style(world)
    result = run(world.root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert result.exit_code == 0, result.output
    text = before.replace(
        "minSize: 1, maxSize: 10, desiredCapacity", "minSize: 1, maxSize: 12, desiredCapacity"
    )
    assert world.cluster_file.read_text() == text
    assert group_sizes(world.clients, world.groups["core"]) == (1, 12, 1)
    assert rendered_sizes(world.root, "core") == (1, 12, 1)

    result = run(world.root, "aws", "scale", "clusterA", "user-xlarge", "--max", "8", "--desired", "1")
    assert result.exit_code == 0, result.output
    text = text.replace("minSize: 0, maxSize: 5}", "minSize: 0, maxSize: 8, desiredCapacity: 1}")
    assert world.cluster_file.read_text() == text
    assert group_sizes(world.clients, world.groups["user-xlarge"]) == (0, 8, 1)
    assert rendered_sizes(world.root, "user-xlarge") == (0, 8, 1)

    unchanged = snapshot(world.root)
    line, column = position_of(world.cluster_file, "nodeGroups.user.minSize")
    result = run(world.root, "aws", "scale", "clusterA", "user", "--min", "40")
    assert result.exit_code == 2
    assert result.stderr == (
        f"{FILE}:{line}:{column}: nodeGroups.user.minSize: 40 is more than maxSize 30\n"
        "1 problem in the input; nothing was written\n"
    )
    assert snapshot(world.root) == unchanged


def test_a_one_line_field_of_a_block_mapping_is_removed_with_its_comment() -> None:
    assert remove_text(BLOCK, FILE, ("nodeGroups", "core", "maxSize")) == BLOCK.replace(
        "    maxSize: 10          # ten at most\n", ""
    )
    # A plain value folded over two lines goes whole.
    folded = BLOCK.replace("    volumeSize: 30\n", "    note: two\n      lines\n    volumeSize: 30\n")
    assert remove_text(folded, FILE, ("nodeGroups", "core", "note")) == BLOCK
    # Nothing to remove: the text as it was.
    assert remove_text(BLOCK, FILE, ("nodeGroups", "retiring")) == BLOCK


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (FLOW, ("nodeGroups", "core", "maxSize")),  # a flow mapping
        (BLOCK, ("nodeGroups", "core")),  # not one value
        ("nodeGroups:\n  retiring: '1.34'\n", ("nodeGroups", "retiring")),  # would leave an empty mapping
    ],
)
def test_a_field_that_cannot_be_removed_safely_asks_for_a_hand_edit(text: str, path: EditPath) -> None:
    with pytest.raises(LocalError) as raised:
        remove_text(text, FILE, path)
    assert raised.value.format_message() == (
        f"{FILE}: hubfleet cannot remove {'.'.join(map(str, path))} safely in place; edit it by hand"
    )
