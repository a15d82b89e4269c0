"""Load a trained policy from a run folder: ``run.json`` picks the policy kind.

Every saved run carries a ``run.json`` manifest (see the conventions page of the docs).
:func:`load_policy` reads it,
loads the base model with :func:`mdpo.models.load_causal_lm` and rebuilds the policy:

============================  =====================================================
manifest                      policy
============================  =====================================================
``"method": "panacea"``       :class:`~mdpo.policies.PanaceaPolicy` (any λ, per row)
``"method": "lora"`` + λ      a one-member :class:`~mdpo.policies.DPSPolicy`: only the
                              training λ (``fixed_preference``) is supported
``"method": "lora"`` +        :class:`~mdpo.policies.PromptConditionedPolicy` whose
``"conditioning": "prompt"``  ``condition`` writes λ into the prompts (text side)
``"method": "lora"`` +        :class:`~mdpo.policies.SoftPromptPolicy`: the soft prompt
``"conditioning":``           of ``"soft_prompt"`` (default ``soft_prompt.safetensors``)
``"soft_prompt"``             mixed by λ over placeholders in the prompts
``"method": "rs"``            :class:`~mdpo.policies.RSPolicy` over ``experts``
``"method": "dps"``           :class:`~mdpo.policies.DPSPolicy` over ``grid``/``adapters``
``"method": "mod"``           :class:`~mdpo.policies.MODPolicy` over ``experts``
============================  =====================================================

Manifest fields, all methods: ``format_version`` (1), ``base_model`` (``"smollm2"`` or a
model folder), ``method``, ``dimension_names`` (the m names, in λ's order) and
``adapter_paths``. ``mdpo train`` writes ``{"adapter": "adapter"}`` there; the ``panacea``
and ``lora`` methods load ``adapter_paths["adapter"]``. For ``lora``, ``fixed_preference``
and ``conditioning`` are read from the manifest when present, else from the run's
``config.json`` (``training.fixed_preference``, ``conditioning``) as ``mdpo train`` writes it.

The multi-adapter methods, whose runs the benchmark saves, add:

- ``"rs"`` and ``"mod"``: ``"experts": {dimension name: adapter path}``, one plain peft LoRA
  expert per dimension, keys exactly ``dimension_names``. RS interpolates them in weight
  space (``"soup": "unmerged"`` loads the per-row, batched soup the benchmark evaluates;
  ``"merged"``, the default, writes one λ's soup into the weights); MOD mixes their logits at
  every decoding step.
- ``"dps"``: ``"grid": [[λ_1, ..., λ_m], ...]`` (K distinct preferences) and
  ``"adapters": [path, ...]`` (K plain peft LoRA adapters, in the grid's order);
  ``"soup": "unmerged"`` loads them on one base, batched per row
  (:meth:`~mdpo.policies.DPSPolicy.unmerged`).

For example::

    {"format_version": 1, "base_model": "smollm2", "method": "rs",
     "dimension_names": ["helpful", "concise"],
     "experts": {"helpful": "experts/helpful", "concise": "experts/concise"},
     "adapter_paths": {"helpful": "experts/helpful", "concise": "experts/concise"}}

Adapter paths are relative to the run folder; absolute paths and paths that resolve outside
it are refused. Adapter weights are read from ``adapter_model.safetensors`` only (a pickled
``adapter_model.bin`` is refused).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mdpo._registry import Registry

from .base import PreferenceConditionedPolicy
from .manifest import MANIFEST_FILE, RUN_FORMAT_VERSION, RunManifest, read_run_manifest
from .prompt_conditioned import TextCondition

__all__ = [
    "POLICY_METHODS",
    "RUN_FORMAT_VERSION",
    "PolicyLoader",
    "RunManifest",
    "load_policy",
    "policy_layouts",
    "read_run_manifest",
    "register_policy_loader",
]

POLICY_METHODS = ("panacea", "lora", "rs", "dps", "mod")
"""The built-in ``method`` values (layouts) :func:`load_policy` understands; with those added
by :func:`register_policy_loader`, :func:`policy_layouts`."""

PolicyLoader = Callable[["RunManifest", torch.dtype, Any], tuple[PreferenceConditionedPolicy, Any]]
"""``(manifest, dtype, device) -> (policy, tokenizer)``: rebuilds one layout's policy."""

_LOADERS: Registry[PolicyLoader] = Registry("policy loader", key=str)


def load_policy(
    run_dir: str | os.PathLike[str],
    *,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
) -> tuple[PreferenceConditionedPolicy, Any]:
    """Rebuild the trained policy of a run folder, in eval mode.

    Args:
        run_dir: A run folder with ``run.json`` (see the module docstring).
        device: Where to put the model(s); CPU when None.
        dtype: Parameter dtype; the run's ``config.json`` ``model.dtype`` (else float32)
            when None.

    Returns:
        ``(policy, tokenizer)``: the policy (``policy.dim_names`` are the run's dimension
        names) and the base model's tokenizer (right padding, pad token set).

    Raises:
        ValueError: If the folder is not a valid run (missing manifest or fields, adapter
            paths escaping the run folder, missing safetensors weights, mismatched m).
        TypeError: If ``dtype`` is not a floating torch dtype.
    """
    manifest = read_run_manifest(run_dir)
    if dtype is None:
        name = manifest.setting("dtype", ("model", "dtype")) or "float32"
        dtype = getattr(torch, name, None) if isinstance(name, str) else None
        if not isinstance(dtype, torch.dtype):
            raise ValueError(f"{manifest.run_dir}: unknown model dtype {name!r}")
    policy, tokenizer = _LOADERS.get(manifest.method)(manifest, dtype, device)
    return policy.eval(), tokenizer


