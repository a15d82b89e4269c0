"""Sphinx configuration for the mdpo documentation.

The docs are built against the *installed* package (``pip install -e .``); the repository root
is deliberately not put on ``sys.path``, because the folders ``aggregators/``, ``adapters/`` and
``benchmarks/`` are installed as ``mdpo.aggregators``, ``mdpo.adapters`` and ``mdpo.benchmarks``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache
from importlib.metadata import version as _dist_version
from pathlib import Path

project = "mdpo"
author = "mdpo developers"
copyright = "2026, mdpo developers"
release = _dist_version("mdpo")
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # serves MathJax from _static: the math renders offline
    "sphinx.ext.doctest",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
# Benchmark reports under results/ are pulled into results.md by ``_include_results`` below;
# they are not documents of their own.
exclude_patterns = ["_build", "results/**"]

# API pages are generated from each module's ``__all__`` (docs/_templates/autosummary/module.rst),
# so names added to a module later appear without editing the docs.
autosummary_generate = True
autosummary_ignore_module_all = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# ``Attributes:`` sections become fields of the class description instead of separate
# attribute entries, which would duplicate the ones autodoc writes for documented fields.
napoleon_use_ivar = True

# Intersphinx is off: under -W an unreachable inventory would fail the offline build.

html_theme = "furo"
html_title = "mdpo"
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# --- Benchmark results -------------------------------------------------------------------------

_RESULTS_MARKER = "<!-- mdpo-results -->"
_RESULT_FILES = ("report.md", "results.json")


def _results_markdown(srcdir: Path) -> str:
    """MyST source listing the committed benchmark results under ``docs/results/``.

    Every folder below ``results/`` that holds a ``report.md`` or ``results.json`` becomes a
    section: a hand-written ``NOTE.md`` first where there is one, then the report (headings
    demoted, image paths kept relative to the report); PNG figures the report does not
    mention are shown, and ``results.json`` is offered for download. With no results the
    page says how to produce them.
    """
    root = srcdir / "results"
    runs = sorted(
        {p.parent for name in _RESULT_FILES for p in root.rglob(name)} if root.is_dir() else ()
    )
    if not runs:
        return (
            ":::{note}\nNo benchmark results are committed yet. Run a suite (for example "
            "`make demo`) and copy its output folder under `docs/results/`; it appears here "
            "on the next build.\n:::\n"
        )
    parts = []
    for run in runs:
        rel = run.relative_to(srcdir).as_posix()
        parts.append(f"## `{run.relative_to(root).as_posix()}`\n")
        note = run / "NOTE.md"  # context written by hand (hardware, caveats), shown first
        if note.is_file():
            parts.append(f"```{{include}} {rel}/NOTE.md\n:heading-offset: 2\n```\n")
        report = run / "report.md"
        mentioned = ""
        if report.is_file():
            mentioned = report.read_text(encoding="utf-8")
            parts.append(
                f"```{{include}} {rel}/report.md\n:heading-offset: 2\n:relative-images:\n```\n"
            )
        for png in sorted(run.glob("*.png")):
            if png.name not in mentioned:
                parts.append(f"![{png.stem}]({rel}/{png.name})\n")
        if (run / "results.json").is_file():
            parts.append(f"Raw numbers: {{download}}`results.json <{rel}/results.json>`.\n")
    return "\n".join(parts)


def _include_results(app, docname: str, source: list[str]) -> None:
    """Replace the marker in ``results.md`` with the listing of committed results."""
    if docname == "results" and _RESULTS_MARKER in source[0]:
        source[0] = source[0].replace(_RESULTS_MARKER, _results_markdown(Path(app.srcdir)))


def _results_always_outdated(app, env, added, changed, removed) -> list[str]:
    """Re-read ``results.md`` on every build: new result folders change its content."""
    return ["results"] if "results" in env.found_docs else []


def _skip_namedtuple_aliases(app, what, name, obj, skip, options) -> bool | None:
    """Hide the generated "Alias for field number N" attributes of named tuples.

    Their fields are documented in the class's ``Attributes:`` section already.
    """
    doc = getattr(obj, "__doc__", None) or ""
    if what == "class" and doc.startswith("Alias for field number"):
        return True
    return None


# --- Constants re-exported by a package ------------------------------------------------------
# autodoc reads a constant's docstring (the string literal after its assignment) from the module
# being documented; a package that re-exports a constant from a submodule has none there, so
# ``autodata`` would show the docstring of ``float``. This hook finds the submodule's docstring.


@cache
def _reexported_doc(package: str, attr: str) -> tuple[str, ...] | None:
    """Docstring lines of ``package.attr`` when a submodule of ``package`` defines it."""
    from sphinx.errors import PycodeError
    from sphinx.pycode import ModuleAnalyzer

    module = importlib.import_module(package)
    if attr not in getattr(module, "__all__", ()) or not hasattr(module, "__path__"):
        return None
    for info in pkgutil.iter_modules(module.__path__, package + "."):
        try:
            analyzer = ModuleAnalyzer.for_module(info.name)
            analyzer.analyze()
        except PycodeError:
            continue
        doc = analyzer.attr_docs.get(("", attr))
        if doc and getattr(importlib.import_module(info.name), attr, None) is getattr(module, attr):
            return tuple(doc)
    return None


def _reexported_constant_doc(app, what, name, obj, options, lines: list[str]) -> None:
    """Give a re-exported constant the docstring its submodule wrote, never its type's."""
    if what != "data" or not name.startswith("mdpo."):
        return
    package, _, attr = name.rpartition(".")
    doc = _reexported_doc(package, attr)
    if doc:
        lines[:] = list(doc)
    elif lines and "\n".join(lines).strip() == inspect.cleandoc(type(obj).__doc__ or "").strip():
        lines[:] = []


def setup(app) -> dict[str, bool]:
    """Register the results hooks and the member filters."""
    app.connect("autodoc-skip-member", _skip_namedtuple_aliases)
    app.connect("autodoc-process-docstring", _reexported_constant_doc)
    app.connect("source-read", _include_results)
    app.connect("env-get-outdated", _results_always_outdated)
    return {"parallel_read_safe": True}
