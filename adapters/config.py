"""The Panacea adapter's configuration: a validated, JSON-serialisable dataclass."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any

from mdpo._numbers import check_int, check_real

__all__ = ["FORMAT_VERSION", "PEFT_TYPE", "PEFT_TYPE_FIELD", "PanaceaConfig"]

PEFT_TYPE = "PANACEA"
"""The name of the adapter kind; ``adapter_config.json`` holds :data:`PEFT_TYPE_FIELD`."""

PEFT_TYPE_FIELD = (
    "PANACEA (an mdpo adapter that peft cannot load: use "
    "mdpo.adapters.PanaceaModel.from_pretrained, or mdpo.adapters.export_lora for a peft "
    "LoRA at one preference)"
)
"""The ``peft_type`` written into ``adapter_config.json``.

peft looks the ``peft_type`` up in its own mapping, so plain ``PeftConfig.from_pretrained``
and ``PeftModel.from_pretrained`` stop with ``KeyError`` and this text, which says what to
use instead (a bare ``"PANACEA"`` gave ``KeyError: 'PANACEA'``). mdpo reads both.
"""

FORMAT_VERSION = 1
"""Version of the on-disk adapter format; a reader refuses a newer one."""


_INIT_SCHEMES: tuple[str, ...] = ("svd", "lora")
"""The factor initialisations :class:`PanaceaConfig` accepts."""

_LEGACY_DEFAULTS: dict[str, Any] = {"pref_rank": 1, "init": "svd"}
"""What a saved config that predates a field meant by leaving it out."""


@dataclasses.dataclass
class PanaceaConfig:
    """Configuration of a Panacea SVD-LoRA adapter.

    Every target linear layer gets ``W = W0 + scaling · U diag(σ_1..σ_k, s·λ_1..s·λ_m) Vᵀ``
    with ``U [out, k+m]``, ``V [in, k+m]``, learned singular values ``σ [k]`` and a learned
    per-layer scale ``s``; λ is the preference vector on the m-simplex.

    Args:
        r: Number k of learned singular values (the preference-independent rank).
        n_dims: Number m of preference dimensions; the total rank is
            ``r + n_dims · pref_rank``.
        target_modules: Which linears to adapt. A list of names matches a module when its
            path equals a name or ends with ``"." + name`` (peft's rule); a string is a regex
            that must match the whole module path. ``None`` picks every attention and MLP
            linear of the architecture (see :func:`mdpo.adapters.default_target_modules`).
            The output embedding (``lm_head``) and any weight tied to the embeddings are
            never adapted.
        lora_alpha: Scale numerator; ``scaling = lora_alpha / total_rank``. ``None`` means
            ``total_rank``, i.e. a scaling of 1.
        lora_dropout: Dropout probability on the adapter's input, in [0, 1).
        init_scale: Standard deviation of the random normal init of U and V under
            ``init="svd"`` (AdaLoRA uses 0.02); unused under ``init="lora"``.
        init: How the factors start; both start as exactly the identity.

            * ``"lora"`` (peft LoRA's, the default): V Kaiming-uniform, U = 0, σ = 1, s = 1.
              U diag(…) then trains like LoRA's B from the first step, and each λ column
              like a LoRA column scaled by λ_i: the update moves at LoRA's speed, so LoRA's
              learning rates apply.
            * ``"svd"`` (AdaLoRA's): U, V ~ N(0, init_scale²), σ = s = 0. All three factors
              of every rank-one term start small, so the update starts about 60 times
              slower than LoRA's at the same learning rate and scale (a built-in warm-up),
              and the λ columns get no gradient until s has moved. It needs a much larger
              learning rate or ``lora_alpha`` (see the adapters guide).

        pref_rank: Singular vectors per preference dimension (default 4). With p > 1,
            dimension i owns p columns of U and V, all scaled by ``s·λ_i``: the diagonal is
            ``(σ_1..σ_k, s·λ_1 ×p, ..., s·λ_m ×p)``, so each preference moves the weights in
            a rank-p subspace of its own instead of a rank-1 one (p = 1 is the original
            paper's form).

    The defaults (``r=2, pref_rank=4, init="lora"``: a total rank of 10 at m = 2, that of
    a rank-8 + 2 LoRA) were chosen on held-out validation prompts of the SmolLM2 tasks
    (``tune-smollm2d``, ``docs/results/tuning``) and hold on the exact bandit.

    Raises:
        TypeError: If a field has the wrong type.
        ValueError: If a field is out of range or the regex does not compile.

    Example:
        >>> from mdpo.adapters import PanaceaConfig
        >>> cfg = PanaceaConfig(n_dims=3)
        >>> cfg.total_rank, cfg.scaling, PanaceaConfig.from_json(cfg.to_json()) == cfg
        (14, 1.0, True)
        >>> PanaceaConfig(r=0)
        Traceback (most recent call last):
        ...
        ValueError: r must be an int >= 1, got 0
    """

    r: int = 2
    n_dims: int = 2
    target_modules: list[str] | str | None = None
    lora_alpha: float | None = None
    lora_dropout: float = 0.0
    init_scale: float = 0.02
    init: str = "lora"
    pref_rank: int = 4

    def __post_init__(self) -> None:
        check_int("r", self.r, minimum=1)
        check_int("n_dims", self.n_dims, minimum=1)
        check_int("pref_rank", self.pref_rank, minimum=1)
        tm = self.target_modules
        if isinstance(tm, str):
            try:
                re.compile(tm)
            except re.error as err:
                raise ValueError(f"target_modules regex {tm!r} does not compile: {err}") from err
        elif tm is not None:
            if isinstance(tm, bytes) or not isinstance(tm, list | tuple | set | frozenset):
                raise TypeError(
                    "target_modules must be None, a regex string or a list of module names, "
                    f"got {type(tm).__name__} {tm!r}"
                )
            names = list(tm)
            if not names or not all(isinstance(n, str) and n for n in names):
                raise ValueError(
                    f"target_modules must be a non-empty list of non-empty strings, got {tm!r}"
                )
            self.target_modules = sorted(set(names)) if not isinstance(tm, list) else names
        if self.lora_alpha is not None:
            self.lora_alpha = check_real("lora_alpha", self.lora_alpha, low=0.0, low_open=True)
        self.lora_dropout = check_real(
            "lora_dropout", self.lora_dropout, low=0.0, high=1.0, high_open=True
        )
        self.init_scale = check_real("init_scale", self.init_scale, low=0.0, low_open=True)
        if not isinstance(self.init, str) or self.init not in _INIT_SCHEMES:
            raise ValueError(f"init must be one of {list(_INIT_SCHEMES)}, got {self.init!r}")

    @property
    def total_rank(self) -> int:
        """The adapter's total rank ``r + n_dims · pref_rank``."""
        return self.r + self.n_dims * self.pref_rank

    @property
    def scaling(self) -> float:
        """The factor ``lora_alpha / total_rank`` in front of the low-rank update."""
        alpha = float(self.total_rank) if self.lora_alpha is None else self.lora_alpha
        return alpha / self.total_rank

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-compatible dict.

        Returns:
            A dict with one entry per dataclass field.
        """
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PanaceaConfig:
        """Build a config from :meth:`to_dict`'s output (or a saved ``adapter_config.json``).

        Keys that are not config fields (``peft_type``, ``format_version``, ...) are ignored.
        A saved config (one with ``r``) that predates a field gets the value that field had
        before it existed (``pref_rank`` 1, ``init`` ``"svd"``), not today's default, so old
        adapters load as they were trained.

        Args:
            data: A mapping of field names to values.

        Returns:
            The validated config.

        Raises:
            TypeError: If ``data`` is not a mapping.
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"data must be a mapping, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        fields = {k: v for k, v in data.items() if k in names}
        if "r" in fields:  # a saved config: fields it predates take their value of then
            for name, legacy in _LEGACY_DEFAULTS.items():
                fields.setdefault(name, legacy)
        return cls(**fields)

    def to_json(self) -> str:
        """The config as a JSON string (see :meth:`to_dict`)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PanaceaConfig:
        """Parse a config from :meth:`to_json`'s output.

        Args:
            text: A JSON object.

        Returns:
            The validated config.
        """
        return cls.from_dict(json.loads(text))
