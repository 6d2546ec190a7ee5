"""The report's folder: every page rendered from `pages.py`'s data, written whole or not at all.

Pages are jinja2 templates (`templates/*.html.j2`, autoescaped, strict);
links are relative so the folder opens from file:// wherever it is copied.
The folder is built beside its destination and renamed into place, and a
marker file (`.gwc-report`) lets the next run replace it while refusing to
replace a folder that is not a report.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from gwlang import __version__
from gwlang.diagnostics import Source
from gwlang.emit.artifact import Artifact
from gwlang.report.highlight import highlight_lines
from gwlang.report.pages import DiagnosticView, Link, SitePage, artefact_copy, artefact_view, href, source_path

MARKER = ".gwc-report"
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class Report:
    sites: Sequence[SitePage]
    sources: Mapping[str, Source]                  # by name as diagnostics show it
    artifacts: Sequence[Artifact]
    diagnostics: Sequence[DiagnosticView] = ()     # problems of the sources as a whole (a file that does not parse)


def is_replaceable(folder: Path) -> bool:
    """A folder the report may take: missing, empty, or a report written before."""
    if not folder.exists():
        return True
    return folder.is_dir() and ((folder / MARKER).is_file() or not any(folder.iterdir()))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("gwlang.report", "templates"),
                             undefined=jinja2.StrictUndefined, autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["url"] = href
    return env


def write_report(report: Report, folder: Path) -> Path:
    """Write the whole report to `folder` (replacing a report there); returns its index page."""
    folder = folder.absolute()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        _write_all(report, staging)
        _replace(folder, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder / "index.html"


def _replace(folder: Path, staging: Path) -> None:
    if folder.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
        os.rename(folder, old / "report")
        os.rename(staging, folder)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staging, folder)
    folder.chmod(0o755)


def _write_all(report: Report, root: Path) -> None:
    (root / MARKER).write_text(f"written by gwc {__version__} report\n")
    for name in ("report.css", "report.js"):
        shutil.copyfile(STATIC / name, root / name)
    _page(root, "index.html", "index.html.j2", sites=report.sites, diagnostics=report.diagnostics,
          sources=[Link(name, source_path(name)) for name in sorted(report.sources)])
    for site in report.sites:
        _page(root, site.path, "site.html.j2", site=site)
        if site.diagnostics:
            _page(root, site.diagnostics_path, "diagnostics.html.j2", site=site, diagnostics=site.diagnostics)
        for entity in site.entities:
            _page(root, entity.path, "entity.html.j2", site=site, entity=entity)
    for source in report.sources.values():
        _page(root, source_path(source.name), "source.html.j2", name=source.name,
              lines=highlight_lines(source.text))
    for artifact in report.artifacts:
        _write(root, artefact_copy(artifact.path), artifact.text)
        _page(root, artefact_view(artifact.path), "artefact.html.j2", artifact=artifact,
              copy=artefact_copy(artifact.path), lines=artifact.text.splitlines())


def _page(root: Path, path: str, template: str, **context: Any) -> None:
    up = "../" * path.count("/")
    text = _environment().get_template(template).render(root=up, here=path, version=__version__,
                                                         Markup=Markup, **context)
    _write(root, path, text)


def _write(root: Path, path: str, text: str) -> None:
    target = root / path
    assert target.resolve().is_relative_to(root.resolve()), path      # `pages.slug` keeps every name inside
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
