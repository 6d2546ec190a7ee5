"""The one jinja2 environment every emitter renders with.

Templates are files under `templates/<target>/`; they hold loops and simple
conditionals only, and every value passes through a quoting filter of
`filters.py`.  `StrictUndefined` turns a misspelt variable into an error
instead of an empty string; XML templates are autoescaped as a second guard.

Templates are loaded once per process and never checked for changes
(`auto_reload` off): they ship with the package, and jinja's check is a
`stat` per render, thousands per compile.  jinja2 is imported on the first
render, so a compile that keeps every site imports none of it.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from gwlang.emit.filters import FILTERS

if TYPE_CHECKING:
    import jinja2


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gwlang.emit", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("xml.j2",), default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    # The templates call no global function (`range`, `dict`, `namespace`...), and every render
    # copies the globals into its context: without them a render costs half as much.
    env.globals.clear()
    return env


@cache
def template(template_name: str) -> jinja2.Template:
    """The compiled template, looked up once (the environment's own cache costs a lock and a key)."""
    return environment().get_template(template_name)


def render(template_name: str, /, **context: Any) -> str:
    return template(template_name).render(**context)
