"""A soft prompt mixed by λ: the second way of writing the preference into a model's input.

:class:`SoftPrompt` holds m learned prompts of ``n`` virtual tokens each, ``P [m, n, d]``.
For a row with preference λ the virtual tokens are ``Σ_i λ_i P_i`` (``[n, d]``). The text
carries ``n`` copies of a *placeholder* token where the virtual tokens go (in the system
prompt, see :class:`mdpo.conditioning.SoftPromptConditioning`); a forward hook on the model's
input embedding replaces the placeholders' embeddings with the row's mix. Everything else
(padding, the KV cache, ``generate``) is the model's own: after the prompt, decoding steps
carry no placeholder and the hook does nothing. Outside a λ (no rows set) the hook does
nothing either, so a reference model that shares the embedding reads the placeholders as
ordinary tokens.

The placeholder must be one token of the tokenizer that no ordinary text produces: a special
token the chat template does not use (SmolLM2 has several, e.g. ``<reponame>``).
:func:`pick_placeholder` finds one.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn

from mdpo._io import atomic_replace
from mdpo.preferences import check_preference

__all__ = ["SOFT_PROMPT_FILE", "SoftPrompt", "pick_placeholder"]

SOFT_PROMPT_FILE = "soft_prompt.safetensors"
"""File name of a saved :class:`SoftPrompt` (safetensors, settings in its metadata)."""


def _token_ids(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def _single_id(tokenizer: Any, placeholder: str) -> int | None:
    """The id of ``placeholder`` if it is one token, also when repeated; else None."""
    ids = _token_ids(tokenizer, placeholder * 3)
    if len(ids) == 3 and len(set(ids)) == 1:
        return int(ids[0])
    return None


def pick_placeholder(tokenizer: Any) -> str:
    """A special token of ``tokenizer`` that can stand for the virtual tokens.

    Candidates are the tokenizer's added (special) tokens other than BOS, EOS, PAD and UNK and
    other than those its chat template writes; the first that tokenizes to one id (also when
    repeated) is returned.

    Args:
        tokenizer: A Hugging Face tokenizer.

    Returns:
        The placeholder string.

    Raises:
        ValueError: If the tokenizer has no such token; pass ``placeholder=`` to
            :class:`SoftPrompt` then.
    """
    used = {
        getattr(tokenizer, f"{k}_token", None) for k in ("bos", "eos", "pad", "unk", "sep", "cls")
    }
    template = str(getattr(tokenizer, "chat_template", "") or "")
    decoder = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    for token_id in sorted(decoder):
        text = str(decoder[token_id])
        if text in used or not text.strip() or text in template:
            continue
        if _single_id(tokenizer, text) == token_id:
            return text
    raise ValueError(
        "tokenizer has no unused special token to stand for the soft prompt's virtual tokens "
        f"(its added tokens: {[str(t) for t in decoder.values()][:10]}); pass placeholder= "
        "a string that is one token no ordinary text produces"
    )


class SoftPrompt(nn.Module):
    """m soft prompts of ``n_tokens`` virtual tokens, mixed per row by λ.

    Args:
        n_dims: Number m of dimensions.
        n_tokens: Virtual tokens per prompt.
        hidden_size: The model's embedding width d.
        placeholder: The placeholder token's text.
        placeholder_id: Its id in the model's vocabulary.
        init: Initial prompts ``[m, n, d]`` (e.g. embeddings of words), or None for small
            random vectors.

    Raises:
        ValueError: If a size is not a positive integer or ``init`` has the wrong shape.

    Example:
        >>> import torch
        >>> from mdpo.soft_prompt import SoftPrompt
        >>> sp = SoftPrompt(2, 3, 8, placeholder="<p>", placeholder_id=5)
        >>> sp.mix(torch.tensor([[1.0, 0.0], [0.5, 0.5]])).shape
        torch.Size([2, 3, 8])
    """

    def __init__(
        self,
        n_dims: int,
        n_tokens: int,
        hidden_size: int,
        *,
        placeholder: str,
        placeholder_id: int,
        init: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        sizes = {"n_dims": n_dims, "n_tokens": n_tokens, "hidden_size": hidden_size}
        for name, value in sizes.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not isinstance(placeholder, str) or not placeholder:
            raise ValueError(f"placeholder must be a non-empty string, got {placeholder!r}")
        shape = (n_dims, n_tokens, hidden_size)
        if init is None:
            init = torch.randn(shape) * 0.02
        elif tuple(init.shape) != shape:
            raise ValueError(f"init must have shape {list(shape)}, got {list(init.shape)}")
        self.prompts = nn.Parameter(init.detach().clone().float())
        self.n_dims, self.n_tokens, self.hidden_size = n_dims, n_tokens, hidden_size
        self.placeholder, self.placeholder_id = placeholder, int(placeholder_id)
        self._rows: torch.Tensor | None = None

    @classmethod
    def for_model(
        cls,
        model: nn.Module,
        tokenizer: Any,
        n_dims: int,
        n_tokens: int = 4,
        *,
        placeholder: str | None = None,
        init_text: Sequence[str] | None = None,
    ) -> SoftPrompt:
        """A soft prompt sized for ``model``, with a placeholder of ``tokenizer``.

        Args:
            model: The language model (its input embedding gives d).
            tokenizer: Its tokenizer.
            n_dims: Number m of dimensions.
            n_tokens: Virtual tokens per prompt.
            placeholder: The placeholder token; :func:`pick_placeholder` by default.
            init_text: m texts (e.g. the dimension names); prompt i starts as the mean
                embedding of text i's tokens, repeated. Small random vectors when None.

        Raises:
            ValueError: If ``placeholder`` is not one token, or ``init_text`` has not m texts.
        """
        placeholder = pick_placeholder(tokenizer) if placeholder is None else placeholder
        token_id = _single_id(tokenizer, placeholder) if isinstance(placeholder, str) else None
        if token_id is None:
            raise ValueError(
                f"placeholder must be a string that the tokenizer reads as one token (also when "
                f"repeated), got {placeholder!r}"
            )
        weight = model.get_input_embeddings().weight
        init = None
        if init_text is not None:
            texts = list(init_text)
            if len(texts) != n_dims or not all(isinstance(t, str) and t for t in texts):
                raise ValueError(f"init_text must be {n_dims} non-empty strings, got {init_text!r}")
            with torch.no_grad():
                rows = [weight[_token_ids(tokenizer, t)].float().mean(dim=0) for t in texts]
            init = torch.stack(rows)[:, None, :].expand(n_dims, n_tokens, -1).cpu()
        sp = cls(
            n_dims,
            n_tokens,
            weight.shape[1],
            placeholder=placeholder,
            placeholder_id=token_id,
            init=init,
        )
        return sp.to(weight.device)

    @property
    def text(self) -> str:
        """The placeholder text written into a prompt: ``n_tokens`` placeholders."""
        return self.placeholder * self.n_tokens

    def mix(self, preferences: torch.Tensor) -> torch.Tensor:
        """The virtual tokens of each row: ``Σ_i λ_i P_i``.

        Args:
            preferences: ``[B, m]`` λ per row.

        Returns:
            ``[B, n, d]``.
        """
        lam = preferences.to(device=self.prompts.device, dtype=self.prompts.dtype)
        return torch.einsum("bm,mnd->bnd", lam, self.prompts)

    def set_rows(self, preferences: torch.Tensor | None) -> None:
        """λ per batch row for the next forward passes.

        With None (the initial state) no soft prompt is written: the placeholders keep their
        own embeddings, which is how a DPO reference reads the annotated prompt.

        Raises:
            ValueError: If a row is not on the simplex or has the wrong width.
        """
        self._write_rows(None if preferences is None else self._checked(preferences))

    @contextlib.contextmanager
    def preference(self, preferences: torch.Tensor) -> Iterator[SoftPrompt]:
        """Context manager: :meth:`set_rows` for the duration; the previous rows are restored."""
        with self._rows_scope(self._checked(preferences)):
            yield self

    def _checked(self, preferences: torch.Tensor) -> torch.Tensor:
        """λ ``[m]`` or ``[B, m]`` validated on the simplex, as ``[B, m]`` rows."""
        rows = preferences if preferences.dim() == 2 else preferences[None]
        return check_preference(rows, self.n_dims, name="preferences")

    def _write_rows(self, rows: torch.Tensor | None) -> None:
        """:meth:`set_rows` of validated rows ``[B, m]`` (or ``[m]``), or None."""
        self._rows = rows if rows is None or rows.dim() == 2 else rows[None]

    @contextlib.contextmanager
    def _rows_scope(self, rows: torch.Tensor) -> Iterator[SoftPrompt]:
        """:meth:`preference` with validated rows ``[B, m]``."""
        previous = self._rows
        self._write_rows(rows)
        try:
            yield self
        finally:
            self._rows = previous

    def attach(self, model: nn.Module) -> Any:
        """Hook the model's input embedding so that placeholders get the mixed tokens.

        Returns:
            The hook handle (``handle.remove()`` detaches it).
        """
        return model.get_input_embeddings().register_forward_hook(self._hook)

    def _hook(self, module: nn.Module, args: tuple[Any, ...], output: torch.Tensor) -> Any:
        ids = args[0] if args else None
        if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.shape[1] == 1:
            return None  # no ids, or one decoding step after the prompt: nothing to write
        mask = ids == self.placeholder_id
        if not bool(mask.any()):
            return None
        if self._rows is None:
            return None  # no λ set: the placeholders keep their own embedding (a reference)
        batch = ids.shape[0]
        rows = self._rows
        if rows.shape[0] == 1 and batch > 1:
            rows = rows.expand(batch, -1)
        # The first n placeholders of a row are its virtual tokens; any later one (a model
        # may generate the token) keeps its own embedding.
        mask = mask & (mask.long().cumsum(dim=1) <= self.n_tokens)
        counts = mask.sum(dim=1)
        if rows.shape[0] != batch or bool((counts != self.n_tokens).any()):
            raise RuntimeError(
                f"soft prompt: {batch} rows with {counts.tolist()} placeholders each, expected "
                f"{rows.shape[0]} rows of λ and {self.n_tokens} placeholders in every row"
            )
        values = self.mix(rows).to(output.dtype).reshape(-1, output.shape[-1])
        out = output.clone()
        out[mask] = values
        return out

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the prompts and settings to ``path`` (safetensors, atomically)."""
        from safetensors.torch import save_file

        metadata = {
            "placeholder": self.placeholder,
            "placeholder_id": str(self.placeholder_id),
            "format": json.dumps({"n_dims": self.n_dims, "n_tokens": self.n_tokens}),
        }
        tensors = {"prompts": self.prompts.detach().float().cpu().contiguous()}
        atomic_replace(path, lambda tmp: save_file(tensors, tmp, metadata=metadata))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SoftPrompt:
        """Read a soft prompt written by :meth:`save`.

        Raises:
            ValueError: If the file lacks the prompts or their settings.
        """
        from safetensors import safe_open

        with safe_open(os.fspath(path), framework="pt") as f:
            metadata = f.metadata() or {}
            names = set(f.keys())
            if "prompts" not in names or "placeholder" not in metadata:
                raise ValueError(f"{path}: not a soft prompt file (no prompts or placeholder)")
            prompts = f.get_tensor("prompts")
        if prompts.dim() != 3:
            raise ValueError(f"{path}: prompts must be [m, n, d], got {list(prompts.shape)}")
        m, n, d = prompts.shape
        return cls(
            m,
            n,
            d,
            placeholder=metadata["placeholder"],
            placeholder_id=int(metadata["placeholder_id"]),
            init=prompts,
        )
