"""Rewarded Soups: interpolate plain LoRA experts by a preference, in weight-delta space."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from mdpo.adapters._files import read_json
from mdpo.adapters.layer import is_conv1d
from mdpo.preferences import PreferenceLike, check_preference

__all__ = ["LoraExpert", "apply_delta", "load_lora_expert", "soup"]

_PREFIX = "base_model.model."


@dataclasses.dataclass
class LoraExpert:
    """A plain LoRA adapter in a normalised form: per-module factors and scalings.

    Attributes:
        factors: ``{module path in the base model: (A [r, in], B [out, r])}``.
        scalings: ``{module path: scaling}``; ``ΔW = scaling · B @ A`` is ``[out, in]``.
    """

    factors: dict[str, tuple[torch.Tensor, torch.Tensor]]
    scalings: dict[str, float]

    def delta(self, name: str) -> torch.Tensor:
        """The expert's dense update for one module.

        Args:
            name: Module path.

        Returns:
            ``ΔW [out, in]`` in float32.
        """
        A, B = self.factors[name]
        return self.scalings[name] * (B.float() @ A.float())


def _module_name(key: str, which: str) -> str | None:
    """The module path of a peft LoRA state-dict key, or None if it is not ``which``."""
    parts = key.split(".")
    if parts[-1] != "weight" or which not in parts:
        return None
    idx = len(parts) - 1 - parts[::-1].index(which)
    name = ".".join(parts[:idx])
    return name[len(_PREFIX) :] if name.startswith(_PREFIX) else name


def _from_state_dict(state: Mapping[str, torch.Tensor], scaling: float, what: str) -> LoraExpert:
    a_mats: dict[str, torch.Tensor] = {}
    b_mats: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        for which, bucket in (("lora_A", a_mats), ("lora_B", b_mats)):
            name = _module_name(key, which)
            if name is not None:
                bucket[name] = value
    if not a_mats or set(a_mats) != set(b_mats):
        raise ValueError(
            f"{what} is not a LoRA state dict: expected matching '...lora_A.weight' and "
            f"'...lora_B.weight' keys, got {sorted(state)[:6]}"
        )
    factors = {n: (a_mats[n], b_mats[n]) for n in sorted(a_mats)}
    for n, (A, B) in factors.items():
        if A.dim() != 2 or B.dim() != 2 or A.shape[0] != B.shape[1]:
            raise ValueError(
                f"{what}: module {n!r} has lora_A {tuple(A.shape)} and lora_B {tuple(B.shape)}, "
                "which do not form B @ A"
            )
    return LoraExpert(factors, dict.fromkeys(factors, float(scaling)))


def _config_scaling(config: Mapping[str, Any], rank: int, what: str) -> float:
    if config.get("use_dora"):
        raise ValueError(f"{what} is a DoRA adapter; only plain LoRA experts can be souped")
    for key in ("rank_pattern", "alpha_pattern"):
        if config.get(key):
            raise ValueError(f"{what} uses a per-module {key}, which soup does not support")
    alpha = float(config.get("lora_alpha", 8))
    return alpha / math.sqrt(rank) if config.get("use_rslora") else alpha / rank


def _from_directory(path: Path) -> LoraExpert:
    what = f"adapter directory {str(path)!r}"
    config = read_json(path / "adapter_config.json", f"{what} is not an adapter")
    if config.get("peft_type") != "LORA":
        raise ValueError(
            f"{what} is not a plain LoRA adapter (peft_type={config.get('peft_type')!r}); "
            "Rewarded Soups experts must be peft LoRA adapters"
        )
    if (path / "adapter_model.safetensors").is_file():
        from safetensors.torch import load_file

        state = load_file(str(path / "adapter_model.safetensors"))
    elif (path / "adapter_model.bin").is_file():
        state = torch.load(path / "adapter_model.bin", map_location="cpu", weights_only=True)
    else:
        raise ValueError(f"{what} has no adapter_model.safetensors or adapter_model.bin")
    expert = _from_state_dict(state, 1.0, what)
    for name, (A, _) in expert.factors.items():
        expert.scalings[name] = _config_scaling(config, A.shape[0], what)
    return expert


def _from_module(model: nn.Module, adapter_name: str | None) -> LoraExpert:
    from peft import PeftModel
    from peft.tuners.lora import LoraLayer, LoraModel

    root = model
    if isinstance(model, PeftModel):
        root = model.base_model.model
    elif isinstance(model, LoraModel):
        root = model.model
    factors: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    scalings: dict[str, float] = {}
    for name, module in root.named_modules():
        if not isinstance(module, LoraLayer):
            continue
        names = list(module.lora_A.keys())
        adapter = adapter_name or (names[0] if len(names) == 1 else None)
        if adapter is None or adapter not in module.lora_A:
            raise ValueError(
                f"LoRA module {name!r} holds adapters {names}; pass adapter_name= to pick one"
            )
        if module.use_dora.get(adapter, False):
            raise ValueError(f"LoRA module {name!r} uses DoRA; only plain LoRA can be souped")
        factors[name] = (
            module.lora_A[adapter].weight.detach(),
            module.lora_B[adapter].weight.detach(),
        )
        scalings[name] = float(module.scaling[adapter])
    if not factors:
        raise ValueError(f"{type(model).__name__} holds no peft LoRA layer")
    return LoraExpert(factors, scalings)


def load_lora_expert(
    expert: Any, *, scaling: float = 1.0, adapter_name: str | None = None
) -> LoraExpert:
    """Normalise a LoRA expert given as a peft model, a directory or a state dict.

    Args:
        expert: A :class:`LoraExpert`; a ``peft.PeftModel`` (or a model with peft LoRA
            layers); a peft adapter directory (``adapter_config.json`` +
            ``adapter_model.safetensors``/``.bin``); or a LoRA state dict with
            ``...lora_A.weight`` / ``...lora_B.weight`` keys.
        scaling: The LoRA scaling ``alpha / r`` of a bare state dict (which does not record
            it); ignored for the other forms.
        adapter_name: Which adapter of a multi-adapter peft model to use.

    Returns:
        The expert's factors and scalings.

    Raises:
        TypeError: If ``expert`` is none of the accepted forms.
        ValueError: If it is not a plain LoRA adapter.
    """
    if isinstance(expert, LoraExpert):
        return expert
    if isinstance(expert, nn.Module):
        return _from_module(expert, adapter_name)
    if isinstance(expert, str | os.PathLike):
        path = Path(expert)
        if not path.is_dir():
            raise ValueError(f"adapter directory {str(path)!r} does not exist")
        return _from_directory(path)
    if isinstance(expert, Mapping):
        return _from_state_dict(expert, scaling, "state dict")
    raise TypeError(
        "an expert must be a peft model, an adapter directory, a LoRA state dict or a "
        f"LoraExpert, got {type(expert).__name__}"
    )


@torch.no_grad()
def shared_modules(experts: Sequence[LoraExpert], what: str = "expert") -> list[str]:
    """The module paths every expert adapts (expert 0's order).

    Raises:
        ValueError: If an expert adapts other modules than expert 0 (the message calls them
            ``what``).
    """
    names = list(experts[0].factors)
    for i, e in enumerate(experts[1:], start=1):
        if set(e.factors) != set(names):
            diff = sorted(set(e.factors) ^ set(names))
            raise ValueError(
                f"{what} {i} does not adapt the same modules as {what} 0 (differs in {diff[:5]})"
            )
    return names


def soup(
    adapters: Sequence[Any],
    weights: PreferenceLike,
    space: Literal["delta", "factors"] = "delta",
    *,
    normalize: bool = False,
    scalings: Sequence[float] | None = None,
) -> dict[str, torch.Tensor]:
    """Rewarded Soups: the per-module weight update of LoRA experts interpolated by λ.

    ``space="delta"`` (default) returns ``Σ_i w_i ΔW_i`` with ``ΔW_i = scaling_i B_i A_i``:
    exactly the merged weights ``θ = Σ_i w_i θ_i``, since the weights sum to 1.
    ``space="factors"`` returns ``scaling · (Σ_i w_i B_i)(Σ_i w_i A_i)``, the factor
    average some implementations use (experts must then share ranks and scalings).
    (peft's ``add_weighted_adapter(combination_type="linear")`` scales A and B by √w each,
    which is neither.)

    Args:
        adapters: n experts, each in a form :func:`load_lora_expert` accepts. They must
            adapt the same modules with the same shapes.
        weights: ``[n]`` non-negative weights summing to 1 (validated like a preference).
        space: ``"delta"`` or ``"factors"``.
        normalize: Accept any non-negative weights with a positive sum and rescale them.
        scalings: Per-expert scaling of bare state dicts (default 1.0 each).

    Returns:
        ``{module path: ΔW [out, in]}`` in float32, to be added to the base weights with
        :func:`apply_delta`.

    Raises:
        ValueError: If the weights are invalid, ``space`` is unknown or the experts do not
            adapt the same modules.

    Example:
        >>> import torch
        >>> from mdpo.adapters import soup
        >>> A1, B1 = torch.ones(1, 3), torch.ones(2, 1)
        >>> sd1 = {"fc.lora_A.weight": A1, "fc.lora_B.weight": B1}
        >>> sd2 = {"fc.lora_A.weight": -A1, "fc.lora_B.weight": B1}
        >>> soup([sd1, sd2], [0.75, 0.25])["fc"]
        tensor([[0.5000, 0.5000, 0.5000],
                [0.5000, 0.5000, 0.5000]])
    """
    if space not in ("delta", "factors"):
        raise ValueError(f"space must be 'delta' or 'factors', got {space!r}")
    if isinstance(adapters, str | bytes) or not isinstance(adapters, Sequence) or not adapters:
        raise TypeError(f"adapters must be a non-empty sequence of experts, got {adapters!r}")
    n = len(adapters)
    if scalings is not None and len(scalings) != n:
        raise ValueError(f"scalings must have one entry per adapter ({n}), got {len(scalings)}")
    w = check_preference(weights, n, normalize=normalize, name="weights").to(torch.float64)
    if w.dim() != 1:
        raise ValueError(f"weights must have shape [{n}], got {tuple(w.shape)}")
    experts = [
        load_lora_expert(a, scaling=1.0 if scalings is None else float(scalings[i]))
        for i, a in enumerate(adapters)
    ]
    names = shared_modules(experts, "adapter")
    wf = [float(x) for x in w]
    out: dict[str, torch.Tensor] = {}
    for name in names:
        if space == "delta":
            # Σ_i w_i s_i B_i A_i as one matmul over the stacked ranks: [B_1 .. B_n] @ [A_1; ..].
            B = torch.cat(
                [wi * e.scalings[name] * e.factors[name][1].float() for wi, e in zip(wf, experts)],
                dim=1,
            )
            A = torch.cat([e.factors[name][0].float() for e in experts], dim=0)
            out[name] = B @ A
            continue
        ranks = {tuple(e.factors[name][0].shape) for e in experts}
        scales = {round(e.scalings[name], 12) for e in experts}
        if len(ranks) != 1 or len(scales) != 1:
            raise ValueError(
                f"space='factors' needs experts with equal factor shapes and scalings; module "
                f"{name!r} has shapes {sorted(ranks)} and scalings {sorted(scales)}"
            )
        A = sum(wi * e.factors[name][0].float() for wi, e in zip(wf, experts))
        B = sum(wi * e.factors[name][1].float() for wi, e in zip(wf, experts))
        out[name] = experts[0].scalings[name] * (B @ A)
    return out


@torch.no_grad()
def apply_delta(model: nn.Module, deltas: Mapping[str, torch.Tensor], alpha: float = 1.0) -> None:
    """Add ``alpha · ΔW`` to the named linear weights of a plain model, in place.

    Use ``alpha=-1`` to remove a soup again, so an RS policy can cache the current soup
    and swap it for another λ. GPT-2 ``Conv1D`` weights (``[in, out]``) are handled.

    Args:
        model: The base model (``nn.Linear``/``Conv1D`` weights at the given paths).
        deltas: ``{module path: ΔW [out, in]}`` as returned by :func:`soup`.
        alpha: Multiplier.

    Raises:
        ValueError: If a path is missing, not a linear layer, the shape differs, or the
            result would be non-finite (nothing is modified then).
    """
    from mdpo.adapters.layer import PanaceaLinear

    updates = []
    for name, delta in deltas.items():
        try:
            module = model.get_submodule(name)
        except AttributeError as err:
            raise ValueError(f"deltas name {name!r} is not a module of the model") from err
        if isinstance(module, PanaceaLinear):
            module = module.base_layer
        weight = getattr(module, "weight", None)
        if weight is None or not (isinstance(module, nn.Linear) or is_conv1d(module)):
            raise ValueError(f"deltas name {name!r} is a {type(module).__name__}, not a linear")
        d = delta.T if is_conv1d(module) else delta
        if tuple(d.shape) != tuple(weight.shape):
            raise ValueError(
                f"delta for {name!r} has shape {tuple(delta.shape)}, expected the [out, in] "
                f"shape of a weight {tuple(weight.shape)}"
            )
        if not torch.isfinite(d).all():
            raise ValueError(f"the delta for {name!r} holds NaN or inf")
        updates.append((weight, d))
    for weight, d in updates:
        d = d.to(weight.device)
        if weight.dtype == d.dtype:
            weight.add_(d, alpha=alpha)
        else:
            weight.copy_((weight.float() + alpha * d.float()).to(weight.dtype))
