"""Sites: a concrete `site` declaration to its entities, ready to merge.

A site's bodies come from the site and every site it extends (C3 order,
ancestors first); its hosts and nodes are gathered by name across those
bodies, a later body being the last word on an earlier one.  Each node's
bodies are its profiles' (C3 order) and then its own.  Inside every body the
late-bound names `node`, `host`, `site`, `nodes` and `hosts` see the final
values of the entity being compiled; inside a site body its hosts and nodes
are names too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gwlang.diagnostics import GwError, Label, Span, did_you_mean, error, unique
from gwlang.eval.evaluator import Evaluator
from gwlang.eval.reads import CrossReads
from gwlang.eval.scopes import Referred, undefined_in_statements
from gwlang.eval.values import AttrSet, Declaration, Scope, Thunk
from gwlang.model.linearize import c3
from gwlang.model.merge import Body, Entity
from gwlang.model.paths import record_field_type
from gwlang.model.schema import SchemaRegistry
from gwlang.model.sharing import SharedValues, Sharing
from gwlang.model.types import reference_of
from gwlang.syntax import ast


@dataclass
class SiteEntities:
    """A site's entities, merged lazily; `nodes` and `hosts` in declaration order."""
    site: Entity
    hosts: dict[str, Entity]
    nodes: dict[str, Entity]
    node_decls: dict[str, list[ast.NodeDecl]] = field(default_factory=dict)
    host_decls: dict[str, list[ast.HostDecl]] = field(default_factory=dict)
    linearizations: dict[str, list[str]] = field(default_factory=dict)
    cross_reads: CrossReads = field(default_factory=CrossReads)   # filled as the entities merge

    def entities(self) -> list[Entity]:
        return [self.site, *self.hosts.values(), *self.nodes.values()]


@dataclass
class _NodeEntry:
    declaration: ast.NodeDecl
    site: Declaration
    index: int | None


HostEntries = dict[str, list[tuple[ast.HostDecl, Declaration]]]
NodeEntries = dict[str, list[_NodeEntry]]


@dataclass
class _Building:
    """What the entities of one site share while they are built.

    Why late binding: a body is written before the entity it describes
    exists, and one profile serves many nodes; `node.memory` in a profile
    must mean the final, merged value of the node being compiled, including
    what a more derived profile or the node itself sets.  So each body's
    scope starts with a dictionary of late-bound names that is empty when the
    body is made and filled once the `Entity` (and its lazy `config`) exists.
    The site-wide names (`hosts`, `nodes`, and the hosts and nodes by name
    in a site body) can only be filled once every entity exists: they are
    the `AttrSet`s and dictionary here, shared by every scope, filled by
    `_bind_site_names`.  Nothing is evaluated before then: merging is lazy.
    """
    evaluator: Evaluator
    schemas: SchemaRegistry
    sites: list[Declaration]                # the site and the sites it extends, most general first
    site_index: dict[int, int]              # id of a site declaration -> its position in `sites`
    cross_reads: CrossReads = field(default_factory=CrossReads)
    site_names: dict[str, Any] = field(default_factory=dict)   # hosts and nodes by name, in every site body
    all_hosts: AttrSet = field(default_factory=lambda: AttrSet({}))   # `hosts`
    all_nodes: AttrSet = field(default_factory=lambda: AttrSet({}))   # `nodes`
    problems: list[GwError] = field(default_factory=list)
    shared: SharedValues | None = None      # the program's values shared between nodes (`sharing.py`)
    # each profile's C3 order, made once for the site's nodes (declarations hash by identity)
    profile_orders: dict[Declaration, frozenset[Declaration]] = field(default_factory=dict)

    def body_scope(self, late: dict[str, Any], declaration: Declaration, extra: dict[str, Any] | None = None) -> Scope:
        """A site-written body's scope: its late-bound names, `index` if any, the site's hosts and nodes, its module."""
        inner = Scope(self.site_names, declaration.scope)
        if extra:
            inner = Scope(extra, inner)
        return Scope(late, inner)

    def entity(self, kind: str, name: str, bodies: list[Body], span: Span,
               extra: dict[str, Any] | None = None, sharing: Sharing | None = None) -> Entity | None:
        """The entity, or None with its static problems kept to report with the others."""
        try:
            return Entity(kind, name, self.schemas.entity(kind), bodies, self.evaluator, span, extra,
                          self.cross_reads, sharing)
        except GwError as failure:
            self.problems.append(failure)
            return None


