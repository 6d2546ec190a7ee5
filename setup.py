"""The package list, the one part of the build pyproject.toml cannot compute.

The .gw standard library lives in the repository's top-level `stdlib/`
folder, and a wheel or sdist must carry it: it is mapped into the package as
`gwlang.stdlib` (its files are package data, see pyproject.toml), where an
installed gwc looks for it.  Its subfolders are listed as packages too, as
gwlang's own template folders are, so setuptools does not warn about data
in folders it was not told of.
"""

from setuptools import find_namespace_packages, setup

STDLIB = ["gwlang.stdlib", *(f"gwlang.stdlib.{name}" for name in find_namespace_packages("stdlib"))]

setup(packages=[*find_namespace_packages(include=["gwlang", "gwlang.*"]), *STDLIB],
      package_dir={"gwlang.stdlib": "stdlib"})
