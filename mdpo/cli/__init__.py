"""The ``mdpo`` command line: ``bench``, ``train`` and ``generate``."""

from __future__ import annotations

from mdpo.cli.main import main

__all__ = ["main"]