def instantiate(site: Declaration, schemas: SchemaRegistry, evaluator: Evaluator,
                shared: SharedValues | None = None) -> SiteEntities:
    """Build every entity of a concrete site; static problems are reported together.

    In steps: gather the hosts and nodes of the site and the sites it
    extends, check their names and scopes, build the site entity, then each
    host, then each node, and once all exist bind the site-wide late names
    and let each entity lay out its lazy attributes.
    """
    sites = list(reversed(c3(site, lambda s: _resolve_parents(s, "site"), lambda s: s.name, _name_span)))
    building = _Building(evaluator, schemas, sites, {id(s): i for i, s in enumerate(sites)}, shared=shared)
    hosts, nodes = _gather(sites)
    _check_names(hosts, nodes)
    _check_scopes(sites, schemas, {"host": tuple(hosts), "node": tuple(nodes)},
                  {name for name, entries in nodes.items() if any(entry.index is not None for entry in entries)})
    site_late: dict[str, Any] = {}
    site_entity = _site_entity(site, building, site_late)
    host_entities = {name: entity for name, entries in hosts.items()
                     if (entity := _host_entity(name, entries, building, site_entity)) is not None}
    node_entities: dict[str, Entity] = {}
    linearizations: dict[str, list[str]] = {}
    for name, node_entries in nodes.items():
        built = _node_entity(name, node_entries, building, site_entity)
        if built is not None:
            node_entities[name], linearizations[name] = built
    if building.problems or site_entity is None:
        raise GwError(unique(d for p in building.problems for d in p.diagnostics))
    site_entity.late_names.update({"site": site_entity.config, "nodes": building.all_nodes,
                                   "hosts": building.all_hosts})
    site_late.update(site_entity.late_names)
    _bind_site_names(building, host_entities, node_entities)
    for entity in [site_entity, *host_entities.values(), *node_entities.values()]:
        entity.build()
    return SiteEntities(site_entity, host_entities, node_entities,
                        {n: [e.declaration for e in es] for n, es in nodes.items()},
                        {n: [h for h, _ in hs] for n, hs in hosts.items()}, linearizations, building.cross_reads)


def _gather(sites: list[Declaration]) -> tuple[HostEntries, NodeEntries]:
    """The hosts and nodes (families expanded) by name, each with every declaration of it, in site order."""
    hosts: HostEntries = {}
    nodes: NodeEntries = {}
    for declaration in sites:
        assert isinstance(declaration.node, ast.SiteDecl)
        for item in declaration.node.items:
            if isinstance(item, ast.HostDecl):
                hosts.setdefault(item.name.name, []).append((item, declaration))
            elif isinstance(item, ast.NodeDecl):
                for name, index in _family(item):
                    nodes.setdefault(name, []).append(_NodeEntry(item, declaration, index))
    return hosts, nodes


def _site_entity(site: Declaration, building: _Building, late: dict[str, Any]) -> Entity | None:
    """The site: one body per site in its C3 order; its late names (`site`, `nodes`, `hosts`) go
    into `late` only after every host and node exists, since `nodes` and `hosts` list them."""
    bodies = []
    for declaration in building.sites:
        assert isinstance(declaration.node, ast.SiteDecl)
        statements = tuple(i for i in declaration.node.items if isinstance(i, ast.Define | ast.Assert))
        ancestors = _ancestors(declaration, building.sites, building.site_index)
        bodies.append(Body(f"site `{declaration.name}`", statements, building.body_scope(late, declaration),
                           building.site_index[id(declaration)], ancestors, declaration.module_path))
    entity = building.entity("site", site.name, bodies, _name_span(site))
    if entity is not None:
        entity.declarations = tuple(_name_span(declaration) for declaration in building.sites)
    return entity


def _host_entity(name: str, entries: list[tuple[ast.HostDecl, Declaration]], building: _Building,
                 site: Entity | None) -> Entity | None:
    """A host: one body per site declaring it; `host` in them is this host's final value."""
    late: dict[str, Any] = {}
    inherited = _inherited_bodies([d for _, d in entries], building.site_index, 0)
    bodies = [Body(f"host `{name}` in site `{d.name}`", decl.body, building.body_scope(late, d), i,
                   inherited[i], d.module_path)
              for i, (decl, d) in enumerate(entries)]
    entity = building.entity("host", name, bodies, entries[0][0].name.span)
    if entity is not None:
        entity.declarations = tuple(decl.name.span for decl, _ in entries)
        entity.late_names.update(late_names_host(entity, site, building.all_nodes, building.all_hosts))
        late.update(entity.late_names)
    return entity


