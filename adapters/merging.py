"""Merging a Panacea adapter into the base weights at one λ, and taking it out again.

These functions are :class:`~mdpo.adapters.PanaceaModel`'s ``merge``, ``unmerge``,
``merge_and_unload`` and ``unload`` methods (``self`` is the model).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import torch
from torch import nn

from mdpo.preferences import PreferenceLike

if TYPE_CHECKING:
    from mdpo.adapters.model import PanaceaModel

__all__ = ["merge", "merge_and_unload", "unload", "unmerge"]


@torch.no_grad()
def merge(self: PanaceaModel, preference: PreferenceLike) -> None:
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
    lam = self.holder.validate(preference)
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
    _swap(self, wrapped=False)


def _swap(self: PanaceaModel, *, wrapped: bool) -> None:
    """Put the Panacea wrappers into the module tree, or their base layers back."""
    for name, layer in self._layers.items():
        parent_name, _, child = name.rpartition(".")
        parent = self.base_model.get_submodule(parent_name) if parent_name else self.base_model
        if wrapped:
            layer.train(parent.training)
        setattr(parent, child, layer if wrapped else layer.base_layer)


@torch.no_grad()
def unmerge(self: PanaceaModel) -> None:
    """Subtract the merged ``ΔW(λ)`` again; warns and does nothing if not merged."""
    self._check_alive()
    lam = self.holder.merged
    if lam is None:
        warnings.warn("the adapter is not merged; unmerge ignored", UserWarning, stacklevel=2)
        return
    _swap(self, wrapped=True)
    for layer in self._layers.values():
        # The model may have been moved while merged, when the adapter was out of the tree.
        layer.to(layer.base_layer.weight.device)
        layer.base_layer.weight.copy_(layer.merged_weight(lam, sign=-1.0))
    self.holder.merged = None


@torch.no_grad()
def merge_and_unload(self: PanaceaModel, preference: PreferenceLike) -> nn.Module:
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


def unload(self: PanaceaModel) -> nn.Module:
    """Remove the Panacea layers without merging and return the base model as it was.

    Weights stay as they are (merged ones included) and the base parameters get back
    the ``requires_grad`` flags they had before injection. This wrapper is unusable
    afterwards.

    Returns:
        The base model.
    """
    self._check_alive()
    _swap(self, wrapped=False)
    for p, flag in zip(self.base_model.parameters(), self._base_requires_grad):
        p.requires_grad_(flag)
    self._unloaded = True
    return self.base_model
