"""The Panacea layer: a frozen linear plus a preference-conditioned SVD-LoRA update."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from mdpo.adapters.holder import PreferenceHolder

__all__ = ["PanaceaLinear", "is_conv1d", "supported_linear"]


def is_conv1d(module: nn.Module) -> bool:
    """Whether ``module`` is transformers' GPT-2 ``Conv1D`` (a linear with weight ``[in, out]``).

    Args:
        module: Any module.

    Returns:
        True for ``transformers.pytorch_utils.Conv1D``, False otherwise.
    """
    cls = type(module)
    return cls.__name__ == "Conv1D" and cls.__module__.startswith("transformers")


def supported_linear(module: nn.Module) -> bool:
    """Whether :class:`PanaceaLinear` can wrap ``module`` (``nn.Linear`` or GPT-2 ``Conv1D``).

    Args:
        module: Any module.

    Returns:
        True if the module can be adapted.
    """
    return isinstance(module, nn.Linear) or is_conv1d(module)


class PanaceaLinear(nn.Module):
    """A frozen linear layer plus Panacea's low-rank, preference-conditioned update.

    The output is ``base(x) + scaling · ((dropout(x) @ lora_A.T) * diag) @ lora_B.T`` with
    ``diag = cat(σ, s·λ)``, AdaLoRA's parametrisation of ``U diag(·) Vᵀ``: ``lora_A`` is Vᵀ
    ``[k+m, in]``, ``lora_B`` is U ``[out, k+m]``, ``lora_E`` is σ ``[k]`` and ``lora_s`` is
    the per-layer scale s ``[1]`` (with ``pref_rank`` p, m becomes m·p in these shapes and
    each s·λ_i is repeated p times). λ comes from the shared :class:`PreferenceHolder`: a
    ``[m]`` λ gives ``diag [k+m]``, a ``[B, m]`` λ gives one diagonal per batch row. The
    dense ΔW is only built by :meth:`delta_weight` (for merging), never in forward.

    Adapter parameters are float32 whatever the base dtype: activations are cast to float32
    for the update and the result is cast back to the base output's dtype.

    Args:
        base_layer: The ``nn.Linear`` or GPT-2 ``Conv1D`` to wrap; it is frozen.
        r: Number k of learned singular values.
        n_dims: Number m of preference dimensions.
        scaling: Factor in front of the update.
        lora_dropout: Dropout probability on the adapter's input.
        init_scale: Standard deviation of the normal init of U and V (``init="svd"``).
        init: ``"svd"`` (U, V normal, σ = s = 0) or ``"lora"`` (V Kaiming-uniform, U = 0,
            σ = s = 1); see :class:`~mdpo.adapters.PanaceaConfig`.
        holder: The model's shared preference holder.
        pref_rank: Columns p per preference dimension (the diagonal repeats each s·λ_i p
            times; ``lora_A`` is then ``[k+m·p, in]``).

    Raises:
        TypeError: If ``base_layer`` is neither ``nn.Linear`` nor ``Conv1D``.
        ValueError: If ``init`` is unknown or ``pref_rank < 1``.
    """

    def __init__(
        self,
        base_layer: nn.Module,
        *,
        r: int,
        n_dims: int,
        scaling: float,
        lora_dropout: float,
        init_scale: float,
        holder: PreferenceHolder,
        init: str = "svd",
        pref_rank: int = 1,
    ) -> None:
        super().__init__()
        if isinstance(pref_rank, bool) or not isinstance(pref_rank, int) or pref_rank < 1:
            raise ValueError(f"pref_rank must be an int >= 1, got {pref_rank!r}")
        if not supported_linear(base_layer):
            raise TypeError(
                "base_layer must be an nn.Linear or a transformers Conv1D, "
                f"got {type(base_layer).__name__}"
            )
        self.base_layer = base_layer
        self.fan_in_fan_out = is_conv1d(base_layer)
        weight = base_layer.weight
        if self.fan_in_fan_out:
            self.in_features, self.out_features = weight.shape
        else:
            self.out_features, self.in_features = weight.shape
        self.r = r
        self.n_dims = n_dims
        self.pref_rank = pref_rank
        self.scaling = float(scaling)
        kw: dict[str, Any] = {"device": weight.device, "dtype": torch.float32}
        total = r + n_dims * pref_rank
        self.lora_A = nn.Parameter(torch.empty(total, self.in_features, **kw))
        self.lora_B = nn.Parameter(torch.empty(self.out_features, total, **kw))
        self.lora_E = nn.Parameter(torch.zeros(r, **kw))
        self.lora_s = nn.Parameter(torch.zeros(1, **kw))
        self.lora_dropout = nn.Dropout(lora_dropout) if lora_dropout > 0 else nn.Identity()
        self._use_dropout = lora_dropout > 0
        with torch.no_grad():
            if init == "lora":
                nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
                self.lora_B.zero_()
                self.lora_E.fill_(1.0)
                self.lora_s.fill_(1.0)
            elif init == "svd":
                self.lora_A.normal_(0.0, init_scale)
                self.lora_B.normal_(0.0, init_scale)
            else:
                raise ValueError(f"init must be 'svd' or 'lora', got {init!r}")
        # A plain reference, not a submodule: the model registers the holder once.
        object.__setattr__(self, "holder", holder)
        for p in base_layer.parameters():
            p.requires_grad_(False)

    holder: PreferenceHolder

    def _apply(self, fn: Any, recurse: bool = True) -> PanaceaLinear:
        """Apply ``fn`` like ``nn.Module`` does, but keep the adapter parameters float32.

        ``model.to(torch.bfloat16)`` or ``.half()`` thus casts the base weights only, as the
        adapter must train in float32; device moves apply to everything.
        """
        super()._apply(fn, recurse=recurse)
        for attr in ("lora_A", "lora_B", "lora_E", "lora_s"):
            param = getattr(self, attr)
            if param.dtype != torch.float32:
                param.data = param.data.float()
                if param.grad is not None:
                    param.grad = param.grad.float()
        return self

    @property
    def weight(self) -> torch.Tensor:
        """The base layer's weight (so code that inspects ``module.weight`` keeps working)."""
        return self.base_layer.weight

    @property
    def bias(self) -> torch.Tensor | None:
        """The base layer's bias."""
        return self.base_layer.bias

    def diagonal(self, lam: torch.Tensor) -> torch.Tensor:
        """The scaled diagonal ``scaling · cat(σ, s·λ)``.

        Args:
            lam: λ of shape ``[m]`` or ``[B, m]``.

        Returns:
            ``[k+m]`` for a single λ, ``[B, k+m]`` for a batch of them (float32).
        """
        lam = lam.to(device=self.lora_E.device, dtype=torch.float32)
        if self.pref_rank > 1:
            lam = lam.repeat_interleave(self.pref_rank, dim=-1)
        sigma = self.lora_E if lam.dim() == 1 else self.lora_E.expand(*lam.shape[:-1], self.r)
        return torch.cat([sigma, self.lora_s * lam], dim=-1) * self.scaling

    def delta_weight(self, lam: torch.Tensor) -> torch.Tensor:
        """The dense update ``scaling · U diag(σ, s·λ) Vᵀ`` in the base weight's layout.

        Args:
            lam: A single λ of shape ``[m]``.

        Returns:
            A float32 tensor ``[out, in]`` (``[in, out]`` for a GPT-2 ``Conv1D``).
        """
        delta = (self.lora_B * self.diagonal(lam)) @ self.lora_A
        return delta.T if self.fan_in_fan_out else delta

    def forward(self, x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        """Apply the base layer plus the update for the holder's current λ.

        Args:
            x: Input ``[..., in]``; with a ``[B, m]`` λ, ``x`` is ``[B, ..., in]``.
            *args: Passed to the base layer.
            **kwargs: Passed to the base layer.

        Returns:
            ``[..., out]`` in the base layer's output dtype.

        Raises:
            RuntimeError: If no λ is set, or a per-row λ's batch size differs from ``x``'s.
        """
        result = self.base_layer(x, *args, **kwargs)
        holder = self.holder
        if holder.disabled or holder.merged is not None:
            return result
        lam = holder.value
        if lam is None:
            raise RuntimeError(
                "no preference is set on this Panacea model: call "
                "model.set_preference(λ) (or use `with model.preference(λ):`) before the "
                "forward pass, or `with model.disable_adapter():` for the base model"
            )
        A = self.lora_A
        if lam.device != A.device:
            lam = lam.to(A.device)
        if self.pref_rank > 1:
            lam = lam.repeat_interleave(self.pref_rank, dim=-1)
        # The hot path: few ops and little Python, since small-batch steps are bound by
        # per-op overhead. The scaling goes into addmm's alpha, not into an extra multiply.
        if lam.dim() == 1:
            diag = torch.cat((self.lora_E, self.lora_s * lam))
        else:
            rows = lam.shape[0]
            if x.dim() < 2 or x.shape[0] != rows:
                raise RuntimeError(
                    f"the per-row preference has {rows} rows but the batch has "
                    f"{x.shape[0] if x.dim() >= 2 else 'no batch axis'} "
                    f"(input shape {tuple(x.shape)}); set one λ row per batch row"
                )
            diag = torch.cat((self.lora_E.expand(rows, self.r), self.lora_s * lam), dim=1)
            diag = diag.view(rows, *([1] * (x.dim() - 2)), diag.shape[-1])
        if self._use_dropout:
            x = self.lora_dropout(x)
        h = F.linear(x.to(A.dtype), A) * diag
        B = self.lora_B
        if result.dtype == B.dtype and result.is_contiguous():
            out = torch.addmm(
                result.view(-1, self.out_features),
                h.reshape(-1, h.shape[-1]),
                B.t(),
                alpha=self.scaling,
            )
            return out.view(result.shape)
        return result + (F.linear(h, B) * self.scaling).to(result.dtype)

    def extra_repr(self) -> str:
        """Summary shown by ``repr``."""
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"r={self.r}, n_dims={self.n_dims}, pref_rank={self.pref_rank}, "
            f"scaling={self.scaling:g}"
        )

    @torch.no_grad()
    def merged_weight(self, lam: torch.Tensor, *, sign: float = 1.0) -> torch.Tensor:
        """The base weight with ``sign · ΔW(λ)`` added, in the base weight's dtype.

        Nothing is modified; :meth:`PanaceaModel.merge` checks every layer's result for
        non-finite values before writing any of them.

        Args:
            lam: A single λ of shape ``[m]``.
            sign: ``+1`` to merge, ``-1`` to unmerge.

        Returns:
            A tensor shaped like the base weight.
        """
        w = self.base_layer.weight
        delta = self.delta_weight(lam).to(w.device)
        return (w.to(torch.float32) + sign * delta).to(w.dtype)