def _node_entity(name: str, entries: list[_NodeEntry], building: _Building,
                 site: Entity | None) -> tuple[Entity, list[str]] | None:
    """A node and its profile order: its profiles' bodies (C3, most general first), then one body
    per site declaring it.  `node` in every body is this node's final value, so a profile shared by
    many nodes sees each in turn; `host` is the host the node names (forced only when read)."""
    late: dict[str, Any] = {}
    try:
        profiles = _node_profiles(name, entries)
    except GwError as failure:
        building.problems.append(failure)
        return None
    bodies: list[Body] = []
    for profile in profiles:
        assert isinstance(profile.node, ast.ProfileDecl)
        order = building.profile_orders.get(profile)
        if order is None:
            order = building.profile_orders[profile] = frozenset(_profile_order(profile))
        ancestors = frozenset(i for i, p in enumerate(profiles) if p is not profile and p in order)
        bodies.append(Body(f"profile `{profile.name}`", profile.node.body, Scope(late, profile.scope),
                           len(bodies), ancestors, profile.module_path))
    inherited = _inherited_bodies([entry.site for entry in entries], building.site_index, len(profiles))
    index = next((entry.index for entry in entries if entry.index is not None), None)
    for entry, own_ancestors in zip(entries, inherited, strict=True):
        # a family member's `index` is bound in every body of it, also one written for it alone
        extra = {"index": index} if index is not None else None
        bodies.append(Body(f"node `{name}` in site `{entry.site.name}`", entry.declaration.body,
                           building.body_scope(late, entry.site, extra), len(bodies),
                           frozenset(range(len(profiles))) | own_ancestors, entry.site.module_path))
    sharing = building.shared.sharing(tuple(profiles), [entry.declaration.body for entry in entries],
                                      building.schemas.entity("node")) if building.shared else None
    entity = building.entity("node", name, bodies, entries[0].declaration.name.span, {"index": index}, sharing)
    if entity is None:
        return None
    entity.declarations = tuple(entry.declaration.name.span for entry in entries)
    entity.late_names.update(late_names_node(entity, site, building.all_nodes, building.all_hosts))
    late.update(entity.late_names)
    return entity, [p.name for p in profiles]


def _bind_site_names(building: _Building, hosts: dict[str, Entity], nodes: dict[str, Entity]) -> None:
    """Every entity exists: fill `hosts`, `nodes` and the site bodies' names of hosts and nodes."""
    building.site_names.update({n: e.config for n, e in hosts.items()})
    building.site_names.update({n: e.config for n, e in nodes.items()})
    building.all_hosts.attrs.update({n: e.config for n, e in hosts.items()})
    building.all_nodes.attrs.update({n: e.config for n, e in nodes.items()})


def late_names_node(entity: Entity, site: Entity | None, nodes: AttrSet,
                    hosts: AttrSet) -> dict[str, AttrSet | Thunk | None]:
    """A node's late names: `node` itself, `host` the host it names, `site`, `nodes`, `hosts`."""
    config = entity.config

    def own_host() -> Any:
        return entity.evaluator.force(config.attrs["host"]) if "host" in config.attrs else None

    return {"node": config, "host": Thunk(own_host, None, "host", entity.declared_at),
            "site": site.config if site else None, "nodes": nodes, "hosts": hosts}


def late_names_host(entity: Entity, site: Entity | None, nodes: AttrSet,
                    hosts: AttrSet) -> dict[str, AttrSet | Thunk | None]:
    """A host's late names: `host` itself, `site`, `nodes`, `hosts`."""
    return {"host": entity.config, "site": site.config if site else None, "nodes": nodes, "hosts": hosts}


def _name_span(declaration: Declaration) -> Span:
    node = declaration.node
    assert isinstance(node, ast.SiteDecl | ast.ProfileDecl | ast.SchemaDecl)
    return node.name.span


def _resolve_parents(declaration: Declaration, kind: str) -> list[Declaration]:
    node = declaration.node
    assert isinstance(node, ast.SiteDecl | ast.ProfileDecl)
    return [_lookup(declaration.scope, parent, kind) for parent in node.parents]


def _lookup(scope: Scope, name: ast.Name, kind: str) -> Declaration:
    try:
        found = scope.lookup(name.name)
    except KeyError:
        candidates = [n for n in scope.all_names() if isinstance(_peek(scope, n), Declaration)]
        raise error("E0310", f"no {kind} named `{name.name}`", name.span, f"not a known {kind}",
                    help=did_you_mean(name.name, candidates)
                    or f"import the module that declares `{name.name}`") from None
    if not isinstance(found, Declaration) or found.kind != kind:
        what = f"a {found.kind}" if isinstance(found, Declaration) else "a value"
        raise error("E0310", f"`{name.name}` is {what}, not a {kind}", name.span, f"a {kind} is needed here")
    return found


def _peek(scope: Scope, name: str) -> Any:
    try:
        return scope.lookup(name)
    except KeyError:
        return None


def _profile_order(profile: Declaration) -> list[Declaration]:
    return c3(profile, lambda p: _resolve_parents(p, "profile"), lambda p: p.name, _name_span)


