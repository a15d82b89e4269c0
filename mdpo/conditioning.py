"""How a preference λ reaches the policy during training: the adapter, or the prompt.

A :class:`Conditioning` has two sides. :meth:`~Conditioning.format_prompts` is the text side
(it rewrites prompts before tokenization) and :meth:`~Conditioning.activate` the model side
(a context manager under which the model runs at the rows' λ). Objectives expand λ to their
rows (a pair's two responses, an RLOO prompt's k samples) before calling ``activate``.

- :class:`AdapterConditioning`: λ is written into a Panacea adapter (``requires_adapter``).
- :class:`PromptConditioning`: λ is written into the system prompt (RiC-style), for a plain
  or LoRA model; nothing happens model-side.
- :class:`SoftPromptConditioning`: λ mixes learned virtual tokens that stand in the system
  prompt (:mod:`mdpo.soft_prompt`).
- :class:`NoConditioning`: nothing at all, for training at one fixed λ (RS experts, DPS).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import torch

from mdpo.preferences import check_preference

__all__ = [
    "AdapterConditioning",
    "Conditioning",
    "NoConditioning",
    "PromptConditioning",
    "SoftPromptConditioning",
]


def _check_rows(preferences: Any, n_rows: int | None, m: int | None) -> torch.Tensor:
    if not isinstance(preferences, torch.Tensor) or preferences.dim() != 2:
        raise ValueError(
            "preferences must be a [B, m] tensor, got "
            f"{getattr(preferences, 'shape', type(preferences).__name__)}"
        )
    if n_rows is not None and preferences.shape[0] != n_rows:
        raise ValueError(
            f"preferences must have one row per prompt ({n_rows}), got {preferences.shape[0]}"
        )
    width = preferences.shape[1] if m is None else m
    return check_preference(preferences, width, name="preferences")


class Conditioning:
    """Base class: how λ reaches the policy.

    The defaults leave prompts unchanged and the model untouched (only λ is validated);
    subclasses override the text side (:meth:`_format_prompts`) or the model side
    (:meth:`_activate`), which receive validated rows. The public :meth:`format_prompts` and
    :meth:`activate` validate λ and call them; objectives, which validate λ once where it
    enters (and match its width to this conditioning and the model with
    :meth:`_check_width`), call them through :meth:`_formatted` and :meth:`_activated`. A
    subclass written for earlier versions, which overrides the public methods themselves,
    keeps working: the objectives then call its public methods.

    Attributes:
        name: Short identifier (``"adapter"``, ``"prompt"``, ``"none"``).
        requires_adapter: True if the model must expose ``set_preference`` (a Panacea
            model); the trainer refuses a mismatch.
        n_dims: The λ width this conditioning takes, or None for any width.
    """

    name: ClassVar[str] = "conditioning"
    requires_adapter: ClassVar[bool] = False
    n_dims: int | None = None

    def format_prompts(self, prompts: Sequence[Any], preferences: torch.Tensor) -> list[Any]:
        """Text side: rewrite each prompt for its row's λ (identity by default).

        Args:
            prompts: ``B`` prompts, strings or conversations.
            preferences: ``[B, m]`` λ per prompt.

        Returns:
            ``B`` prompts (inputs are not modified).

        Raises:
            ValueError: If λ is invalid or has the wrong width.
            TypeError: If a prompt is neither a string nor a conversation.
        """
        return self._format_prompts(prompts, _check_rows(preferences, len(prompts), self.n_dims))

    @contextlib.contextmanager
    def activate(self, model: Any, preferences: torch.Tensor) -> Iterator[Any]:
        """Model side: a context manager under which ``model`` runs at the rows' λ.

        The default validates λ and leaves the model untouched (for conditionings that act
        on the text only, or not at all); :class:`AdapterConditioning` writes it into the
        adapter.

        Args:
            model: The policy.
            preferences: ``[B, m]`` λ per batch row, already expanded to the forward's rows.

        Yields:
            The model.

        Raises:
            TypeError: If the model cannot take λ (see :class:`AdapterConditioning`).
            ValueError: If a row of λ is not on the simplex or has the wrong width.
        """
        width = self._model_width(model)
        with self._activate(model, _check_rows(preferences, None, width)):
            yield model

    def _check_width(self, model: Any, m: int) -> None:
        """Refuse λ of width ``m`` where this conditioning or ``model`` takes another width.

        Raises:
            TypeError: If the model cannot take λ at all.
            ValueError: If the widths differ.
        """
        for width in (self.n_dims, self._model_width(model)):
            if width is not None and width != m:
                raise ValueError(
                    f"preferences must have length m={width} along its last axis (the "
                    f"{type(self).__name__}'s dimensions), got m={m}"
                )

    def _model_width(self, model: Any) -> int | None:
        """The λ width the model side takes (None: any); raises TypeError for an unfit model."""
        return self.n_dims

    def _formatted(self, prompts: Sequence[Any], rows: torch.Tensor) -> list[Any]:
        """:meth:`format_prompts` of validated ``rows [B, m]``: the objectives' text side."""
        if type(self).format_prompts is not Conditioning.format_prompts:
            return self.format_prompts(prompts, rows)  # a subclass overrides the public method
        return self._format_prompts(prompts, rows)

    def _activated(self, model: Any, rows: torch.Tensor) -> contextlib.AbstractContextManager[Any]:
        """:meth:`activate` with validated ``rows [B, m]``: the objectives' model side."""
        if type(self).activate is not Conditioning.activate:
            return self.activate(model, rows)  # a subclass overrides the public method
        return self._activate(model, rows)

    def _format_prompts(self, prompts: Sequence[Any], rows: torch.Tensor) -> list[Any]:
        """:meth:`format_prompts` of validated ``rows [B, m]`` (identity by default)."""
        return list(prompts)

    @contextlib.contextmanager
    def _activate(self, model: Any, rows: torch.Tensor) -> Iterator[Any]:
        """:meth:`activate` with validated ``rows [B, m]`` (the model untouched by default)."""
        yield model


