"""Injection of Panacea layers into a model, and the :class:`PanaceaModel` wrapper."""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mdpo.adapters.config import PanaceaConfig
from mdpo.adapters.holder import PreferenceHolder
from mdpo.adapters.layer import PanaceaLinear
from mdpo.adapters.targets import resolve_target_modules
from mdpo.preferences import PreferenceLike, check_preference

__all__ = ["PanaceaModel", "get_panacea_model"]

_ADAPTER_PARAMS = ("lora_A", "lora_B", "lora_E", "lora_s")
_PUSH_KEYWORDS = (
    "dim_names",
    "results",
    "token",
    "private",
    "commit_message",
    "revision",
    "create_pr",
)


@contextlib.contextmanager
def _both(
    first: contextlib.AbstractContextManager[Any], second: contextlib.AbstractContextManager[Any]
) -> Iterator[None]:
    with first, second:
        yield


def _fast_single_preference(p: Any, m: int, atol: float = 1e-4) -> torch.Tensor | None:
    """λ ``[m]`` validated in plain Python when that is cheap, else None.

    Switching λ is on the hot path (target ≤ 50 µs), and for one short vector Python
    arithmetic beats a dozen tiny tensor ops. It accepts exactly what
    :func:`~mdpo.preferences.check_preference` accepts with the same renormalisation; any
    other input (including every invalid one) returns None so that ``check_preference``
    handles it and raises its usual error.
    """
    if isinstance(p, torch.Tensor):
        if p.dim() != 1 or p.numel() != m or not p.dtype.is_floating_point:
            return None
        values = p.tolist()
    elif isinstance(p, list | tuple) and len(p) == m:
        values = p
    else:
        return None
    if not all(type(v) is float or type(v) is int for v in values):
        return None
    if not all(math.isfinite(v) and v >= 0 for v in values):
        return None
    total = math.fsum(values)
    if abs(total - 1.0) > atol:
        return None
    return torch.tensor([v / total for v in values], dtype=torch.float32)


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
    def _validate(self, preference: PreferenceLike, name: str = "preference") -> torch.Tensor:
        fast = _fast_single_preference(preference, self.n_dims)
        if fast is not None:
            return fast
        lam = check_preference(preference, self.n_dims, name=name)
        if lam.dim() > 2:
            raise ValueError(
                f"{name} must have shape [m] or [batch, m] with m={self.n_dims}, "
                f"got shape {tuple(lam.shape)}"
            )
        return lam.to(torch.float32)

    def set_preference(self, preference: PreferenceLike | None) -> None:
        """Set λ for all layers at once (one write to the shared holder, O(1) in the layers).

        Args:
            preference: λ ``[m]`` for the whole batch, or ``[B, m]`` with one λ per batch row
                (row b's output then equals row b run alone with its λ). None clears it.

        Raises:
            ValueError: If λ is not on the simplex or has the wrong shape.
            RuntimeError: If the adapter is merged (unmerge first).
        """
        self._check_alive()
        if self.holder.merged is not None:
            raise RuntimeError(
                "cannot set a preference while the adapter is merged at λ="
                f"{self.holder.merged.tolist()}; call unmerge() first"
            )
        if preference is None:
            self.holder.set(None)
            return
        lam = self._validate(preference)
        self.holder.set(lam.to(self._device()))

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
        previous = self.get_preference()
        self.set_preference(preference)
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

    @torch.no_grad()
    def merge(self, preference: PreferenceLike) -> None:
        """Fold ``ΔW(λ)`` into every target weight, so inference costs exactly the base's.

        Every layer's merged weight is computed and checked for NaN/inf before any weight is
        written, so a failed merge leaves the base untouched. While merged, the Panacea
        wrappers are taken out of the module tree (the base layers sit in their place), so
        inference runs exactly the base model's modules; :meth:`unmerge` puts them back.
        Merging an already merged model warns and changes nothing.

        Args:
            preference: A single λ ``[m]``.

        Raises:
            ValueError: If λ is invalid or batched, or a merged weight would be non-finite.
        """
        self._check_alive()
        lam = self._validate(preference)
        if lam.dim() != 1:
            raise ValueError(
                f"merge needs a single preference of shape [{self.n_dims}], "
                f"got shape {tuple(lam.shape)}"
            )
        if self.holder.merged is not None:
            warnings.warn(
                f"the adapter is already merged at λ={self.holder.merged.tolist()}; merge "
                "ignored (call unmerge() first to merge another λ)",
                UserWarning,
                stacklevel=2,
            )
            return
        layers = self.panacea_layers()
        for name, layer in layers.items():
            if not torch.isfinite(layer.merged_weight(lam)).all():
                raise ValueError(
                    f"merging λ={lam.tolist()} gives non-finite weights in {name!r}; "
                    "the base model was left unchanged"
                )
        for layer in layers.values():
            layer.base_layer.weight.copy_(layer.merged_weight(lam))
        self.holder.merged = lam.to(self._device())
        # Take the wrappers out of the module tree, so merged inference runs exactly the
        # base model's modules, with no per-layer Python overhead.
        self._swap(wrapped=False)

    def _swap(self, *, wrapped: bool) -> None:
        """Put the Panacea wrappers into the module tree, or their base layers back."""
        for name, layer in self._layers.items():
            parent_name, _, child = name.rpartition(".")
            parent = self.base_model.get_submodule(parent_name) if parent_name else self.base_model
            if wrapped:
                layer.train(parent.training)
            setattr(parent, child, layer if wrapped else layer.base_layer)

    @torch.no_grad()
    def unmerge(self) -> None:
        """Subtract the merged ``ΔW(λ)`` again; warns and does nothing if not merged."""
        self._check_alive()
        lam = self.holder.merged
        if lam is None:
            warnings.warn("the adapter is not merged; unmerge ignored", UserWarning, stacklevel=2)
            return
        self._swap(wrapped=True)
        for layer in self._layers.values():
            # The model may have been moved while merged, when the adapter was out of the tree.
            layer.to(layer.base_layer.weight.device)
            layer.base_layer.weight.copy_(layer.merged_weight(lam, sign=-1.0))
        self.holder.merged = None

    @torch.no_grad()
    def merge_and_unload(self, preference: PreferenceLike) -> nn.Module:
        """Merge λ and return the plain base model, with the Panacea layers removed.

        This wrapper is unusable afterwards.

        Args:
            preference: A single λ ``[m]``.

        Returns:
            The base model with ``ΔW(λ)`` folded into its weights.
        """
        if self.holder.merged is not None:
            self.unmerge()
        self.merge(preference)
        return self.unload()

    def unload(self) -> nn.Module:
        """Remove the Panacea layers without merging and return the base model as it was.

        Weights stay as they are (merged ones included) and the base parameters get back
        the ``requires_grad`` flags they had before injection. This wrapper is unusable
        afterwards.

        Returns:
            The base model.
        """
        self._check_alive()
        self._swap(wrapped=False)
        for p, flag in zip(self.base_model.parameters(), self._base_requires_grad):
            p.requires_grad_(flag)
        self._unloaded = True
        return self.base_model

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

    # ------------------------------------------------------------------ checkpointing
    def _checkpoint_kwargs(self, kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
        kw = dict(kwargs or {})
        if kw.get("use_reentrant", False):
            warnings.warn(
                "reentrant activation checkpointing recomputes with the λ current at backward "
                "time; do not switch λ between a forward and its backward (use "
                "use_reentrant=False to have λ replayed automatically)",
                UserWarning,
                stacklevel=3,
            )
            return kw
        kw["use_reentrant"] = False
        user_fn = kw.get("context_fn")
        holder = self.holder
        if user_fn is None:
            kw["context_fn"] = holder.checkpoint_context
        else:

            def context_fn() -> tuple[Any, Any]:
                fwd_user, rec_user = user_fn()
                fwd_own, rec_own = holder.checkpoint_context()
                return _both(fwd_user, fwd_own), _both(rec_user, rec_own)

            kw["context_fn"] = context_fn
        return kw

    def activation_checkpointing_enable(
        self, activation_checkpointing_kwargs: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Enable activation checkpointing on the wrapped model, replaying λ on recompute.

        Non-reentrant checkpointing (the default) gets a ``context_fn`` that captures λ at
        the forward and restores it for the recompute in backward, so switching λ between
        forward and backward cannot change the gradients.

        Args:
            activation_checkpointing_kwargs: Passed to ``torch.utils.checkpoint``.
            **kwargs: Passed to the wrapped model's method (``every_n_layers``, ...).
        """
        kw = self._checkpoint_kwargs(activation_checkpointing_kwargs)
        enable = getattr(self.base_model, "activation_checkpointing_enable", None)
        if enable is not None:
            enable(activation_checkpointing_kwargs=kw, **kwargs)
        else:  # transformers < 5
            self.base_model.gradient_checkpointing_enable(
                gradient_checkpointing_kwargs=kw, **kwargs
            )

    def gradient_checkpointing_enable(
        self, gradient_checkpointing_kwargs: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Alias of :meth:`activation_checkpointing_enable` (the transformers 4 name).

        Args:
            gradient_checkpointing_kwargs: Passed to ``torch.utils.checkpoint``.
            **kwargs: Passed to the wrapped model's method.
        """
        self.activation_checkpointing_enable(gradient_checkpointing_kwargs, **kwargs)

    # ------------------------------------------------------------------ persistence
    def save_pretrained(
        self,
        save_directory: str | os.PathLike[str],
        *,
        safe_serialization: bool = True,
        is_main_process: bool = True,
        state_dict: Mapping[str, torch.Tensor] | None = None,
        push_to_hub: bool = False,
        **hub_kwargs: Any,
    ) -> None:
        """Write ``adapter_config.json`` and ``adapter_model.safetensors`` (adapter only).

        See :func:`mdpo.adapters.save_panacea_adapter`. Every argument is honoured or
        refused; none is silently ignored.

        Args:
            save_directory: Output directory (created if needed).
            safe_serialization: Must be True: mdpo writes safetensors only.
            is_main_process: False writes nothing (the other processes of a distributed run).
            state_dict: Must be None: the adapter's own weights are saved.
            push_to_hub: Also upload the folder's adapter and a model card with
                :meth:`push_to_hub`; ``repo_id`` (default: the folder's name) and the other
                ``hub_kwargs`` go there.
            **hub_kwargs: With ``push_to_hub`` only: :meth:`push_to_hub`'s keywords
                (``repo_id``, ``dim_names``, ``results``, ``token``, ``private``,
                ``commit_message``, ``revision``, ``create_pr``).

        Raises:
            ValueError: For ``safe_serialization=False`` or a ``state_dict``.
            TypeError: For keywords that are not :meth:`push_to_hub`'s, or hub keywords
                without ``push_to_hub=True``.
        """
        from mdpo.adapters.serialization import save_panacea_adapter

        self._check_alive()
        if safe_serialization is not True:
            raise ValueError(
                f"safe_serialization must be True, got {safe_serialization!r}: mdpo writes "
                "adapters as safetensors only (no pickle files)"
            )
        if state_dict is not None:
            raise ValueError(
                "state_dict must be None: save_pretrained writes this adapter's own weights "
                "(adapter_state_dict()); load other weights with load_adapter_state_dict first"
            )
        allowed = {"repo_id", *_PUSH_KEYWORDS}
        unknown = sorted(set(hub_kwargs) - allowed)
        if unknown:
            raise TypeError(
                f"save_pretrained got unexpected keyword arguments {unknown}; allowed with "
                f"push_to_hub=True: {sorted(allowed)}"
            )
        if hub_kwargs and not push_to_hub:
            raise TypeError(
                f"save_pretrained got Hub keywords {sorted(hub_kwargs)} without "
                "push_to_hub=True; pass push_to_hub=True or drop them"
            )
        if not is_main_process:
            return
        save_panacea_adapter(self, save_directory)
        if push_to_hub:
            repo_id = hub_kwargs.pop("repo_id", Path(save_directory).resolve().name)
            self.push_to_hub(repo_id, **hub_kwargs)

    def push_to_hub(self, repo_id: str, **kwargs: Any) -> Any:
        """Upload the adapter (never the base model) and a model card to the Hub.

        See :func:`mdpo.adapters.hub.push_adapter_to_hub`: the card names the base model,
        the dimensions and how to steer the adapter, and shows ``results`` when given.

        Args:
            repo_id: ``"user/name"`` of a model repository (created if missing).
            **kwargs: ``dim_names``, ``results``, ``token``, ``private``,
                ``commit_message``, ``revision``, ``create_pr``.

        Returns:
            The :class:`huggingface_hub.CommitInfo`.

        Raises:
            TypeError: For another keyword.
        """
        from mdpo.adapters.hub import push_adapter_to_hub

        self._check_alive()
        unknown = sorted(set(kwargs) - set(_PUSH_KEYWORDS))
        if unknown:
            raise TypeError(
                f"push_to_hub got unexpected keyword arguments {unknown}; allowed: "
                f"{sorted(_PUSH_KEYWORDS)}"
            )
        return push_adapter_to_hub(self, repo_id, **kwargs)

    @classmethod
    def from_pretrained(
        cls,
        base_model: nn.Module,
        adapter_dir: str | os.PathLike[str],
        *,
        is_trainable: bool = False,
        n_dims: int | None = None,
        revision: str | None = None,
        token: str | None = None,
    ) -> PanaceaModel:
        """Load a saved Panacea adapter onto ``base_model``, from a folder or the Hub.

        See :func:`mdpo.adapters.load_panacea_adapter`.

        Args:
            base_model: The base model the adapter was trained on (modified in place).
            adapter_dir: A directory written by :meth:`save_pretrained`, or a Hub repository
                id ``"user/name"`` (downloaded with
                :func:`huggingface_hub.snapshot_download`, see
                :func:`mdpo.adapters.hub.download_adapter`).
            is_trainable: Keep the adapter trainable (otherwise frozen, eval mode).
            n_dims: The number of dimensions the caller expects, checked if given.
            revision: Hub only: a branch, tag or commit.
            token: Hub only: a token.

        Returns:
            The restored model.

        Raises:
            TypeError: If ``revision`` or ``token`` is given for a local folder.
        """
        from mdpo.adapters.hub import download_adapter, looks_like_repo_id
        from mdpo.adapters.serialization import load_panacea_adapter

        if looks_like_repo_id(adapter_dir):
            adapter_dir = download_adapter(os.fspath(adapter_dir), revision=revision, token=token)
        elif revision is not None or token is not None:
            raise TypeError(
                f"revision and token apply to a Hub id, but adapter_dir {adapter_dir!r} is a "
                "local path"
            )
        return load_panacea_adapter(
            base_model, adapter_dir, is_trainable=is_trainable, n_dims=n_dims
        )

    def export_lora(
        self, preference: PreferenceLike, save_directory: str | os.PathLike[str], **kwargs: Any
    ) -> None:
        """Write a standard peft LoRA adapter of rank k+m reproducing this model at λ.

        See :func:`mdpo.adapters.export_lora`.

        Args:
            preference: A single λ ``[m]``.
            save_directory: Output directory.
            **kwargs: Passed to :func:`mdpo.adapters.export_lora`.
        """
        from mdpo.adapters.export import export_lora

        export_lora(self, preference, save_directory, **kwargs)
