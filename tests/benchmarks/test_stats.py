"""Intervals over seeds and paired differences."""

from __future__ import annotations

import math

import pytest

from mdpo.benchmarks.stats import paired_difference, t_interval


def test_t_interval_matches_the_textbook_formula():
    out = t_interval([1.0, 2.0, 4.0], confidence=0.9)
    sd = math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2)
    half = 2.919985580355516 * sd / math.sqrt(3)  # t_{0.95, 2}
    assert out["mean"] == pytest.approx(7 / 3)
    assert out["half_width"] == pytest.approx(half)
    assert out["low"] == pytest.approx(7 / 3 - half) and out["n"] == 3


def test_t_interval_drops_nan_and_is_undefined_for_one_value():
    out = t_interval([2.0, float("nan")])
    assert out["mean"] == 2.0 and out["n"] == 1 and math.isnan(out["half_width"])


def test_paired_difference_uses_shared_seeds_only():
    a = {"0": 1.0, "1": 2.0, "2": 3.5}
    b = {"0": 0.5, "1": 1.0}
    out = paired_difference(a, b)
    assert out["seeds"] == ["0", "1"] and out["mean"] == pytest.approx(0.75)
    # Pairing removes the shared seed effect: constant offsets give a zero-width interval.
    tight = paired_difference({"0": 1.0, "1": 5.0}, {"0": 0.0, "1": 4.0})
    assert tight["mean"] == 1.0 and tight["half_width"] == 0.0
