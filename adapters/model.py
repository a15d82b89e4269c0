"""Injection of Panacea layers into a model, and the :class:`PanaceaModel` wrapper.

The wrapper's methods are grouped by concern: λ and the layers here; merging in
:mod:`mdpo.adapters.merging`, activation checkpointing in :mod:`mdpo.adapters.checkpointing`,
saving, loading and exporting in :mod:`mdpo.adapters.pretrained` (bound as methods below).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import nn

from mdpo.adapters import checkpointing, merging, pretrained
from mdpo.adapters.config import PanaceaConfig
from mdpo.adapters.holder import PreferenceHolder
from mdpo.adapters.layer import PanaceaLinear
from mdpo.adapters.targets import resolve_target_modules
from mdpo.preferences import PreferenceLike

__all__ = ["PanaceaModel", "get_panacea_model"]

_ADAPTER_PARAMS = ("lora_A", "lora_B", "lora_E", "lora_s")


def get_panacea_model(model: nn.Module, config: PanaceaConfig) -> PanaceaModel:
    """Inject Panacea layers into ``model`` (in place) and freeze its own parameters.

    Args:
        model: A transformers model (Llama, Qwen2, GPT-2, ...) or any ``nn.Module``.
        config: The adapter configuration.

    Returns:
        The wrapping :class:`PanaceaModel`; only its adapter parameters are trainable.

    Raises:
        TypeError: If ``config`` is not a :class:`PanaceaConfig` or ``model`` not a module.
        ValueError: If the targets are invalid (see
            :func:`~mdpo.adapters.resolve_target_modules`) or the model already holds
            Panacea layers.

    Example:
        >>> import torch
        >>> from mdpo.adapters import PanaceaConfig, get_panacea_model
        >>> from mdpo.testing import tiny_causal_lm
        >>> model = get_panacea_model(tiny_causal_lm("llama"), PanaceaConfig(r=4, n_dims=2))
        >>> len(model.panacea_layers())
        14
        >>> with model.preference([0.3, 0.7]):
        ...     logits = model(torch.tensor([[1, 5, 6]])).logits
        >>> logits.shape
        torch.Size([1, 3, 259])
    """
    return PanaceaModel(model, config)


class PanaceaModel(nn.Module):
    """A model whose target linears carry one Panacea adapter conditioned on a preference λ.

    Unknown attributes are looked up on the wrapped model, as ``peft.PeftModel`` does, so
    ``config``, ``generate``, ``gradient_checkpointing_enable``, ``get_input_embeddings`` and
    friends work and ``transformers.Trainer`` accepts the wrapper.

    Args:
        model: The base model; modified in place (layers are wrapped, parameters frozen).
        config: The adapter configuration.

    Attributes:
        base_model: The wrapped model.
        panacea_config: The adapter configuration.
        n_dims: Number m of preference dimensions.
    """

    def __init__(self, model: nn.Module, config: PanaceaConfig) -> None:
        super().__init__()
        if not isinstance(config, PanaceaConfig):
            raise TypeError(f"config must be a PanaceaConfig, got {type(config).__name__}")
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__}")
        if any(isinstance(m, PanaceaLinear) for m in model.modules()):
            raise ValueError(
                "model already contains Panacea layers; call merge_and_unload() first or use "
                "the existing PanaceaModel"
            )
        self.base_model = model
        self.panacea_config = config
        self.n_dims = config.n_dims
        self.holder = PreferenceHolder(config.n_dims)
        self._unloaded = False
        names = resolve_target_modules(model, config.target_modules)
        self._base_requires_grad = [p.requires_grad for p in model.parameters()]
        for p in model.parameters():
            p.requires_grad_(False)
        for name in names:
            parent_name, _, child = name.rpartition(".")
            parent = model.get_submodule(parent_name) if parent_name else model
            layer = PanaceaLinear(
                getattr(parent, child),
                r=config.r,
                n_dims=config.n_dims,
                scaling=config.scaling,
                lora_dropout=config.lora_dropout,
                init_scale=config.init_scale,
                init=config.init,
                pref_rank=config.pref_rank,
                holder=self.holder,
            )
            setattr(parent, child, layer)
        self._layers: dict[str, PanaceaLinear] = {name: model.get_submodule(name) for name in names}

    # ------------------------------------------------------------------ delegation
    def __getattr__(self, name: str) -> Any:
        """Look up ``name`` on this module first, then on the wrapped model."""
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name in {"base_model", "holder", "_layers"}:
                raise
            return getattr(self.base_model, name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the wrapped model with the current λ (see :meth:`set_preference`).

        Args:
            *args: Passed to the wrapped model.
            **kwargs: Passed to the wrapped model.

        Returns:
            The wrapped model's output (e.g. ``logits [B, T, vocab]``).
        """
        self._check_alive()
        return self.base_model(*args, **kwargs)

    def _check_alive(self) -> None:
        if self._unloaded:
            raise RuntimeError(
                "this PanaceaModel was unloaded by merge_and_unload(); use the returned model"
            )

    # ------------------------------------------------------------------ layers and parameters
    def panacea_layers(self) -> dict[str, PanaceaLinear]:
        """The Panacea layers by module path in the base model.

        Returns:
            An ordered ``{path: PanaceaLinear}`` dict.
        """
        return dict(self._layers)

    def adapter_parameters(self) -> Iterator[nn.Parameter]:
        """Iterate over the adapter's parameters (U, V, σ and s of every layer)."""
        for layer in self.panacea_layers().values():
            for attr in _ADAPTER_PARAMS:
                yield getattr(layer, attr)

    def adapter_state_dict(self) -> dict[str, torch.Tensor]:
        """The adapter weights only, keyed ``"{module path}.{lora_A|lora_B|lora_E|lora_s}"``.

        Returns:
            Detached tensors (``lora_A [k+m, in]``, ``lora_B [out, k+m]``, ``lora_E [k]``,
            ``lora_s [1]`` per layer). λ is never included.
        """
        return {
            f"{name}.{attr}": getattr(layer, attr).detach()
            for name, layer in self.panacea_layers().items()
            for attr in _ADAPTER_PARAMS
        }

    def load_adapter_state_dict(self, state_dict: Mapping[str, torch.Tensor]) -> None:
        """Copy adapter weights from :meth:`adapter_state_dict`'s format, strictly.

        Args:
            state_dict: ``{"{path}.{param}": tensor}`` with exactly this model's keys.

        Raises:
            KeyError: If keys are missing or unexpected (both are listed).
            ValueError: If a tensor's shape differs.
        """
        self._check_alive()
        if self.holder.merged is not None:
            raise RuntimeError("cannot load adapter weights into a merged model; unmerge() first")
        own = self.adapter_state_dict()
        missing = sorted(set(own) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(own))
        if missing or unexpected:
            raise KeyError(
                f"adapter state dict does not fit this model: {len(missing)} missing keys "
                f"{missing[:5]}{' ...' if len(missing) > 5 else ''}, {len(unexpected)} "
                f"unexpected keys {unexpected[:5]}{' ...' if len(unexpected) > 5 else ''}"
            )
        for key, target in own.items():
            src = state_dict[key]
            if tuple(src.shape) != tuple(target.shape):
                raise ValueError(
                    f"adapter weight {key!r} has shape {tuple(src.shape)}, "
                    f"expected {tuple(target.shape)}"
                )
        with torch.no_grad():
            for key, target in own.items():
                target.copy_(state_dict[key])

    def get_nb_trainable_parameters(self) -> tuple[int, int]:
        """Counts of trainable and of all parameters.

        Returns:
            ``(trainable, total)``.
        """
        # Adapter parameters are listed explicitly: while merged they are out of the tree.
        params = {id(p): p for p in self.parameters()}
        params.update({id(p): p for p in self.adapter_parameters()})
        total = sum(p.numel() for p in params.values())
        trainable = sum(p.numel() for p in params.values() if p.requires_grad)
        return trainable, total

    def print_trainable_parameters(self) -> None:
        """Print the trainable parameter count and share, like peft."""
        trainable, total = self.get_nb_trainable_parameters()
        print(
            f"trainable params: {trainable:,d} || all params: {total:,d} || "
            f"trainable%: {100 * trainable / max(total, 1):.4f}"
        )

    def _device(self) -> torch.device:
        for layer in self._layers.values():
            return layer.lora_A.device
        return torch.device("cpu")  # pragma: no cover - a model always has layers

    # ------------------------------------------------------------------ preference
    def set_preference(self, preference: PreferenceLike | None) -> None:
        """Set λ for all layers at once (one write to the shared holder, O(1) in the layers).

        Args:
            preference: λ ``[m]`` for the whole batch, or ``[B, m]`` with one λ per batch row
                (row b's output then equals row b run alone with its λ). None clears it.

        Raises:
            ValueError: If λ is not on the simplex or has the wrong shape.
            RuntimeError: If the adapter is merged (unmerge first).
        """
        self._set_preference(None if preference is None else self.holder.validate(preference))

    def _set_preference(self, lam: torch.Tensor | None) -> None:
        """:meth:`set_preference` of a λ validated already (``[m]`` or ``[B, m]``), or None.

        The trusted path of the objectives, conditionings and policies, which validate λ
        once where it enters; the tensor is moved to the adapter (float32), not copied.
        """
        self._check_alive()
        if self.holder.merged is not None:
            raise RuntimeError(
                "cannot set a preference while the adapter is merged at λ="
                f"{self.holder.merged.tolist()}; call unmerge() first"
            )
        self.holder.set(None if lam is None else lam.to(self._device(), torch.float32))

    def clear_preference(self) -> None:
        """Forget λ; a later forward raises until a new one is set."""
        self.set_preference(None)

    def get_preference(self) -> torch.Tensor | None:
        """The current λ (``[m]`` or ``[B, m]``; the merged λ when merged), or None.

        Returns:
            A copy of λ, or None if none is set.
        """
        if self.holder.merged is not None:
            return self.holder.merged.clone()
        value = self.holder.value
        return None if value is None else value.clone()

    @contextlib.contextmanager
    def preference(self, preference: PreferenceLike) -> Iterator[PanaceaModel]:
        """Context manager that sets λ and restores the previous one (or none) on exit.

        Args:
            preference: λ ``[m]`` or ``[B, m]``.

        Yields:
            This model.
        """
        with self._preference_scope(self.holder.validate(preference)):
            yield self

    @contextlib.contextmanager
    def _preference_scope(self, lam: torch.Tensor) -> Iterator[PanaceaModel]:
        """:meth:`preference` of a λ validated already (see :meth:`_set_preference`)."""
        previous = self.get_preference()
        self._set_preference(lam)
        try:
            yield self
        finally:
            self.holder.set(previous)

    # ------------------------------------------------------------------ disable
    @contextlib.contextmanager
    def disable_adapter(self) -> Iterator[PanaceaModel]:
        """Context manager under which the model is exactly the base model (the reference).

        A merged adapter is unmerged for the duration and merged back afterwards.

        Yields:
            This model.
        """
        self._check_alive()
        merged = self.holder.merged
        if merged is not None:
            self.unmerge()
        was = self.holder.disabled
        self.holder.disabled = True
        try:
            yield self
        finally:
            self.holder.disabled = was
            if merged is not None:
                self.merge(merged)

    # ------------------------------------------------------------------ merge
    @property
    def merged_preference(self) -> torch.Tensor | None:
        """The λ folded into the base weights, or None when not merged."""
        merged = self.holder.merged
        return None if merged is None else merged.clone()

    # ------------------------------------------------------------------ generation
    def generate(self, *args: Any, **kwargs: Any) -> Any:
        """``generate`` of the wrapped model; a per-row λ follows its prompt's expansions.

        With a ``[B, m]`` λ and ``num_return_sequences`` or ``num_beams`` above 1,
        transformers repeats every prompt ``max(num_beams, num_return_sequences)`` times;
        λ's rows are repeated the same way for the duration of the call, so all samples of a
        prompt share its λ.

        Args:
            *args: Passed to the wrapped model's ``generate``.
            **kwargs: Passed to the wrapped model's ``generate``.

        Returns:
            Whatever the wrapped model's ``generate`` returns.
        """
        self._check_alive()
        lam = self.holder.value
        if lam is None or lam.dim() == 1 or self.holder.merged is not None:
            return self.base_model.generate(*args, **kwargs)
        gen_config = kwargs.get("generation_config") or getattr(
            self.base_model, "generation_config", None
        )

        def setting(key: str) -> int:
            value = kwargs.get(key, getattr(gen_config, key, None))
            return int(value) if value is not None else 1

        factor = max(setting("num_beams"), setting("num_return_sequences"))
        if factor == 1:
            return self.base_model.generate(*args, **kwargs)
        self.holder.set(lam.repeat_interleave(factor, dim=0))
        try:
            return self.base_model.generate(*args, **kwargs)
        finally:
            self.holder.set(lam)

    # ------------------------------------------------------------------ merging
    merge = merging.merge
    unmerge = merging.unmerge
    merge_and_unload = merging.merge_and_unload
    unload = merging.unload

    # ------------------------------------------------------------------ checkpointing
    activation_checkpointing_enable = checkpointing.activation_checkpointing_enable
    gradient_checkpointing_enable = checkpointing.gradient_checkpointing_enable

    # ------------------------------------------------------------------ persistence
    save_pretrained = pretrained.save_pretrained
    push_to_hub = pretrained.push_to_hub
    from_pretrained = classmethod(pretrained.from_pretrained)
    export_lora = pretrained.export_lora
