"""Prompt conditioning (RiC-style): λ is part of the model's input."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import torch
from torch import nn

from .base import PreferenceConditionedPolicy

__all__ = [
    "PromptConditionedPolicy",
    "SoftPromptPolicy",
    "TextCondition",
    "append_preference",
    "preference_prompt",
]


def preference_prompt(preference: torch.Tensor, dim_names: Sequence[str]) -> str:
    """λ as a system-prompt sentence, e.g. ``"Preference weights: helpful=0.30, ..."``.

    Args:
        preference: λ ``[m]``.
        dim_names: The m dimension names.

    Returns:
        One line of text.

    Example:
        >>> import torch
        >>> from mdpo.policies import preference_prompt
        >>> preference_prompt(torch.tensor([0.25, 0.75]), ["helpful", "concise"])
        'Preference weights: helpful=0.25, concise=0.75.'
    """
    body = ", ".join(f"{n}={float(v):.2f}" for n, v in zip(dim_names, preference))
    return f"Preference weights: {body}."


def append_preference(inputs: torch.Tensor, preference: torch.Tensor) -> torch.Tensor:
    """Concatenate λ to the last axis of a feature tensor (the non-text analogue of the prompt).

    Args:
        inputs: Features ``[..., d]``.
        preference: λ ``[m]`` (broadcast over rows) or ``[B, m]`` (one per leading row).

    Returns:
        ``[..., d + m]``.
    """
    lam = preference.to(device=inputs.device, dtype=inputs.dtype)
    if lam.dim() == 2:
        lam = lam.view(lam.shape[0], *([1] * (inputs.dim() - 2)), lam.shape[-1])
    return torch.cat([inputs, lam.expand(*inputs.shape[:-1], lam.shape[-1])], dim=-1)


class TextCondition:
    r"""``condition(prompts, λ)`` of a prompt-conditioned language model: λ goes into the text.

    The wording is :class:`mdpo.conditioning.PromptConditioning`'s, as in training: a string
    prompt gets the line ``Preference weights: name=value, ...`` and a blank line in front; a
    conversation gets it in its system message. λ ``[m]`` applies to every prompt, ``[B, m]``
    one row per prompt.

    Args:
        dim_names: The m dimension names, in λ's order.

    Example:
        >>> import torch
        >>> from mdpo.policies import TextCondition
        >>> TextCondition(["helpful", "concise"])(["Hi"], torch.tensor([0.25, 0.75]))
        ['Preference weights: helpful=0.25, concise=0.75.\n\nHi']
    """

    def __init__(self, dim_names: Sequence[str]) -> None:
        from mdpo.conditioning import PromptConditioning

        self._conditioning: Any = PromptConditioning(dim_names)

    @classmethod
    def of(cls, conditioning: Any) -> TextCondition:
        """The text side (``format_prompts``) of another :class:`mdpo.conditioning.Conditioning`.

        Args:
            conditioning: E.g. a :class:`mdpo.conditioning.SoftPromptConditioning`.

        Returns:
            A condition with the same λ broadcasting (``[m]`` for all prompts, or ``[B, m]``).
        """
        condition = cls.__new__(cls)
        condition._conditioning = conditioning
        return condition

    def __call__(self, prompts: Sequence[Any], preference: torch.Tensor) -> list[Any]:
        """The prompts rewritten for λ (``[m]`` for all, or ``[B, m]`` one per prompt)."""
        rows = preference if preference.dim() == 2 else preference.expand(len(prompts), -1)
        return self._conditioning.format_prompts(list(prompts), rows)


class PromptConditionedPolicy(PreferenceConditionedPolicy):
    """A model that reads λ from its input, as Rewards-in-Context puts λ in the prompt.

    ``condition(inputs, λ)`` builds the model's input. For language models it puts
    :func:`preference_prompt` into the system prompt; for feature inputs (the bandit and
    synthetic tasks) the default :func:`append_preference` concatenates λ to the features,
    the non-text analogue of λ-in-the-prompt. The model is trained like Panacea (sampled λ,
    aggregated losses) but with λ as input instead of in the singular values.

    Args:
        model: The conditioned model.
        n_dims: Number m of dimensions.
        dim_names: Dimension names.
        condition: ``condition(inputs, λ) -> model input``; :func:`append_preference` by
            default. Used on the first positional argument of :meth:`forward`.

    Example:
        >>> import torch
        >>> from mdpo.policies import PromptConditionedPolicy
        >>> policy = PromptConditionedPolicy(torch.nn.Identity(), 2)
        >>> policy.set_preference([0.25, 0.75])
        >>> policy(torch.zeros(1, 1))
        tensor([[0.0000, 0.2500, 0.7500]])
    """

    batched: ClassVar[bool] = True

    def __init__(
        self,
        model: nn.Module,
        n_dims: int,
        dim_names: Sequence[str] | None = None,
        condition: Callable[[Any, torch.Tensor], Any] | None = None,
    ) -> None:
        super().__init__(n_dims, dim_names)
        self._model = model
        self._condition = append_preference if condition is None else condition

    @property
    def model(self) -> nn.Module:
        """The conditioned model."""
        return self._model

    def condition(self, inputs: Any) -> Any:
        """The model input for ``inputs`` at the current λ.

        Raises:
            RuntimeError: If no λ is set.
        """
        return self._condition(inputs, self._require_preference())

    def _apply_preference(self, preference: torch.Tensor) -> None:
        pass

    def forward(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The model's forward on the conditioned input.

        Raises:
            RuntimeError: If no λ is set.
        """
        return self._model(self.condition(inputs), *args, **kwargs)

    def generate(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The model's ``generate`` on the conditioned input.

        Raises:
            RuntimeError: If no λ is set.
        """
        return super().generate(self.condition(inputs), *args, **kwargs)


class SoftPromptPolicy(PromptConditionedPolicy):
    r"""A language model conditioned by a soft prompt mixed by λ (:mod:`mdpo.soft_prompt`).

    The text side (:meth:`condition`) writes the soft prompt's placeholders into every prompt
    (the same text at every λ); the current λ (``[m]`` for all rows or ``[B, m]`` one per row)
    is set on the soft prompt, whose hook on the model's input embedding writes
    ``Σ_i λ_i P_i`` over the placeholders. So, as for :class:`PromptConditionedPolicy`, run
    ``policy.model`` on ``policy.condition(prompts)``.

    Args:
        model: The language model.
        soft_prompt: Its :class:`~mdpo.soft_prompt.SoftPrompt` (attached here).
        dim_names: Dimension names.

    Example:
        >>> import torch
        >>> from mdpo.policies import SoftPromptPolicy
        >>> from mdpo.soft_prompt import SoftPrompt
        >>> from mdpo.testing import tiny_causal_lm
        >>> sp = SoftPrompt(2, 2, 32, placeholder="<p>", placeholder_id=7)
        >>> policy = SoftPromptPolicy(tiny_causal_lm(), sp, ["helpful", "concise"])
        >>> policy.set_preference([0.25, 0.75])
        >>> policy.condition(["Hi"])
        ['<p><p>\n\nHi']
    """

    def __init__(
        self, model: nn.Module, soft_prompt: Any, dim_names: Sequence[str] | None = None
    ) -> None:
        from mdpo.conditioning import SoftPromptConditioning

        write = TextCondition.of(SoftPromptConditioning(soft_prompt))
        super().__init__(model, soft_prompt.n_dims, dim_names, write)
        self.soft_prompt = soft_prompt
        self._hook = soft_prompt.attach(model)

    def _apply_preference(self, preference: torch.Tensor) -> None:
        self.soft_prompt._write_rows(preference)
