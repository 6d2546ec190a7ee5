"""The one jinja2 environment every emitter renders with.

Templates are files under `templates/<target>/`; they hold loops and simple
conditionals only, and every value passes through a quoting filter of
`filters.py`.  `StrictUndefined` turns a misspelt variable into an error
instead of an empty string; XML templates are autoescaped as a second guard.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from gwlang.emit.filters import FILTERS


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gwlang.emit", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("xml.j2",), default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
