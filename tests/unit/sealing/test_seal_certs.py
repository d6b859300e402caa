"""Certificate checks that need no CLI: RFC 6125 name matching and the CN fallback."""

from __future__ import annotations

import pytest

from hubfleet.sealing.certs import certificate_facts, covers, name_covers
from support.sealing import make_cert, rsa_key


@pytest.mark.parametrize(
    ("pattern", "host", "expected"),
    [
        ("a.example.org", "a.example.org", True),
        ("A.Example.ORG", "a.example.org", True),
        ("a.example.org.", "a.example.org", True),
        ("*.example.org", "a.example.org", True),
        ("*.example.org", "b.a.example.org", False),  # one label only
        ("*.example.org", "example.org", False),
        ("*.a.example.org", "a.example.org", False),
        ("a*.example.org", "ab.example.org", False),  # partial wildcards are not honoured
        ("*.*.example.org", "a.b.example.org", False),
        ("b.example.org", "a.example.org", False),
    ],
)
def test_name_covers(pattern: str, host: str, expected: bool) -> None:
    assert name_covers(pattern, host) is expected


def test_common_name_counts_only_without_san() -> None:
    without_san = certificate_facts(make_cert(rsa_key(), (), common_name="a.example.org"))
    assert without_san.sans == () and covers(without_san.dns_names, "a.example.org")
    with_san = certificate_facts(make_cert(rsa_key(), ("b.example.org",), common_name="a.example.org"))
    assert with_san.dns_names == ("b.example.org",)
    assert not covers(with_san.dns_names, "a.example.org")