def _node_profiles(name: str, entries: list[_NodeEntry]) -> list[Declaration]:
    """The node's profiles, most general first: the C3 order of a class whose bases are its profile list."""
    with_profiles = [e for e in entries if e.declaration.profiles is not None]
    if not with_profiles:
        first = entries[0].declaration
        raise error("E0311", f"node `{name}` has no profile list", first.name.span, "declared without profiles",
                    help=f"declare it as `node {name} : base {{ ... }}`")
    entry = with_profiles[-1]
    assert entry.declaration.profiles is not None
    parents = [_lookup(entry.site.scope, p, "profile") for p in entry.declaration.profiles]
    for written, parent in zip(entry.declaration.profiles, parents, strict=True):
        if isinstance(parent.node, ast.ProfileDecl) and parent.node.abstract:
            raise error("E0316", f"node `{name}` lists the abstract profile `{parent.name}`", written.span,
                        "abstract: only other profiles may extend it", secondary=[Label(parent.node.name.span,
                                                                                          "declared abstract here")],
                        help=f"list a profile that extends `{parent.name}`, or drop `abstract` from it")
    root = Declaration("node", name, entry.site.node, entry.site.scope, entry.site.module_path)

    def parents_of(item: Declaration) -> list[Declaration]:
        return parents if item is root else _resolve_parents(item, "profile")

    def span_of(item: Declaration) -> Span:
        return entry.declaration.name.span if item is root else _name_span(item)

    order = c3(root, parents_of, lambda p: p.name, span_of)
    return list(reversed(order[1:]))


def _ancestors(declaration: Declaration, sites: list[Declaration], index: dict[int, int]) -> frozenset[int]:
    order = c3(declaration, lambda s: _resolve_parents(s, "site"), lambda s: s.name, _name_span)
    return frozenset(index[id(s)] for s in order[1:] if id(s) in index)


def _inherited_bodies(owners: list[Declaration], index: dict[int, int], offset: int) -> list[frozenset[int]]:
    """For a host's or node's bodies written in `owners` (sites, in order), the earlier bodies each inherits.

    A body inherits the bodies of its own site and of the sites that site extends; a body from a sibling
    site is no ancestor, so the two conflict as sibling profiles do (rule 5).
    """
    result = []
    for position, owner in enumerate(owners):
        extended = _ancestors(owner, [], index)
        result.append(frozenset(offset + earlier for earlier, other in enumerate(owners[:position])
                                if other is owner or index[id(other)] in extended))
    return result


def _family(declaration: ast.NodeDecl) -> list[tuple[str, int | None]]:
    family = declaration.family
    if family is None:
        return [(declaration.name.name, None)]
    return [(f"{declaration.name.name}{str(i).zfill(family.width)}", i)
            for i in range(family.low, family.high + 1)]


def _check_scopes(sites: list[Declaration], schemas: SchemaRegistry, entities: dict[str, tuple[str, ...]],
                  indexed: set[str]) -> None:
    """Undefined names in the bodies of `sites`, seeing the hosts and nodes of the site compiled.

    Done here rather than when the module is loaded: an inherited site's
    bodies see the hosts and nodes its descendant declares.
    """
    members = frozenset(entities["host"] + entities["node"])
    problems = []
    for declaration in sites:
        assert isinstance(declaration.node, ast.SiteDecl)
        module_names = declaration.scope.all_names() | members
        statements = [item for item in declaration.node.items if isinstance(item, ast.Define | ast.Assert)]
        problems += undefined_in_statements(statements, module_names | {"site", "nodes", "hosts"}, members,
                                            _references(schemas, "site", entities))
        for item in declaration.node.items:
            if isinstance(item, ast.HostDecl):
                problems += undefined_in_statements(item.body, module_names | {"host", "site", "nodes", "hosts"},
                                                    members, _references(schemas, "host", entities))
            elif isinstance(item, ast.NodeDecl):
                late = {"node", "host", "site", "nodes", "hosts"}
                if any(name in indexed for name, _ in _family(item)):
                    late.add("index")
                problems += undefined_in_statements(item.body, module_names | late, members,
                                                    _references(schemas, "node", entities))
    if problems:
        raise GwError(unique(problems))


def _references(schemas: SchemaRegistry, kind: str, entities: dict[str, tuple[str, ...]]) -> Referred:
    """For a path of a `kind` body: the kind of entity it refers to and the site's entities of that kind."""
    def referred(path: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
        kind_at = record_field_type(schemas.entity(kind), path)
        target = reference_of(kind_at) if kind_at is not None else None
        return None if target is None or target.kind not in entities else (target.kind, entities[target.kind])
    return referred


def _check_names(hosts: dict[str, list[tuple[ast.HostDecl, Declaration]]],
                 nodes: dict[str, list[_NodeEntry]]) -> None:
    clashes = sorted(set(hosts) & set(nodes))
    if clashes:
        name = clashes[0]
        raise error("E0312", f"`{name}` names both a host and a node", nodes[name][0].declaration.name.span,
                    "the node", secondary=[Label(hosts[name][0][0].name.span, "the host")],
                    help="give one of them another name")