def policy_layouts() -> list[str]:
    """The ``run.json`` ``method`` values :func:`load_policy` reads, in registration order.

    Example:
        >>> from mdpo.policies import policy_layouts
        >>> policy_layouts()
        ['panacea', 'lora', 'rs', 'dps', 'mod']
    """
    return _LOADERS.names()


def register_policy_loader(
    method: str, loader: PolicyLoader, *, overwrite: bool = False
) -> PolicyLoader:
    """Teach :func:`load_policy` a new ``run.json`` ``method`` (a saved-run layout).

    Args:
        method: The manifest's ``method`` value.
        loader: ``(manifest, dtype, device) -> (policy, tokenizer)``; the manifest is a
            validated :class:`RunManifest` (its ``adapter_dir`` and ``file`` resolve paths
            safely inside the run folder).
        overwrite: Replace an existing loader of ``method`` instead of refusing.

    Returns:
        ``loader``.

    Raises:
        TypeError: If ``method`` is not a non-empty str or ``loader`` is not callable.
        ValueError: If ``method`` already has another loader and ``overwrite`` is False.
    """
    if not isinstance(method, str) or not method:
        raise TypeError(f"method must be a non-empty str, got {method!r}")
    if not callable(loader):
        raise TypeError(f"loader must be callable, got {loader!r}")
    return _LOADERS.register(method, loader, overwrite=overwrite)


def _base(manifest: RunManifest, dtype: torch.dtype, device: Any) -> tuple[nn.Module, Any]:
    from mdpo.models import load_causal_lm

    return load_causal_lm(manifest.base_model, dtype=dtype, device=device)


def _single_adapter(manifest: RunManifest) -> Path:
    paths = manifest.data.get("adapter_paths")
    if not isinstance(paths, Mapping) or "adapter" not in paths:
        raise ValueError(
            f"{manifest.run_dir / MANIFEST_FILE}: method {manifest.method!r} needs "
            f'adapter_paths {{"adapter": PATH}}, got {paths!r}'
        )
    return manifest.adapter_dir(paths["adapter"], "adapter_paths.adapter")


def _panacea(manifest: RunManifest, dtype: torch.dtype, device: Any) -> tuple[Any, Any]:
    from mdpo.adapters import PanaceaModel

    from .panacea import PanaceaPolicy

    adapter = _single_adapter(manifest)
    base, tokenizer = _base(manifest, dtype, device)
    model = PanaceaModel.from_pretrained(base, adapter, n_dims=manifest.n_dims)
    return PanaceaPolicy(model, manifest.n_dims, manifest.dim_names), tokenizer


def _peft(base: nn.Module, adapters: Sequence[Path]) -> nn.Module:
    """One peft model holding every adapter, named ``"0"``, ``"1"``, ... (eval, frozen)."""
    from peft import PeftModel

    from mdpo.adapters._files import read_safetensors

    for path in adapters:  # peft loads NaN weights silently; refuse them here
        weights = path / "adapter_model.safetensors"
        if weights.is_file():
            read_safetensors(weights, f"adapter {os.fspath(path)!r}")
    model = PeftModel.from_pretrained(base, os.fspath(adapters[0]), adapter_name="0")
    for i, path in enumerate(adapters[1:], start=1):
        model.load_adapter(os.fspath(path), adapter_name=str(i))
    return model.eval()


def _lora(manifest: RunManifest, dtype: torch.dtype, device: Any) -> tuple[Any, Any]:
    from mdpo.preferences import check_preference

    from .dps import DPSPolicy
    from .prompt_conditioned import PromptConditionedPolicy

    adapter = _single_adapter(manifest)
    conditioning = manifest.setting("conditioning", ("conditioning",))
    fixed = manifest.setting("fixed_preference", ("training", "fixed_preference"))
    lam: torch.Tensor | None = None
    if conditioning not in ("prompt", "soft_prompt"):
        if fixed is None:
            raise ValueError(
                f"{manifest.run_dir}: a 'lora' run needs conditioning 'prompt' or a "
                "fixed_preference (in run.json, or training.fixed_preference in config.json); "
                "neither is recorded"
            )
        try:
            lam = check_preference(fixed, manifest.n_dims, name="fixed_preference")
        except (ValueError, TypeError) as err:
            raise ValueError(f"{manifest.run_dir}: {err}") from None
    base, tokenizer = _base(manifest, dtype, device)
    model = _peft(base, [adapter]).merge_and_unload().eval()
    if conditioning == "soft_prompt":
        from mdpo.soft_prompt import SOFT_PROMPT_FILE, SoftPrompt

        from .prompt_conditioned import SoftPromptPolicy

        path = manifest.file(manifest.data.get("soft_prompt", SOFT_PROMPT_FILE), "soft_prompt")
        soft = SoftPrompt.load(path)
        if soft.n_dims != manifest.n_dims:
            raise ValueError(
                f"{path}: the soft prompt has {soft.n_dims} prompts but the run has "
                f"{manifest.n_dims} dimensions {manifest.dim_names}"
            )
        soft = soft.to(device=next(model.parameters()).device)
        return SoftPromptPolicy(model, soft, manifest.dim_names), tokenizer
    if lam is None:
        condition = TextCondition(manifest.dim_names)
        policy = PromptConditionedPolicy(model, manifest.n_dims, manifest.dim_names, condition)
        return policy, tokenizer
    return DPSPolicy(lam[None], [model], manifest.dim_names), tokenizer


