"""The emitters' fast text paths write exactly what the standard library's slow ones write.

`emit/jsontext.py` stands in for `json.dumps(indent=2, sort_keys=True)` and
the XML filters skip `xml.sax.saxutils` for values with nothing to escape;
both must give the same text for every value, hostile ones included, or
refuse the same values.
"""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest

from gwlang.emit.filters import Unrepresentable, xml_attr, xml_text
from gwlang.emit.jsontext import dumps
from gwlang.eval.domain import IPAddress, MacAddress, Size
from gwlang.model.validate import plain_json

SHARED = ("a.gw", "b.gw")
JSON_VALUES: list[Any] = [
    {}, [], (), "", "é ünïcode \u2028", "quote \" backslash \\ nul \x00", 0, -7, 10**30, True, False, None,
    {"b": 1, "a": {"z": (), "y": {}}, "c": ("x", None, True)},
    MappingProxyType({"k": (Size.parse("2GiB"), IPAddress.parse("192.0.2.1"), MacAddress.parse("00:16:3e:00:00:01"))}),
    {"files": [{"sources": SHARED}, {"sources": SHARED}], "sources": SHARED},   # one container, written twice
    {"float": 1.5}, {1: "a key that is not a string"}, ("nan", float("nan")),  # the standard library's own path
]


@pytest.mark.parametrize("value", JSON_VALUES, ids=repr)
@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_json_text_is_the_standard_librarys(value: Any, ensure_ascii: bool) -> None:
    expected = json.dumps(plain_json(value), indent=2, sort_keys=True, ensure_ascii=ensure_ascii)
    assert dumps(value, ensure_ascii=ensure_ascii) == expected


XML_VALUES = ["plain", "", "a & b", "<tag>", "x > y", 'say "hi"', "it's", "both \" and '", "tab\there",
              "line\nfeed", "carriage\rreturn", "nul\x00", "bell\x07", "\ufffe", "é", "&amp;", "]]>"]


def _saxutils(value: str, attribute: bool) -> str:
    if any((ord(c) < 0x20 and c not in "\t\n\r") or c in "\ufffe\uffff" for c in value):
        return "refused"
    if attribute:
        return quoteattr(value, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
    return escape(value, {"\r": "&#13;"})


@pytest.mark.parametrize("value", XML_VALUES, ids=repr)
@pytest.mark.parametrize("attribute", [False, True])
def test_xml_filters_escape_as_saxutils_does(value: str, attribute: bool) -> None:
    quote = xml_attr if attribute else xml_text
    try:
        written = str(quote(value))
    except Unrepresentable:
        written = "refused"
    assert written == _saxutils(value, attribute)