class AdapterConditioning(Conditioning):
    """λ is written into the adapter: ``model.preference(rows)`` (or ``set_preference``).

    Example:
        >>> import torch
        >>> from mdpo.conditioning import AdapterConditioning
        >>> from mdpo.testing import tiny_causal_lm
        >>> cond = AdapterConditioning()
        >>> cond.name, cond.requires_adapter
        ('adapter', True)
        >>> with cond.activate(tiny_causal_lm(), torch.tensor([[1.0, 0.0]])):  # doctest: +ELLIPSIS
        ...     pass
        Traceback (most recent call last):
        ...
        TypeError: AdapterConditioning needs a model with set_preference ..., got LlamaForCausalLM
    """

    name = "adapter"
    requires_adapter = True

    def _model_width(self, model: Any) -> int | None:
        if not callable(getattr(model, "set_preference", None)):
            raise TypeError(
                "AdapterConditioning needs a model with set_preference (a Panacea model), "
                f"got {type(model).__name__}"
            )
        return getattr(model, "n_dims", None)

    @contextlib.contextmanager
    def _activate(self, model: Any, rows: torch.Tensor) -> Iterator[Any]:
        """Set λ per row on the adapter for the duration; the previous λ is restored.

        A Panacea model takes the validated rows as they are (its ``_preference_scope``);
        another model with ``preference(λ)`` or ``set_preference`` gets them through its
        own (validating) API.
        """
        scoped = getattr(model, "_preference_scope", None) or getattr(model, "preference", None)
        if callable(scoped):
            with scoped(rows):
                yield model
            return
        previous = (
            model.get_preference() if callable(getattr(model, "get_preference", None)) else None
        )
        model.set_preference(rows)
        try:
            yield model
        finally:
            if previous is not None:
                model.set_preference(previous)


class NoConditioning(Conditioning):
    """λ reaches neither the text nor the model: one fixed trade-off (RS experts, DPS).

    Example:
        >>> import torch
        >>> from mdpo.conditioning import NoConditioning
        >>> NoConditioning().format_prompts(["Hi"], torch.tensor([[0.5, 0.5]]))
        ['Hi']
    """

    name = "none"


