"""The built-in functions: one registry (`registry.py`), filled by one module per family.

Importing the package registers every family, in the order of the
Builtins section of docs/language.md: lists, attribute sets, strings,
types and control, domain values.
"""

from gwlang.eval.builtins import attrsets, domain, lists, strings, types  # noqa: F401  (they register)
from gwlang.eval.builtins.registry import REGISTRY, BuiltinSpec, builtin_values

__all__ = ["REGISTRY", "BuiltinSpec", "builtin_values"]
