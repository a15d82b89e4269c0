"""Shared test setup: offline hubs, deterministic torch, and tiny models built from configs."""

from __future__ import annotations

import os

# Set before transformers or datasets are imported anywhere, so an accidental download
# fails fast instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest
import torch


@pytest.fixture(autouse=True)
def _deterministic_torch():
    """Seed torch for every test and keep thread counts small on the 2-core CI machine."""
    torch.manual_seed(0)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    yield
