"""Saving, loading, uploading and exporting a Panacea adapter: the peft-style methods.

These functions are :class:`~mdpo.adapters.PanaceaModel`'s ``save_pretrained``,
``push_to_hub``, ``from_pretrained`` (a class method) and ``export_lora`` methods; the work
is done by :mod:`mdpo.adapters.serialization`, :mod:`mdpo.adapters.hub` and
:mod:`mdpo.adapters.export`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from mdpo.preferences import PreferenceLike

if TYPE_CHECKING:
    from mdpo.adapters.model import PanaceaModel

__all__ = ["export_lora", "from_pretrained", "push_to_hub", "save_pretrained"]

_PUSH_KEYWORDS = (
    "dim_names",
    "results",
    "token",
    "private",
    "commit_message",
    "revision",
    "create_pr",
)


def save_pretrained(
    self: PanaceaModel,
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


def push_to_hub(self: PanaceaModel, repo_id: str, **kwargs: Any) -> Any:
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


def from_pretrained(
    cls: type[PanaceaModel],
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
            f"revision and token apply to a Hub id, but adapter_dir {adapter_dir!r} is a local path"
        )
    return load_panacea_adapter(base_model, adapter_dir, is_trainable=is_trainable, n_dims=n_dims)


def export_lora(
    self: PanaceaModel,
    preference: PreferenceLike,
    save_directory: str | os.PathLike[str],
    **kwargs: Any,
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
