"""The lazy evaluator: expressions in scopes to values.

Evaluation is call-by-need: bindings, list elements and arguments become
`Thunk`s, run at most once.  A thunk met again while it runs is infinite
recursion, reported with the chain of thunks between the two meetings.
Dispatch is a table from node type to method, which is both the registry
style.md asks for and the fastest dispatch CPython offers.

Around it: `deep.py` runs evaluation on a large stack (`run_deep`, and
`too_deep` for the rare real overflow); `hints.py` words the errors that
teach (did-you-mean, sizes written apart, the chain of an infinite
recursion); `reads.py` is the record of cross-reads a merge hands in.
Each expression form is one method of `(expr, scope)` in the `dispatch`
table, so a faster evaluator (compiling the AST to closures) can replace
the forms one at a time behind the same `eval`/`force`/`call` interface.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from gwlang.diagnostics import GwError, Label, Span, did_you_mean, error
from gwlang.eval import hints, limits, operators
from gwlang.eval.attrs import AttrBuilder, delay_binding

# run_deep and too_deep lived here; callers throughout the code base and tests import them from here
from gwlang.eval.deep import run_deep as run_deep
from gwlang.eval.deep import too_deep as too_deep
from gwlang.eval.domain import IPAddress, IPNetwork, MacAddress, Size
from gwlang.eval.reads import CrossReads
from gwlang.eval.values import AttrSet, Builtin, Closure, Scope, Thunk, scalar_text, type_name
from gwlang.syntax import ast

if TYPE_CHECKING:
    from gwlang.eval.modules import ModuleLoader

T = TypeVar("T")

class Evaluator:
    """Evaluates expressions; owns the stack of running thunks and the module loader."""

    def __init__(self, builtins: dict[str, Any], loader: ModuleLoader | None = None) -> None:
        self.root_scope = Scope(builtins, None)
        self.loader = loader
        self.running: list[Thunk] = []
        self.overflow_chain: list[Thunk] | None = None
        # The site's record of cross-reads while one of its entities merges
        # an attribute, else None (see eval/reads.py).
        self.cross_reads: CrossReads | None = None
        self.overflow_call: Span | None = None
        self._domain_literals: dict[tuple[str, str], IPAddress | IPNetwork | MacAddress] = {}
        self.dispatch: dict[type, Callable[[Any, Scope], Any]] = {
            ast.IntLit: self._int, ast.SizeLit: self._size, ast.DomainLit: self._domain,
            ast.Const: self._const, ast.Str: self._str, ast.Var: self._var,
            ast.Select: self._select, ast.HasAttr: self._has_attr, ast.Apply: self._apply,
            ast.Lambda: self._lambda, ast.AttrSet: self._attrset, ast.ListExpr: self._list,
            ast.Let: self._let, ast.If: self._if, ast.BinOp: self._binop, ast.Not: self._not,
            ast.Negate: self._negate, ast.Import: self._import,
        }

    # -- forcing -------------------------------------------------------------------

    def eval(self, expr: ast.Expr, scope: Scope) -> Any:
        return self.dispatch[type(expr)](expr, scope)

    def force(self, value: Any) -> Any:
        if type(value) is Thunk:
            return self.force_thunk(value)
        return value

    def force_thunk(self, thunk: Thunk) -> Any:
        state = thunk.state
        if state == 2:
            return thunk.value
        if state == 1:
            raise hints.infinite_recursion(self.running, thunk)
        if state == 3:
            raise thunk.value
        thunk.state = 1
        self.running.append(thunk)
        try:
            scope = thunk.scope
            if scope is None:
                value = thunk.code()  # type: ignore[operator]
            else:
                value = self.dispatch[type(thunk.code)](thunk.code, scope)
        except GwError as failure:
            thunk.state = 3
            thunk.value = failure
            raise
        except RecursionError:
            thunk.state = 0
            if self.overflow_chain is None:
                self.overflow_chain = [t for t in self.running[-hints.MAX_CHAIN_SHOWN:] if t.span is not None]
            raise
        except (MemoryError, limits.OutOfMemory) as failure:
            # The innermost running value with a location takes the blame; the run ends (OutOfMemory).
            thunk.state = 0
            stopped = failure if isinstance(failure, limits.OutOfMemory) else limits.OutOfMemory()
            if stopped.span is None:
                stopped.span = next((t.span for t in reversed(self.running) if t.span is not None), None)
            if stopped is failure:
                raise
            raise stopped from None
        except BaseException:
            thunk.state = 0
            raise
        finally:
            self.running.pop()
        thunk.state = 2
        thunk.value = value
        thunk.code = _done  # free the expression's scope for the collector
        thunk.scope = None
        return value

    def deep_force(self, value: Any) -> Any:
        """Force a value and everything inside it (for printing and JSON)."""
        value = self.force(value)
        pending = [value]
        seen: set[int] = set()  # a value may contain itself (`let s = { a = s; }`)
        while pending:
            current = pending.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            if type(current) is tuple:
                for item in current:
                    pending.append(self.force(item))
            elif type(current) is AttrSet:
                for item in current.attrs.values():
                    pending.append(self.force(item))
        return value

    # -- literals and names ------------------------------------------------------

    def _int(self, expr: ast.IntLit, scope: Scope) -> int:
        return expr.value

    def _size(self, expr: ast.SizeLit, scope: Scope) -> Size:
        return Size(expr.value)

    def _domain(self, expr: ast.DomainLit, scope: Scope) -> IPAddress | IPNetwork | MacAddress:
        key = (expr.kind, expr.text)
        cached = self._domain_literals.get(key)
        if cached is None:
            try:
                if expr.kind == "mac":
                    cached = MacAddress.parse(expr.text)
                elif expr.kind == "net":
                    cached = IPNetwork.parse(expr.text)
                else:
                    cached = IPAddress.parse(expr.text)
            except ValueError as problem:
                raise error("E0109", str(problem), expr.span, "invalid literal") from None
            self._domain_literals[key] = cached
        return cached

    def _const(self, expr: ast.Const, scope: Scope) -> Any:
        return expr.value

    def _str(self, expr: ast.Str, scope: Scope) -> str:
        pieces: list[str] = []
        for part in expr.parts:
            if isinstance(part, str):
                pieces.append(part)
            else:
                pieces.append(self.interpolate(self.eval(part, scope), part.span))
        if len(pieces) > 1:
            limits.check_string(sum(map(len, pieces)), "interpolation", expr.span)
        return "".join(pieces)

    def interpolate(self, value: Any, span: Span) -> str:
        """`"${value}"`: the value's text (`scalar_text`, shared with `toString`), or E0203."""
        text = scalar_text(value, span)
        if text is not None:
            return text
        raise error("E0203", f"cannot put {type_name(value)} into a string", span,
                    f"this is {type_name(value)}",
                    help="strings, integers, sizes and addresses interpolate; convert others with `toString`")

    def _var(self, expr: ast.Var, scope: Scope) -> Any:
        name = expr.name
        current: Scope | None = scope
        while current is not None:
            names = current.names
            if name in names:
                value = names[name]
                if type(value) is Thunk:
                    return self.force_thunk(value)
                return value
            current = current.parent
        raise error("E0201", f"undefined variable `{name}`", expr.span, "not defined here",
                    help=hints.size_meant(expr) or hints.suggest_name(name, scope))

    # -- attribute access ------------------------------------------------------------

    def attribute_name(self, key: ast.AttrKey, scope: Scope) -> str:
        if type(key) is ast.StaticKey:
            return key.name
        value = self.eval(key.expr, scope)  # type: ignore[union-attr]
        if type(value) is not str:
            raise error("E0203", f"an attribute name must be a string, not {type_name(value)}",
                        key.span, f"this is {type_name(value)}")
        return value

    def _select(self, expr: ast.Select, scope: Scope) -> Any:
        value = self.eval(expr.target, scope)
        for key in expr.path:
            name = self.attribute_name(key, scope)
            kind = type(value)
            if kind is AttrSet:
                attrs = value.attrs
                if value.entity is not None and self.cross_reads is not None:
                    self.cross_reads.note(value.entity)
                if name in attrs:
                    value = attrs[name]
                    if type(value) is Thunk:
                        value = self.force_thunk(value)
                    continue
                if expr.default is not None:
                    return self.eval(expr.default, scope)
                raise hints.missing_attribute(value, name, key.span)
            if kind is IPNetwork or kind is IPAddress or kind is Size or kind is MacAddress:
                try:
                    value = operators.domain_field(value, name)
                    continue
                except KeyError:
                    if expr.default is not None:
                        return self.eval(expr.default, scope)
                    raise error("E0202", f"{type_name(value)} has no field `{name}`", key.span,
                                "no such field", help=did_you_mean(name, operators.domain_field_names(value)),
                                notes=[hints.fields_note(value)]) from None
            if expr.default is not None:
                return self.eval(expr.default, scope)
            raise error("E0203", f"cannot select `{name}` from {type_name(value)}", key.span,
                        f"the value here is {type_name(value)}, not an attribute set")
        return value

    def _has_attr(self, expr: ast.HasAttr, scope: Scope) -> bool:
        value = self.eval(expr.target, scope)
        last = len(expr.path) - 1
        for position, key in enumerate(expr.path):
            name = self.attribute_name(key, scope)
            if type(value) is AttrSet:
                if name not in value.attrs:
                    return False
                if position < last:  # `s ? a` never forces `s.a` itself
                    value = self.force(value.attrs[name])
                continue
            try:  # `net ? prefix` agrees with `net.prefix`
                value = operators.domain_field(value, name)
            except KeyError:
                return False
        return True

    # -- functions ----------------------------------------------------------------

    def _lambda(self, expr: ast.Lambda, scope: Scope) -> Closure:
        return Closure(expr, scope)

    def _apply(self, expr: ast.Apply, scope: Scope) -> Any:
        function = self.dispatch[type(expr.function)](expr.function, scope)
        if type(function) is int and type(expr.argument) is ast.Var:
            unit_problem = hints.number_with_unit_word(expr, expr.argument)
            if unit_problem is not None:
                raise unit_problem
        try:  # free in 3.11 unless raised
            return self.call(function, self.delay(expr.argument, scope), expr.span)
        except RecursionError:
            # A function that recurses without thunks leaves no chain: keep the innermost call.
            if self.overflow_call is None:
                self.overflow_call = expr.span
            raise

    def delay(self, expr: ast.Expr, scope: Scope, label: str | None = None) -> Any:
        """A thunk for `expr`, or its value at once where that costs nothing."""
        kind = type(expr)
        if kind is ast.IntLit or kind is ast.Const:
            return expr.value  # type: ignore[union-attr]
        if kind is ast.Var:
            try:
                return scope.lookup(expr.name)  # type: ignore[union-attr]
            except KeyError:
                pass  # let forcing report it, at the right time
        elif kind is ast.Str and len(expr.parts) == 1 and type(expr.parts[0]) is str:  # type: ignore[union-attr]
            return expr.parts[0]  # type: ignore[union-attr]
        return Thunk(expr, scope, label, expr.span)

    def call(self, function: Any, argument: Any, span: Span) -> Any:
        if type(function) is Closure:
            lambda_ = function.lambda_
            param = lambda_.param
            if type(param) is str:
                body_scope = Scope({param: argument}, function.scope)
            else:
                body_scope = self._bind_pattern(param, argument, function.scope, span)  # type: ignore[arg-type]
            body = lambda_.body
            return self.dispatch[type(body)](body, body_scope)
        return self._call_other(function, argument, span)

    def call2(self, function: Any, first: Any, second: Any, span: Span) -> Any:
        """`f a b` without building the intermediate closure of a curried `a: b: ...`."""
        if type(function) is Closure:
            outer = function.lambda_
            inner = outer.body
            if type(outer.param) is str and type(inner) is ast.Lambda and type(inner.param) is str:
                scope = Scope({inner.param: second}, Scope({outer.param: first}, function.scope))
                body = inner.body
                return self.dispatch[type(body)](body, scope)
        return self.call(self.force(self.call(function, first, span)), second, span)

    def _call_other(self, function: Any, argument: Any, span: Span) -> Any:
        kind = type(function)
        if kind is Builtin:
            args = (*function.args, argument)
            if len(args) < function.arity:
                return Builtin(function.name, function.arity, function.function, args)
            return function.function(self, span, *args)
        if kind is AttrSet and "__functor" in function.attrs:
            functor = self.force(function.attrs["__functor"])
            return self.call(self.call(functor, function, span), argument, span)
        raise error("E0215", f"cannot call {type_name(function)}", span,
                    f"this applies {type_name(function)} as if it were a function",
                    notes=["only functions take arguments; a missing `;` or operator "
                           "can make two values look like a call"])

    def _bind_pattern(self, pattern: ast.Pattern, argument: Any, closure_scope: Scope, span: Span) -> Scope:
        given = self.force(argument)
        if type(given) is not AttrSet:
            raise error("E0203", f"this function takes an attribute set, not {type_name(given)}", span,
                        f"called with {type_name(given)}",
                        secondary=[Label(pattern.span, "the function's pattern")])
        names: dict[str, Any] = {}
        scope = Scope(names, closure_scope)
        attrs = given.attrs
        for formal in pattern.formals:
            if formal.name in attrs:
                names[formal.name] = attrs[formal.name]
            elif formal.default is not None:
                names[formal.name] = Thunk(formal.default, scope, formal.name, formal.default.span)
            else:
                raise hints.missing_argument(formal, pattern, attrs, span)
        if not pattern.ellipsis:
            known = {f.name for f in pattern.formals}
            for name in attrs:
                if name not in known:
                    raise error("E0210", f"unexpected argument `{name}`", span,
                                f"this call gives `{name}`",
                                secondary=[Label(pattern.span, "the function takes only these")],
                                help=did_you_mean(name, known) or "add `...` to the pattern to accept more")
        if pattern.bind_as is not None:
            names[pattern.bind_as] = given
        return scope

    # -- attribute sets, lists, let ------------------------------------------------

    def _attrset(self, expr: ast.AttrSet, scope: Scope) -> AttrSet:
        if expr.recursive:
            names: dict[str, Any] = {}
            inner = Scope(names, scope)
            built = self.build_attrs(expr.bindings, inner, scope)
            names.update(built.attrs)
            return built
        return self.build_attrs(expr.bindings, scope, scope)

    def _let(self, expr: ast.Let, scope: Scope) -> Any:
        names: dict[str, Any] = {}
        inner = Scope(names, scope)
        names.update(self.build_attrs(expr.bindings, inner, scope).attrs)
        return self.dispatch[type(expr.body)](expr.body, inner)

    def build_attrs(self, bindings: tuple[ast.Binding, ...], value_scope: Scope,
                    inherit_scope: Scope) -> AttrSet:
        """Bindings to an attribute set; nested paths (`a.b = 1; a.c = 2;`) merge."""
        simple = _simple_bindings(bindings)
        if simple is not None:
            attrs: dict[str, Any] = {}
            spans: dict[str, Span] = {}
            for name, key_span, value in simple:
                attrs[name] = delay_binding(value, value_scope, name)
                spans[name] = key_span
            if len(attrs) == len(simple):
                return AttrSet(attrs, spans)
        builder = AttrBuilder(self)
        for binding in bindings:
            if type(binding) is ast.Bind:
                builder.bind(binding, value_scope)
            else:
                builder.inherit(binding, value_scope, inherit_scope)  # type: ignore[arg-type]
        return builder.result()

    def _list(self, expr: ast.ListExpr, scope: Scope) -> tuple[Any, ...]:
        delay = self.delay
        return tuple([delay(item, scope) for item in expr.items])

    # -- control and operators ---------------------------------------------------------

    def _if(self, expr: ast.If, scope: Scope) -> Any:
        condition = self.dispatch[type(expr.condition)](expr.condition, scope)
        if type(condition) is not bool:
            raise error("E0203", f"a condition must be a boolean, not {type_name(condition)}",
                        expr.condition.span, f"this is {type_name(condition)}")
        branch = expr.then if condition else expr.otherwise
        return self.dispatch[type(branch)](branch, scope)

    def _not(self, expr: ast.Not, scope: Scope) -> bool:
        value = self.eval(expr.operand, scope)
        if type(value) is not bool:
            raise error("E0203", f"`!` needs a boolean, not {type_name(value)}", expr.operand.span,
                        f"this is {type_name(value)}")
        return not value

    def _negate(self, expr: ast.Negate, scope: Scope) -> Any:
        value = self.eval(expr.operand, scope)
        if type(value) is int:
            return -value
        if type(value) is Size:
            return Size(-value.bytes)
        raise error("E0203", f"cannot negate {type_name(value)}", expr.operand.span,
                    f"this is {type_name(value)}")

    def _binop(self, expr: ast.BinOp, scope: Scope) -> Any:
        op = expr.op
        if op == "&&" or op == "||" or op == "->":
            return self._logic(expr, scope)
        dispatch = self.dispatch
        left = dispatch[type(expr.left)](expr.left, scope)
        right = dispatch[type(expr.right)](expr.right, scope)
        if type(left) is int and type(right) is int:
            # The hot path of arithmetic-heavy programs, kept out of the tables.
            if op == "+":
                return left + right
            if op == "-":
                return left - right
            if op == "==":
                return left == right
            if op == "<":
                return left < right
        return operators.binary(self, op, left, right, expr)

    def _logic(self, expr: ast.BinOp, scope: Scope) -> bool:
        left = self._boolean(expr.left, scope, expr.op)
        if expr.op == "&&" and not left:
            return False
        if expr.op == "||" and left:
            return True
        if expr.op == "->" and not left:
            return True
        return self._boolean(expr.right, scope, expr.op)

    def _boolean(self, operand: ast.Expr, scope: Scope, op: str) -> bool:
        value = self.eval(operand, scope)
        if type(value) is not bool:
            raise error("E0203", f"`{op}` needs booleans, not {type_name(value)}", operand.span,
                        f"this is {type_name(value)}")
        return value

    def _import(self, expr: ast.Import, scope: Scope) -> Any:
        if self.loader is None:
            raise error("E0220", "imports are not available here", expr.span)
        return self.loader.import_value(expr.target, expr.search, expr.span)


def _simple_bindings(bindings: tuple[ast.Binding, ...]) -> list[tuple[str, Span, ast.Expr]] | None:
    """`name = value;` bindings only (the common case), or None when any is dotted,
    dynamic or an `inherit`; those go through the general builder."""
    simple = []
    for binding in bindings:
        if type(binding) is not ast.Bind or len(binding.path) != 1:
            return None
        key = binding.path[0]
        if type(key) is not ast.StaticKey:
            return None
        simple.append((key.name, key.span, binding.value))
    return simple


def _done() -> Any:
    raise AssertionError("a finished thunk never runs again")
