"""Quoting for every format a value can land in: small pure functions, one per format.

Types already keep most hostile values out (a MAC is a MAC), but strings
such as file contents, command lines and descriptions reach the emitters,
so each filter must make any string safe on its own, or refuse it with
`Unrepresentable` when the format has no way to carry it (a NUL in a shell
word, a newline in an ifcfg value).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

from gwlang.eval.domain import IPAddress, IPNetwork, MacAddress, Size


class Unrepresentable(ValueError):
    """A value the target format cannot carry; the emitter reports it as a diagnostic."""


def text(value: Any) -> str:
    """The canonical text of a model value (domain values as their literals)."""
    if type(value) is str:          # most values: one comparison instead of the checks below
        return value
    if isinstance(value, Size | IPAddress | IPNetwork | MacAddress):
        return value.canonical
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _reject_nul(value: str, where: str) -> str:
    if "\x00" in value:
        raise Unrepresentable(f"a NUL character cannot be written into {where}")
    return value


# ---------------------------------------------------------------- XML

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# What escaping or refusing can touch, in element text and in an attribute.  Most values hold none of
# it and are returned as they are after one search; the others take the general path.
_XML_TEXT_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]")
_XML_ATTR_SPECIAL = re.compile("[\x00-\x1f&<>\"\ufffe\uffff]")


def xml_text(value: Any) -> Markup:
    """Element text: `<`, `&`, `>` escaped; characters XML 1.0 cannot hold refused.

    Returned as `Markup` so the templates' autoescaping does not escape it twice.
    """
    raw = text(value)
    if not _XML_TEXT_SPECIAL.search(raw):
        return Markup(raw)
    if _XML_INVALID.search(raw):
        raise Unrepresentable("XML 1.0 cannot hold control characters")
    return Markup(escape(raw, {"\r": "&#13;"}))


def xml_attr(value: Any) -> Markup:
    """An attribute value with its quotes (`"a &amp; b"`)."""
    raw = text(value)
    if not _XML_ATTR_SPECIAL.search(raw):
        return Markup(f'"{raw}"')
    if _XML_INVALID.search(raw):
        raise Unrepresentable("XML 1.0 cannot hold control characters")
    return Markup(quoteattr(raw, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}))


# ---------------------------------------------------------------- shell

_SHELL_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def shell(value: Any) -> str:
    """One POSIX shell word: bare when safe, else single-quoted ('\\'' for quotes)."""
    raw = _reject_nul(text(value), "a shell script")
    if raw and _SHELL_SAFE.match(raw):
        return raw
    return "'" + raw.replace("'", "'\"'\"'") + "'"


# ---------------------------------------------------------------- xl.cfg

def xl_string(value: Any) -> str:
    """A double-quoted xl.cfg string; libxlutil's parser reads `\\\\`, `\\"` and `\\n` escapes."""
    raw = _reject_nul(text(value), "an xl.cfg string")
    escaped = raw.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


_XL_SPEC_UNSAFE = re.compile(r"[,=\"'\\\s]")


def xl_spec_value(value: Any, what: str) -> str:
    """A value inside a disk or vif spec: no separators, quotes or blanks can be carried."""
    raw = _reject_nul(text(value), "an xl device spec")
    if _XL_SPEC_UNSAFE.search(raw):
        raise Unrepresentable(f"{what} `{raw}` holds a character an xl device spec cannot carry (`,`, `=`, a quote, "
                              "a backslash or a blank)")
    return raw


# ---------------------------------------------------------------- ifcfg, sysconfig, resolv.conf

def ifcfg(value: Any) -> str:
    """A value of an `ifcfg-*` or `sysconfig` file: shell syntax, one line."""
    raw = text(value)
    if "\n" in raw or "\r" in raw:
        raise Unrepresentable("an ifcfg value must fit on one line")
    return shell(raw)


_PLAIN_UNSAFE = re.compile(r"[\s#;\\\"']")


def plain_word(value: Any, what: str) -> str:
    """A word in a format with no quoting at all (`/etc/hosts`, `resolv.conf`, interfaces)."""
    raw = _reject_nul(text(value), what)
    if not raw or _PLAIN_UNSAFE.search(raw):
        raise Unrepresentable(f"`{raw}` cannot be written into {what}: it is empty or holds a blank, "
                              "a quote or a comment character")
    return raw


# ---------------------------------------------------------------- YAML, JSON, systemd

def yaml_string(value: Any) -> str:
    """A YAML scalar: a JSON string is valid YAML 1.2 and quotes everything."""
    return json.dumps(_reject_nul(text(value), "YAML"), ensure_ascii=False)


def json_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


_SYSTEMD_UNSAFE = re.compile(r"[\s\"'\\;]")


def systemd_word(value: Any) -> str:
    """A word in a systemd unit setting; specifiers (`%`) doubled, quotes and blanks refused."""
    raw = _reject_nul(text(value), "a systemd unit")
    if not raw or _SYSTEMD_UNSAFE.search(raw):
        raise Unrepresentable(f"`{raw}` cannot be written as a systemd word")
    return raw.replace("%", "%%")


# ---------------------------------------------------------------- the guests' files

@lru_cache(maxsize=1024)
def _guest_header(node: str, site: str) -> str:
    return (f"# Written by gwc for node {plain_word(node, 'a comment')} of site {plain_word(site, 'a comment')}: "
            "change the site's .gw sources, not this file.")


def guest_header(facts: Any) -> str:
    """The comment line a guest's network and name service files start with: its node and site, plain words.

    A filter rather than an included template: a node has four such files, and an include costs a render.
    """
    return _guest_header(facts.node, facts.site)


FILTERS = {
    "text": text, "xml_text": xml_text, "xml_attr": xml_attr, "shell": shell, "xl_string": xl_string,
    "xl_spec_value": xl_spec_value, "ifcfg": ifcfg, "plain_word": plain_word, "yaml_string": yaml_string,
    "json_value": json_value, "systemd_word": systemd_word, "guest_header": guest_header,
}