class _AdapterView(nn.Module):
    """One named adapter of a multi-adapter peft model, activated on every call."""

    def __init__(self, peft_model: nn.Module, adapter_name: str) -> None:
        super().__init__()
        self.peft_model = peft_model
        self.adapter_name = adapter_name

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        self.peft_model.set_adapter(self.adapter_name)
        return self.peft_model(*args, **kwargs)

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        self.peft_model.set_adapter(self.adapter_name)
        return self.peft_model.generate(*args, **kwargs)

    @property
    def config(self) -> Any:
        """The base model's config (MOD reads ``use_cache`` from it)."""
        return self.peft_model.config

    def get_base_model(self) -> nn.Module:
        """The shared base model."""
        return self.peft_model.get_base_model()


def _experts(manifest: RunManifest) -> list[Path]:
    experts = manifest.data.get("experts")
    where = manifest.run_dir / MANIFEST_FILE
    if not isinstance(experts, Mapping) or set(experts) != set(manifest.dim_names):
        raise ValueError(
            f"{where}: method {manifest.method!r} needs experts {{dimension: adapter path}} "
            f"with one entry per dimension {manifest.dim_names}, got {experts!r}"
        )
    return [manifest.adapter_dir(experts[n], f"experts.{n}") for n in manifest.dim_names]


def _soup_mode(manifest: RunManifest) -> str:
    """The manifest's ``soup``: ``"merged"`` (default) or ``"unmerged"`` (per-row, batched)."""
    mode = manifest.data.get("soup", "merged")
    if mode not in ("merged", "unmerged"):
        raise ValueError(
            f"{os.fspath(manifest.run_dir / MANIFEST_FILE)}: soup must be 'merged' or 'unmerged', "
            f"got {mode!r}"
        )
    return mode


def _rs(manifest: RunManifest, dtype: torch.dtype, device: Any) -> tuple[Any, Any]:
    from .rewarded_soups import RSPolicy

    experts = _experts(manifest)
    mode = _soup_mode(manifest)
    base, tokenizer = _base(manifest, dtype, device)
    paths = [os.fspath(p) for p in experts]
    return RSPolicy(base, paths, manifest.dim_names, mode=mode), tokenizer


def _mod(manifest: RunManifest, dtype: torch.dtype, device: Any) -> tuple[Any, Any]:
    from .mod import MODPolicy

    experts = _experts(manifest)
    base, tokenizer = _base(manifest, dtype, device)
    model = _peft(base, experts)
    views = [_AdapterView(model, str(i)) for i in range(len(experts))]
    return MODPolicy(views, manifest.dim_names), tokenizer


def _dps(manifest: RunManifest, dtype: torch.dtype, device: Any) -> tuple[Any, Any]:
    from mdpo.preferences import check_preference

    from .dps import DPSPolicy

    where = manifest.run_dir / MANIFEST_FILE
    grid, paths = manifest.data.get("grid"), manifest.data.get("adapters")
    if not isinstance(grid, list) or not isinstance(paths, list) or len(grid) != len(paths):
        raise ValueError(
            f"{where}: method 'dps' needs grid [[λ...], ...] and adapters [path, ...] of the "
            f"same length, got grid={grid!r}, adapters={paths!r}"
        )
    if not grid:
        raise ValueError(f"{where}: method 'dps' needs at least one grid preference")
    try:
        lam = check_preference(grid, manifest.n_dims, name="grid")
    except (ValueError, TypeError) as err:
        raise ValueError(f"{where}: {err}") from None
    adapters = [manifest.adapter_dir(p, f"adapters[{i}]") for i, p in enumerate(paths)]
    mode = _soup_mode(manifest)
    base, tokenizer = _base(manifest, dtype, device)
    if mode == "unmerged":
        experts = [os.fspath(p) for p in adapters]
        return DPSPolicy.unmerged(lam, base, experts, manifest.dim_names), tokenizer
    model = _peft(base, adapters)
    views = [_AdapterView(model, str(i)) for i in range(len(adapters))]
    return DPSPolicy(lam, views, manifest.dim_names), tokenizer


for _method, _loader in zip(POLICY_METHODS, (_panacea, _lora, _rs, _dps, _mod)):
    _LOADERS.register(_method, _loader, builtin=True)
del _method, _loader
