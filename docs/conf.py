"""Sphinx configuration for the mdpo documentation.

The docs are built against the *installed* package (``pip install -e .``); the repository root
is deliberately not put on ``sys.path``, because the folders ``aggregators/``, ``adapters/`` and
``benchmarks/`` are installed as ``mdpo.aggregators``, ``mdpo.adapters`` and ``mdpo.benchmarks``.
"""

from __future__ import annotations

from importlib.metadata import version as _dist_version

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
    "sphinx.ext.doctest",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]

autosummary_generate = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# Intersphinx is off: under -W an unreachable inventory would fail the offline build.

html_theme = "furo"
html_title = "mdpo"
myst_enable_extensions = ["dollarmath", "colon_fence"]
