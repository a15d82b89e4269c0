"""Learning dynamics of an adapter: parameter and gradient norms and a λ-sensitivity probe.

:class:`MDPOTrainer` records these at every logging step when
``MDPOConfig(log_dynamics=True)``; the benchmark report plots them over steps.

- :func:`adapter_statistics`: per layer group (attention or MLP projections) the mean ``|s|``,
  the mean ‖σ‖ and the Frobenius norms of the shared part ``U_k diag(σ) V_kᵀ`` and of one
  preference part ``s·u_i v_iᵀ`` (Panacea), or of ``B A`` (a peft LoRA).
- :func:`gradient_norms`: the global gradient norm of each parameter kind: σ, s, the shared
  and the preference columns of U and V (Panacea), or LoRA's A and B.
- :func:`preference_probe`: on a fixed probe batch, each vertex e_i's per-dimension DPO
  reward margin and accuracy, and the **λ-sensitivity**: the mean over probe sequences
  and vertex pairs of ``|log π(y|x, e_i) − log π(y|x, e_j)|``. It is exactly 0 when λ cannot
  change the model (s = 0, or a plain LoRA) and grows as the preference part learns.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

__all__ = ["adapter_statistics", "gradient_norms", "layer_group", "preference_probe"]

_MLP_NAMES = ("mlp", "fc", "ffn", "gate", "up_proj", "down_proj", "c_fc", "dense_h", "w1", "w2")


def layer_group(name: str) -> str:
    """``"mlp"`` for a feed-forward projection's module path, else ``"attn"``.

    Args:
        name: A module path such as ``model.layers.0.mlp.up_proj``.

    Returns:
        ``"mlp"`` or ``"attn"``.

    Example:
        >>> from mdpo.training.dynamics import layer_group
        >>> layer_group("model.layers.3.mlp.down_proj"), layer_group("layers.3.self_attn.o_proj")
        ('mlp', 'attn')
    """
    parts = name.lower().split(".")
    return "mlp" if any(p.startswith(_MLP_NAMES) for p in parts) else "attn"


def _panacea_layers(model: nn.Module) -> Iterable[tuple[str, nn.Module]]:
    from mdpo.adapters.layer import PanaceaLinear

    return ((n, m) for n, m in model.named_modules() if isinstance(m, PanaceaLinear))


def _lora_layers(model: nn.Module) -> Iterable[tuple[str, nn.Module, str]]:
    for name, module in model.named_modules():
        a, b = getattr(module, "lora_A", None), getattr(module, "lora_B", None)
        if isinstance(a, nn.ModuleDict) and isinstance(b, nn.ModuleDict):
            for key in a:
                yield name, module, key


def _frob_factored(b: torch.Tensor, d: torch.Tensor, a: torch.Tensor) -> float:
    """``‖B diag(d) A‖_F`` from the small Gram matrices (``B [o, r]``, ``A [r, i]``)."""
    gb, ga = b.T @ b, a @ a.T
    return float(torch.sqrt(torch.clamp((gb * ga * torch.outer(d, d)).sum(), min=0.0)))


@torch.no_grad()
def adapter_statistics(model: nn.Module) -> dict[str, float]:
    """Per-layer-group norms of a Panacea or peft-LoRA adapter.

    Args:
        model: A :class:`~mdpo.adapters.PanaceaModel` or a ``peft.PeftModel`` (LoRA).

    Returns:
        For Panacea, per group ``g`` in ``attn``/``mlp``: ``s/g`` (mean ``|s|``), ``sigma/g``
        (mean ‖σ‖₂), ``shared_norm/g`` (mean ‖scaling·U_k diag(σ) V_kᵀ‖_F) and
        ``pref_norm/g`` (mean over layers and dimensions of ‖scaling·s·U_i V_iᵀ‖_F, the
        update one preference dimension adds at its vertex). For LoRA: ``lora_norm/g``
        (mean ‖scaling·B A‖_F). Empty for a model without such layers.

    Example:
        >>> from mdpo.adapters import PanaceaConfig, get_panacea_model
        >>> from mdpo.testing import tiny_causal_lm
        >>> from mdpo.training.dynamics import adapter_statistics
        >>> model = get_panacea_model(tiny_causal_lm("llama"), PanaceaConfig(r=2, n_dims=2))
        >>> stats = adapter_statistics(model)  # the "lora" init: s = 1, U = 0
        >>> stats["s/attn"], stats["pref_norm/mlp"], stats["shared_norm/attn"]
        (1.0, 0.0, 0.0)
    """
    sums: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        sums.setdefault(key, []).append(value)

    for name, layer in _panacea_layers(model):
        g = layer_group(name)
        r, p = layer.r, layer.pref_rank
        A, B = layer.lora_A.float(), layer.lora_B.float()
        sigma, s = layer.lora_E.float(), float(layer.lora_s.float().reshape(-1)[0])
        add(f"s/{g}", abs(s))
        add(f"sigma/{g}", float(sigma.norm()))
        add(f"shared_norm/{g}", abs(layer.scaling) * _frob_factored(B[:, :r], sigma, A[:r]))
        for i in range(layer.n_dims):
            cols = slice(r + i * p, r + (i + 1) * p)
            ones = torch.ones(p, dtype=A.dtype, device=A.device)
            norm = _frob_factored(B[:, cols], ones, A[cols])
            add(f"pref_norm/{g}", abs(layer.scaling * s) * norm)
    for name, module, key in _lora_layers(model):
        a = module.lora_A[key].weight.float()
        b = module.lora_B[key].weight.float()
        scale = float(module.scaling[key]) if hasattr(module, "scaling") else 1.0
        ones = torch.ones(a.shape[0], dtype=a.dtype, device=a.device)
        add(f"lora_norm/{layer_group(name)}", abs(scale) * _frob_factored(b, ones, a))
    return {k: sum(v) / len(v) for k, v in sorted(sums.items())}


def gradient_norms(model: nn.Module) -> dict[str, float]:
    """Global gradient norm per adapter parameter kind (call after backward, before the step).

    Args:
        model: A :class:`~mdpo.adapters.PanaceaModel` or a ``peft.PeftModel`` (LoRA).

    Returns:
        Panacea: ``grad/sigma``, ``grad/s``, ``grad/U_shared``, ``grad/U_pref``,
        ``grad/V_shared``, ``grad/V_pref``; LoRA: ``grad/lora_A``, ``grad/lora_B``. Kinds
        without gradients are left out.
    """
    sq: dict[str, float] = {}

    def add(key: str, grad: torch.Tensor | None) -> None:
        if grad is not None:
            sq[key] = sq.get(key, 0.0) + float(grad.detach().float().pow(2).sum())

    for _, layer in _panacea_layers(model):
        r = layer.r
        add("grad/sigma", layer.lora_E.grad)
        add("grad/s", layer.lora_s.grad)
        for label, param, axis in (("U", layer.lora_B, 1), ("V", layer.lora_A, 0)):
            grad = param.grad
            if grad is not None:
                add(f"grad/{label}_shared", grad.narrow(axis, 0, r))
                add(f"grad/{label}_pref", grad.narrow(axis, r, grad.shape[axis] - r))
    for _, module, key in _lora_layers(model):
        add("grad/lora_A", module.lora_A[key].weight.grad)
        add("grad/lora_B", module.lora_B[key].weight.grad)
    return {k: math.sqrt(v) for k, v in sorted(sq.items())}


@torch.no_grad()
def preference_probe(
    model: Any,
    objective: Any,
    rows: list[int],
    *,
    tokenizer: Any,
    conditioning: Any,
    preference_dependent: bool,
) -> dict[str, float]:
    """Per-vertex DPO margins and accuracies, and the λ-sensitivity, on a fixed probe batch.

    The probe draws its examples as the objective does at step 0 for ``rows``, so it is the
    same batch at every logging step. Nothing is updated (running statistics included).

    Args:
        model: The policy (the trainer's view of the unwrapped model).
        objective: The trainer's :class:`~mdpo.objectives.MultiObjective`.
        rows: Probe row indices.
        tokenizer: The tokenizer.
        conditioning: How λ reaches the policy.
        preference_dependent: Whether λ can change the model (Panacea, prompt
            conditioning); when False only the first vertex is probed and the sensitivity
            is 0 by construction (a plain LoRA expert or DPS member).

    Returns:
        ``probe/e<i>/<dim>/margin`` and ``probe/e<i>/<dim>/accuracy`` for every vertex i (or
        ``probe/<dim>/...`` for a preference-independent model) and DPO dimension, and
        ``probe/sensitivity`` (nats per sequence).
    """
    from mdpo.data import sequence_logps

    m = objective.n_dims
    vertices = torch.eye(m) if preference_dependent else torch.eye(m)[:1]
    out: dict[str, float] = {}
    logps: list[torch.Tensor] = []
    comps = [c for c in objective.components if getattr(c.objective, "fixed_sequences", False)]
    batches = []
    for comp in comps:
        examples = [comp.data[i] for i in objective.draw_indices(comp, rows, 0)]
        comp.objective.collator.tokenizer = tokenizer
        column = getattr(comp.objective, "prompt_column", "prompt")
        batches.append((examples, comp.objective.collator, column))
    for i, lam in enumerate(vertices):
        prefs = lam.expand(len(rows), m).clone()
        result = objective(
            model,
            rows,
            0,
            prefs,
            tokenizer=tokenizer,
            conditioning=conditioning,
            update_stats=False,
        )
        prefix = f"probe/e{i}" if preference_dependent else "probe"
        for key, value in result.metrics.items():
            parts = key.split("/")
            if len(parts) == 3 and parts[0] == "dpo" and parts[2] in ("margin", "accuracy"):
                out[f"{prefix}/{parts[1]}/{parts[2]}"] = float(value)
        seqs = []
        for examples, collator, column in batches:
            formatted = conditioning.format_prompts([ex[column] for ex in examples], prefs)
            rows_fmt = [{**ex, column: p} for ex, p in zip(examples, formatted)]
            batch = collator(rows_fmt)
            n_seq = batch["input_ids"].shape[0]
            device = next(p.device for p in model.parameters())
            with conditioning.activate(model, lam.expand(n_seq, m).clone().to(device)):
                lp, _ = sequence_logps(
                    model,
                    batch["input_ids"].to(device),
                    batch["attention_mask"].to(device),
                    batch["completion_mask"].to(device),
                )
            seqs.append(lp.double().cpu())
        if seqs:
            logps.append(torch.cat(seqs))
    pairs = list(itertools.combinations(range(len(logps)), 2))
    diffs = [(logps[a] - logps[b]).abs().mean() for a, b in pairs]
    out["probe/sensitivity"] = float(torch.stack(diffs).mean()) if diffs else 0.0
    return out
