"""The environment for a pytest run a test starts itself (a new project's own tests).

Under `pytest -n` this process is an xdist worker, and its `PYTEST_XDIST_*`
variables would make the inner run believe it is one too (syrupy then keeps
its report to itself): the inner run gets the environment without them.
"""

from __future__ import annotations

import os


def outer_environment(**extra: str) -> dict[str, str]:
    kept = {name: value for name, value in os.environ.items()
            if not name.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST"))}
    return {**kept, **extra}
