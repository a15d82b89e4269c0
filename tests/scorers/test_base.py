from __future__ import annotations

import pytest
import torch

from mdpo.scorers import (
    LengthScorer,
    Scorer,
    available_scorers,
    get_scorer,
    register_scorer,
)


def test_validation_errors_name_the_parameter():
    s = LengthScorer()
    with pytest.raises(TypeError, match="prompts must be a list or tuple of str, got str"):
        s("abc", ["x", "y", "z"])
    with pytest.raises(TypeError, match=r"completions\[1\] must be a str, got int"):
        s(["a", "b"], ["x", 3])
    with pytest.raises(ValueError, match="2 prompts and 1 completions"):
        s(["a", "b"], ["x"])
    with pytest.raises(TypeError, match="completions must be a list or tuple"):
        s(["a"], None)


def test_empty_input_gives_empty_float_tensor():
    out = LengthScorer()([], ())
    assert out.shape == (0,) and out.dtype == torch.float32


def test_bad_subclass_output_shape_is_caught():
    class Broken(Scorer):
        def _score(self, prompts, completions):
            return torch.zeros(len(prompts), 2)

    with pytest.raises(RuntimeError, match=r"returned shape \(2, 2\), expected \(2,\)"):
        Broken()(["a", "b"], ["c", "d"])


def test_output_is_float32_cpu_even_if_subclass_returns_ints():
    class Ints(Scorer):
        def _score(self, prompts, completions):
            return torch.tensor([len(c) for c in completions])

    out = Ints()(("a",), ("xyz",))
    assert out.dtype == torch.float32 and out.tolist() == [3.0]


def test_registry_builtins_and_errors():
    assert {"length", "reward_model", "sentiment", "relevance", "readability", "profanity"} <= set(
        available_scorers()
    )
    assert isinstance(get_scorer("length", unit="chars"), LengthScorer)
    assert isinstance(get_scorer(" Length "), LengthScorer)  # keys are case-insensitive
    with pytest.raises(ValueError, match=r"unknown scorer 'nope'; valid names are \[.*'length'"):
        get_scorer("nope")
    with pytest.raises(ValueError, match="already registered"):
        register_scorer("LENGTH", LengthScorer)
    with pytest.raises(TypeError, match="non-empty str"):
        register_scorer("", LengthScorer)
    with pytest.raises(TypeError, match="must be callable"):
        register_scorer("test-not-callable", 3)


def test_register_custom_factory():
    register_scorer("test-exclaim", lambda bonus=1.0: _Exclaim(bonus), overwrite=True)
    out = get_scorer("test-exclaim", bonus=2.0)(["q", "q"], ["hey!", "hey"])
    assert out.tolist() == [2.0, 0.0]


class _Exclaim(Scorer):
    name = "exclaim"

    def __init__(self, bonus):
        self.bonus = bonus

    def _score(self, prompts, completions):
        return torch.tensor([self.bonus * ("!" in c) for c in completions])