class PromptConditioning(Conditioning):
    r"""λ is written into the system prompt (RiC-style); nothing happens model-side.

    A conversation gets the line appended to its system message, or a new system message
    in front (which replaces a template's default system prompt). A string prompt becomes
    the line, a blank line, then the prompt.

    Args:
        dim_names: The m dimension names, in λ's order.
        template: Format string with a ``{weights}`` field.
        weight_format: Format of one weight, with ``{name}`` and ``{value}`` fields.

    Raises:
        ValueError: If ``dim_names`` is empty, has duplicates, or ``template`` lacks
            ``{weights}``.

    Example:
        >>> import torch
        >>> from mdpo.conditioning import PromptConditioning
        >>> cond = PromptConditioning(["helpful", "concise"])
        >>> [chat] = cond.format_prompts(
        ...     [[{"role": "user", "content": "Hi"}]], torch.tensor([[0.7, 0.3]]))
        >>> chat[0]
        {'role': 'system', 'content': 'Preference weights: helpful=0.70, concise=0.30.'}
        >>> cond.format_prompts(["Hi"], torch.tensor([[0.25, 0.75]]))
        ['Preference weights: helpful=0.25, concise=0.75.\n\nHi']
    """

    name = "prompt"

    def __init__(
        self,
        dim_names: Sequence[str],
        *,
        template: str = "Preference weights: {weights}.",
        weight_format: str = "{name}={value:.2f}",
    ) -> None:
        names = list(dim_names) if not isinstance(dim_names, str) else [dim_names]
        if not names or len(set(names)) != len(names) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"dim_names must be distinct non-empty strings, got {dim_names!r}")
        if "{weights}" not in template:
            raise ValueError(f"template must contain '{{weights}}', got {template!r}")
        self.dim_names = names
        self.n_dims = len(names)
        self.template = template
        self.weight_format = weight_format

    def describe(self, preference: torch.Tensor) -> str:
        """The line written for one λ.

        Args:
            preference: ``[m]`` λ.

        Returns:
            The formatted line, e.g. ``"Preference weights: helpful=0.70, concise=0.30."``.
        """
        values = preference.tolist()
        weights = ", ".join(
            self.weight_format.format(name=n, value=v) for n, v in zip(self.dim_names, values)
        )
        return self.template.format(weights=weights)

    def _format_prompts(self, prompts: Sequence[Any], rows: torch.Tensor) -> list[Any]:
        """Write each row's λ into its prompt (see :meth:`Conditioning.format_prompts`)."""
        return [_write_line(prompt, self.describe(lam)) for prompt, lam in zip(prompts, rows)]


def _write_line(prompt: Any, line: str) -> Any:
    """``prompt`` with ``line`` in its system message (a string: the line, a blank line)."""
    if isinstance(prompt, str):
        return f"{line}\n\n{prompt}"
    if isinstance(prompt, Sequence) and all(isinstance(m, Mapping) for m in prompt):
        messages = [dict(m) for m in prompt]
        if messages and messages[0].get("role") == "system":
            messages[0]["content"] = f"{messages[0].get('content', '')}\n{line}".lstrip()
        else:
            messages.insert(0, {"role": "system", "content": line})
        return messages
    raise TypeError(
        f"prompt must be a str or a list of messages, got {type(prompt).__name__} {prompt!r:.80}"
    )


class SoftPromptConditioning(Conditioning):
    r"""λ as a learned soft prompt: virtual tokens mixed by λ (:mod:`mdpo.soft_prompt`).

    The text side writes the soft prompt's placeholders where :class:`PromptConditioning`
    writes its line (the system message, or in front of a string prompt); the model side sets
    the rows' λ on the soft prompt, whose hook on the input embedding replaces the
    placeholders by ``Σ_i λ_i P_i``. The soft prompt's parameters train with the model: attach
    it (:meth:`~mdpo.soft_prompt.SoftPrompt.attach`) and register it on the model so the
    optimizer sees them.

    Args:
        soft_prompt: The soft prompt (m prompts of n virtual tokens).

    Raises:
        TypeError: If ``soft_prompt`` is not a :class:`~mdpo.soft_prompt.SoftPrompt`.

    Example:
        >>> import torch
        >>> from mdpo.conditioning import SoftPromptConditioning
        >>> from mdpo.soft_prompt import SoftPrompt
        >>> sp = SoftPrompt(2, 3, 8, placeholder="<p>", placeholder_id=5)
        >>> SoftPromptConditioning(sp).format_prompts(["Hi"], torch.tensor([[0.5, 0.5]]))
        ['<p><p><p>\n\nHi']
    """

    name = "soft_prompt"

    def __init__(self, soft_prompt: Any) -> None:
        from mdpo.soft_prompt import SoftPrompt

        if not isinstance(soft_prompt, SoftPrompt):
            raise TypeError(
                "soft_prompt must be a mdpo.soft_prompt.SoftPrompt, got "
                f"{type(soft_prompt).__name__}"
            )
        self.soft_prompt = soft_prompt
        self.n_dims = soft_prompt.n_dims

    def _format_prompts(self, prompts: Sequence[Any], rows: torch.Tensor) -> list[Any]:
        """Write the placeholders into each prompt (the same text for every λ)."""
        return [_write_line(prompt, self.soft_prompt.text) for prompt in prompts]

    @contextlib.contextmanager
    def _activate(self, model: Any, rows: torch.Tensor) -> Iterator[Any]:
        """Set the rows' λ on the soft prompt for the duration."""
        with self.soft_prompt._rows_scope(rows):
            yield model
