"""The loader refuses what people should not write and knows where every field is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hubfleet.errors import InputError
from hubfleet.inputs.load import MAX_INPUT_BYTES, load_file, parse_text, plain


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_text(text, "f.yaml")
    return [str(p) for p in caught.value.problems]


def test_positions_are_one_based_key_positions() -> None:
    source = parse_text("a: 1\nb:\n  c: [1, 2]\n  d: x\n", "f.yaml")
    assert source.locate(["b", "d"]) == (4, 3)
    assert source.locate(["b", "c", 1]) == (3, 10)
    assert source.locate(["b", "missing", "deeper"]) == (2, 1)
    assert source.problem(["b", "d"], "bad").__str__() == "f.yaml:4:3: b.d: bad"


def test_plain_converts_round_trip_types() -> None:
    data = plain(parse_text("a: 1\nb: [x, true, 1.5]\n", "f.yaml").data)
    assert data == {"a": 1, "b": ["x", True, 1.5]}
    assert type(data) is dict and type(data["b"]) is list


def test_duplicate_keys_are_refused() -> None:
    assert problems("a: 1\nb: 2\na: 3\n") == ["f.yaml:3:1: duplicate key 'a'"]


def test_anchors_and_aliases_are_refused() -> None:
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    assert problems(bomb) == [
        "f.yaml:1:4: YAML anchors and aliases are not allowed; put shared settings in hubDefaults"
    ]


def test_oversized_input_is_refused() -> None:
    text = "a: " + "x" * MAX_INPUT_BYTES + "\n"
    assert problems(text) == ["f.yaml: file is larger than 256 KiB"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "f.yaml:1:1: expected a mapping of settings, found a list"),
        ("just text\n", "f.yaml:1:1: expected a mapping of settings, found the str 'just text'"),
        ("", "f.yaml:1:1: file is empty; expected a mapping of settings"),
        ("a: 1\n---\nb: 2\n", "f.yaml:1:1: expected one YAML document, found 2"),
    ],
)
def test_non_mapping_documents_are_refused(text: str, message: str) -> None:
    assert problems(text) == [message]


def test_syntax_errors_carry_a_position() -> None:
    (message,) = problems("a: [1, 2\nb: 3\n")
    assert message.startswith("f.yaml:")
    assert message.split(":")[1].isdigit()


def test_nesting_deeper_than_any_input_needs_is_refused_before_construction() -> None:
    # 30,000 levels once crashed the YAML constructor; the refusal comes from the event scan.
    assert problems("a: " + "[" * 30000 + "]" * 30000 + "\n") == [
        "f.yaml:1:67: nested more than 64 levels deep; no setting needs that"
    ]


def test_a_number_python_cannot_read_is_a_message() -> None:
    [message] = problems("a: " + "9" * 5000 + "\n")
    assert message.startswith("f.yaml: a value cannot be read: Exceeds the limit (4300 digits)")


@pytest.mark.parametrize("value", [".nan", ".inf", "-.Inf"])
def test_not_a_number_and_infinities_are_refused(value: str) -> None:
    assert problems(f"a:\n  b: [1, {value}]\n") == [
        "f.yaml:2:10: a.b[1]: not a number (.nan or .inf); give a finite number"
    ]


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "hub.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputError) as caught:
        load_file(fifo, "hub.yaml")  # would hang if opened blocking
    assert caught.value.problems[0].message == ("not a regular file (a device, FIFO or socket)")
    with pytest.raises(InputError) as caught:
        load_file(Path("/dev/zero"), "zero.yaml")
    assert "not a regular file" in caught.value.problems[0].message
