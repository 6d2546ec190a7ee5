"""The table of diagnostic codes: one stable code per kind of mistake.

Codes are grouped by the stage that reports them (E01 syntax, E02
evaluation and modules; later stages take E03 merge, E04 schema, E05 site
checks and graph, E06 emit, E07 runtime).  A code is never reused for a
different mistake.  `python -m gwlang.codes` writes docs/diagnostics.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    stage: str
    title: str
    explanation: str


_TABLE = [
    # syntax
    Code("E0101", "syntax", "unexpected token",
         "The parser met a token that cannot come next (or a token is missing); the label says what could come."),
    Code("E0102", "syntax", "missing `;`",
         "Every binding (`a = 1;`), statement and import ends with a semicolon."),
    Code("E0103", "syntax", "comma in a list",
         "List elements are separated by whitespace: `[ a b c ]`, not `[ a, b, c ]`."),
    Code("E0104", "syntax", "`=` where a function needs `:`",
         "A function is written `x: body` or `{ a, b }: body`; `=` belongs to bindings."),
    Code("E0105", "syntax", "unclosed string",
         "A string's closing quote is missing; the diagnostic points at the opening one."),
    Code("E0106", "syntax", "unclosed or mismatched bracket",
         "A `{`, `[`, `(` or `${` is never closed, or closed by the wrong bracket."),
    Code("E0107", "syntax", "unexpected character",
         "A character that no token of the language starts with."),
    Code("E0108", "syntax", "unexpected end of file",
         "The file ends in the middle of an expression or declaration, or inside a `/*` comment."),
    Code("E0109", "syntax", "invalid literal",
         "An address, network or size literal that is well formed but impossible, "
         "such as an octet above 255 or a network with host bits set."),
    Code("E0112", "syntax", "backwards node family range",
         "In `node wn[01..16]` the first bound must not be above the second."),
    Code("E0113", "syntax", "duplicate function argument",
         "A set pattern names an argument twice (`{ x, y, x }:`), or names its `@` binding "
         "among its arguments (`args@{ args, ... }:`); as in Nix, this is an error even if the function "
         "is never called."),
    Code("E0120", "syntax", "unreadable source file",
         "`gwc fmt` could not read a file it was given as UTF-8 text (a missing permission, a binary file, "
         "another encoding); nothing was written."),
    Code("E0230", "syntax", "node family too large",
         "A node family has at most 10,000 members (`node wn[1..10000]`); a larger range is almost always a typo."),
    # evaluation
    Code("E0201", "evaluation", "undefined variable",
         "A name that no `let`, function argument, import or builtin defines here. As in Nix, names are "
         "checked before evaluation, so one in code that never runs is reported too. The did-you-mean "
         "offers the site's hosts and nodes first, then other names in scope, builtins last."),
    Code("E0202", "evaluation", "missing attribute",
         "Selecting an attribute (or a domain value's field) that does not exist. "
         "Use `s.a or default` or `s ? a` for optional attributes."),
    Code("E0203", "evaluation", "type mismatch",
         "An operation received a value of the wrong type: the message names what was "
         "expected and what was found."),
    Code("E0204", "evaluation", "infinite recursion",
         "A value needs itself to be computed. The note shows the chain of values, each with its location."),
    Code("E0205", "evaluation", "evaluation too deep",
         "Evaluation nested deeper than the evaluator allows, almost always a recursive "
         "function that never reaches its base case."),
    Code("E0206", "evaluation", "thrown error",
         "`throw \"message\"` was evaluated; the message is the program's own."),
    Code("E0207", "evaluation", "division by zero", "`/` or `mod` with a zero divisor."),
    Code("E0208", "evaluation", "incomparable values",
         "`<`, `<=`, `>`, `>=` between values of different types, or of a type without an order. "
         "Never silently false."),
    Code("E0209", "evaluation", "duplicate attribute",
         "The same attribute defined twice in one attribute set or `let`."),
    Code("E0210", "evaluation", "wrong function arguments",
         "A function with a set pattern was called without a required argument, or with "
         "one it does not accept (add `...` to accept any)."),
    Code("E0211", "evaluation", "invalid argument",
         "A builtin received a value of the right type but outside what it accepts "
         "(an index past the end, a size that is not a whole number of MiB...)."),
    Code("E0215", "evaluation", "not a function",
         "A value that is not a function was applied to an argument. A size written with a space or a unit "
         "the language lacks (`4 GiB`, `4G`) is a number applied to a name: the help writes the size (`4GiB`)."),
    Code("E0216", "evaluation", "not convertible to JSON", "Functions have no JSON form."),
    Code("E0231", "evaluation", "value too large",
         "A list of more than 1,000,000 elements, a string of more than 16 MiB or a number (or a size in bytes) "
         "of more than 4,000 digits; refused before it is built, so a typo cannot fill the memory."),
    Code("E0232", "evaluation", "out of memory",
         "The program took more memory than gwc allows an evaluation (4 GiB, or `GWC_MEMORY_LIMIT`): "
         "many large values at once."),
    # modules
    Code("E0220", "modules", "import not found",
         "The imported file does not exist, cannot be read, or is not in the search path."),
    Code("E0221", "modules", "import leaves its root",
         "A relative import (after resolving `..` and symlinks) lies outside the root of the "
         "importing file, or a `<...>` import outside its search root."),
    Code("E0222", "modules", "import cycle", "Files import each other in a cycle; every step is shown."),
    Code("E0223", "modules", "duplicate declaration", "A module declares the same name twice."),
    Code("E0224", "modules", "ambiguous import",
         "Two modules imported without `as` both define the same name."),
    Code("E0233", "modules", "unusable file path",
         "An import path that no file system accepts (a NUL character, more than 4,095 bytes, a name of more than "
         "255 bytes) or that leads into a symlink loop."),
    Code("E0234", "modules", "symlink out of a scanned folder",
         "A `.gw` symlink in a folder of sources leads outside that folder, so it is not read (its text would "
         "show in diagnostics). Name the link on the command line to read it anyway."),
    # site checks
    # merging profiles and instantiating sites
    Code("E0301", "merge", "conflicting definitions",
         "Two `=` for one path from bodies where neither inherits from the other, with different values, and "
         "nothing later overriding both. Set the value in a common descendant, or make one a `?=`."),
    Code("E0302", "merge", "inheritance cycle",
         "A profile (or site) extends itself, directly or through others. Reported once per cycle, from the "
         "member declared first."),
    Code("E0303", "merge", "inconsistent inheritance",
         "The parents of a profile, node or site cannot be put in one C3 order that respects each parent's own order."),
    Code("E0304", "merge", "change after `final`",
         "A statement sets or changes a path at or under one that an earlier body made `final`."),
    Code("E0305", "merge", "computed statement path",
         "Statement paths are written out (`files.\"etc/motd\" = ...;`), never computed with `${...}`."),
    Code("E0306", "merge", "reserved attribute", "`name` and `index` are set by the declaration, not by statements."),
    Code("E0307", "merge", "`-=` on a record", "Fields of a record cannot be removed; set them to another value."),
    Code("E0308", "merge", "mutation of a scalar", "`+=` and `-=` apply to lists and attribute sets only."),
    Code("E0309", "merge", "assertion failed",
         "An `assert` of a profile is false for the entity being compiled. The labels show each value of `node`, "
         "`host` or `site` the condition read, at the line that set it, and the entity's declaration in the "
         "user's file."),
    Code("E0310", "merge", "unknown profile or site",
         "A name after `:` or `extends` is not a profile (or site) in scope; import the module that declares it."),
    Code("E0311", "merge", "node without profiles", "A node's first declaration must list its profiles."),
    Code("E0312", "merge", "host and node share a name", "Hosts and nodes of a site share one namespace."),
    Code("E0313", "merge", "unknown explain target",
         "`gwc explain` or `gwc show --node` named a node, host or attribute the site does not have; "
         "the help suggests the closest that exists."),
    Code("E0314", "merge", "site not chosen",
         "The sources declare no concrete site, several (choose with `--site`), or not the one named."),
    Code("E0316", "merge", "abstract profile listed by a node",
         "An `abstract profile` is a building block for other profiles; nodes list profiles that extend it."),
    Code("E0315", "merge", "duplicate site name", "Two concrete sites compiled together have the same name."),
    # schemas and types
    Code("E0401", "schema", "type mismatch",
         "A value does not fit its schema type; the message says what was expected, what was found, where it was "
         "defined and through which profiles. The help writes the fix of common slips: a size without its unit "
         "(`512MiB`), one value where a list is expected (`[ \"x\" ]`), a reference in quotes (`host = gw;`)."),
    Code("E0402", "schema", "malformed type", "A type call with the wrong arguments (`int(1..64)`, `enum(\"a\")`)."),
    Code("E0403", "schema", "duplicate schema field", "A schema declares a field twice, or uses a field as a group."),
    Code("E0404", "schema", "undeclared attribute",
         "An attribute no schema declares; the help suggests the closest declared name."),
    Code("E0405", "schema", "computed schema field", "Schema field paths are written out."),
    Code("E0406", "schema", "required attribute not set",
         "A field with no default and no null in its type is not set by the entity or any of its profiles."),
    Code("E0501", "site checks", "duplicate address",
         "Two machines of a site (nodes, their interfaces, hosts' management addresses) have the same "
         "address. An interface carrying its node's own `ip` is not a second use."),
    Code("E0502", "site checks", "address outside its network",
         "An interface's address is not in the site's `network.subnet`, or not in the interface's own "
         "`network` when it names one; a node's `ip` that no interface carries must be in the subnet."),
    Code("E0503", "site checks", "duplicate MAC address",
         "Two interfaces have the same MAC address: in one site; or in two sites compiled together when one "
         "of them is written in a file or both guests run on hosts with the same `uri` (derived MACs of "
         "guests on different sites' hosts may coincide)."),
    Code("E0504", "site checks", "duplicate host name",
         "Two nodes of a site have the same host name (`network.hostname`, or the node's name), "
         "ignoring case."),
    Code("E0505", "site checks", "missing bridge",
         "An interface's `bridge` is not among the `bridges` of the host its node runs on. When the bridge "
         "comes from the stdlib (the schema's default `xenbr0`), the caret is on the node's declaration in the "
         "user's file and the stdlib line is shown beside it."),
    Code("E0506", "site checks", "unresolved reference",
         "A node's `host`, or a name in its `after`, is not a host or node of the site."),
    Code("E0507", "site checks", "host memory overcommitted",
         "The `vm.memory` of a host's guests plus the host's `reserved-memory` is more than its `memory`. "
         "The notes list every guest's memory; the labels show the host's `memory` and every guest memory "
         "set in the user's files. When the host's `memory` comes from the stdlib (a template site), the "
         "caret is on the host's declaration in the user's file."),
    Code("E0508", "site checks", "too many virtual CPUs",
         "A guest's `vm.vcpus` is above the `cpus` of its host."),
    Code("E0509", "site checks", "duplicate disk image",
         "Two disks of guests of one host have the same image file (`disks.<device>.path`)."),
    Code("E0510", "site checks", "boot cycle",
         "Nodes wait for each other through their `after` lists, so none can start first. "
         "The diagnostic shows the cycle with the `after` of every step."),
    # emitters
    Code("E0601", "emit", "value a file format cannot carry",
         "A value the schema allows but the target file cannot hold (a comma in an xl device spec, a size that "
         "is not whole MiB, a NUL in a shell word); the diagnostic points at the line that defined it."),
    Code("E0607", "emit", "interface prefix longer than its address",
         "An interface's `prefix` above 32 with an IPv4 `ip` (the schema takes up to 128, for IPv6): no network "
         "can be named by more bits than the address has."),
    Code("E0620", "emit", "`files` path outside the overlay",
         "A `files` path that is absolute, climbs with `..`, has an empty or `.` component, holds a control "
         "character or is longer than a file system allows; `files` paths are relative to the guest's root."),
    Code("E0621", "emit", "`files` path collides",
         "A `files` entry at the path of a file gwc generates (`etc/hosts`, the network files...), or a path that "
         "would be both a file and a folder. Set the attribute the generated file follows instead."),
    Code("E0622", "emit", "two default gateways",
         "Two interfaces of one node have a `gateway` of the same address family; a guest has one default route "
         "per address family."),
    Code("E0623", "emit", "gateway off its network",
         "An interface's `gateway` is not on the network of its `ip` and `prefix` (or is of the other address "
         "family), so the guest could not reach it."),
    Code("E0624", "emit", "two nodes with one name",
         "Two nodes of a site have the same fully qualified or short name, ignoring case; every node's "
         "/etc/hosts lists them all, and a name must lead to one address."),
    # runtime
    Code("E0701", "runtime", "unknown host",
         "`--host` names a host the site does not declare; the help line suggests the closest name."),
    Code("E0702", "runtime", "unknown node",
         "`gwc console` names a node the site does not declare; the help line suggests the closest name."),
    Code("E0711", "runtime", "standard library missing",
         "The stdlib folder this gwc loads its schemas and `<grid/...>` modules from does not exist: the "
         "installation is incomplete (a wheel or sdist built without it), or `GWLANG_STDLIB` names a "
         "missing folder. Without it every site would fail with misleading schema errors, so nothing is "
         "compiled."),
    Code("E0720", "runtime", "stale plan",
         "`gwc apply PLAN` refuses a saved plan when anything it was computed from changed since `gwc plan -o "
         "PLAN`: a source file (or the artifacts compiled from them), or a host's live state (a domain, pool or "
         "volume appeared, went or changed). Nothing is applied: the plan reviewed is no longer what apply would "
         "do. The notes name each change; make a new plan and review it. An interactive `gwc apply` refuses the "
         "same way when the hosts change while its plan is shown."),
    Code("E0721", "runtime", "not a plan",
         "`gwc apply FILE` with a file not ending in `.gw` reads it as a plan saved by `gwc plan -o`; this one "
         "cannot be read, is not JSON, is not a gwc plan, or has a `format_version` this gwc does not read."),
]

CODES: dict[str, Code] = {entry.code: entry for entry in _TABLE}


def markdown() -> str:
    """docs/diagnostics.md: every code, grouped by stage."""
    lines = ["# Diagnostic codes", "",
             "Every error gwc reports has a stable code. This page is generated from "
             "`gwlang/codes.py` (`python -m gwlang.codes > docs/diagnostics.md`). How a diagnostic reads, "
             "in text and JSON, and how a family's identical mistakes are reported once: "
             "[language.md, section 7](language.md#7-diagnostics).", ""]
    stage = None
    for entry in _TABLE:
        if entry.stage != stage:
            stage = entry.stage
            lines += [f"## {stage.capitalize()}", "", "| code | mistake | explanation |", "|---|---|---|"]
        lines.append(f"| {entry.code} | {entry.title} | {entry.explanation} |")
        following = _TABLE.index(entry) + 1
        if following == len(_TABLE) or _TABLE[following].stage != stage:
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
