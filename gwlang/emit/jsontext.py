"""JSON files exactly as `json.dumps(data, indent=2, sort_keys=True)` writes them, several times faster.

`site.json` and `manifest.json` are indented, and the standard library
indents only in its pure-Python encoder, a generator per container: it was
a fifth of emitting.  `dumps` writes the same text with one recursive
function over model data (mappings, tuples, lists, scalars, domain values as
their canonical text, as `plain_json` gives them), its strings quoted by
the standard library's own C functions.  A container met twice in one call
(the sources shared by a node's files in the manifest, a value shared by
nodes) is written once per indent.  A value of any other kind falls back
to the standard library, so the text can never differ.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring, encode_basestring_ascii
from types import MappingProxyType
from typing import Any

from gwlang.eval.domain import IPAddress, IPNetwork, MacAddress, Size
from gwlang.model.validate import plain_json

_DOMAIN = (Size, IPAddress, IPNetwork, MacAddress)
_CONSTANTS = {None: "null", True: "true", False: "false"}


class _Unusual(Exception):
    """A value this writer does not know (a float, a key that is not a string): the standard library writes it."""


class _Writer:
    """One `dumps` call: the quoting function and the containers written so far, by identity and indent.

    The memo holds each container it names, so an identity stays that container's for the whole call.
    """

    def __init__(self, quote: Callable[[str], str]) -> None:
        self.quote = quote
        self.written: dict[tuple[int, str], tuple[Any, str]] = {}

    def value(self, value: Any, newline: str) -> str:
        """`value` as JSON text; `newline` is a line break and the indent of the line it starts on."""
        kind = type(value)
        if kind is str:
            return self.quote(value)
        if kind is bool or value is None:
            return _CONSTANTS[value]
        if kind is int:
            return int.__repr__(value)
        if kind is dict or kind is MappingProxyType or kind is tuple or kind is list or isinstance(value, Mapping):
            key = (id(value), newline)
            found = self.written.get(key)
            if found is None:
                found = self.written[key] = (value, self.container(value, newline))
            return found[1]
        if isinstance(value, _DOMAIN):
            return self.quote(value.canonical)
        raise _Unusual

    def container(self, value: Any, newline: str) -> str:
        if not value:
            return "{}" if isinstance(value, Mapping) else "[]"
        inner = newline + "  "
        separator = "," + inner
        if isinstance(value, Mapping):
            try:
                keys = sorted(value)
            except TypeError:
                raise _Unusual from None
            if any(type(key) is not str for key in keys):
                raise _Unusual
            quote = self.quote
            fields = []
            for key in keys:
                item = value[key]        # most values are strings: quoted here, without a call more
                fields.append(f"{quote(key)}: {quote(item) if type(item) is str else self.value(item, inner)}")
            return f"{{{inner}{separator.join(fields)}{newline}}}"
        body = separator.join(self.value(item, inner) for item in value)
        return f"[{inner}{body}{newline}]"


def dumps(data: Any, ensure_ascii: bool = True) -> str:
    """`json.dumps(plain_json(data), indent=2, sort_keys=True, ensure_ascii=ensure_ascii)`, the same text."""
    writer = _Writer(encode_basestring_ascii if ensure_ascii else encode_basestring)
    try:
        return writer.value(data, "\n")
    except _Unusual:
        return json.dumps(plain_json(data), indent=2, sort_keys=True, ensure_ascii=ensure_ascii)
