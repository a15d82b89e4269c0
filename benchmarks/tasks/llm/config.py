"""The parameters of a language-model task (the ``params`` of a ``smollm`` or ``hf`` task)."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any

from mdpo.benchmarks.config.checks import check_float_setting, check_int_setting

__all__ = ["DEFAULT_DIMS", "DEFAULT_JUDGES", "LLMTaskConfig"]

DEFAULT_JUDGES: dict[str, dict[str, Any]] = {
    "relevance": {"scorer": "lexical_relevance"},
    "length": {"scorer": "length", "kwargs": {"unit": "chars"}},
    "sentiment": {"scorer": "afinn"},
}
"""The independent judge of a dimension, by its training scorer's key: a different
instrument, used only for evaluation. MiniLM relevance is judged by TF-IDF lexical overlap,
a length by another unit (characters for tokens or words, words for characters; same sign),
VADER by the AFINN lexicon."""

DEFAULT_DIMS: dict[str, dict[str, Any]] = {
    "relevance": {"scorer": "relevance"},
    "concise": {"scorer": "length", "kwargs": {"unit": "words", "sign": -1}},
}
"""The 2-D trade-off: MiniLM prompt–answer cosine against answer length in words (shorter is
better). Measured on SmolLM2's own samples (40 prompts × 4, 48 tokens) they conflict most
clearly of all scorer pairs: Spearman −0.40 within prompt."""


@dataclasses.dataclass
class LLMTaskConfig:
    """Parameters of an :class:`LLMTask` (the ``params`` of a ``smollm`` or ``hf`` task).

    Args:
        model: ``"smollm2"`` (the bundled SmolLM2-135M-Instruct), a local model folder or a
            hub name, loaded with :func:`mdpo.models.load_causal_lm`.
        model_description: How results name the model (default: SmolLM2's
            ``"SmolLM2-135M-Instruct (Q4_1, dequantised)"`` for ``"smollm2"``, else ``model``).
        dims: ``{name: spec}`` in dimension order. A spec is ``{"scorer": registry key,
            "kwargs": {...}}`` (see :func:`mdpo.scorers.get_scorer`) or, for the ``hf`` kind,
            ``{"reward_model": name or path}``. Default :data:`DEFAULT_DIMS`.
        train_prompts: Train prompts used to build the preference data (``smollm``; spread
            evenly over the bundled train split).
        eval_prompts: Eval prompts answered at every evaluated λ (bundled eval split).
        val_prompts: Validation prompts answered instead when ``eval_split`` is
            ``"validation"`` (bundled validation split, disjoint from train and eval).
        eval_split: Which prompts a front is evaluated on: ``"eval"`` (reported results) or
            ``"validation"`` (choosing settings: tuning suites never see the eval prompts).
        n_samples: Sampled answers per train prompt.
        data_max_new_tokens: Length limit of the sampled training answers.
        data_temperature: Sampling temperature of the training answers.
        data_top_p: Nucleus mass of the training answers.
        data_systems: System prompts the training answers are drawn under, cycled over each
            prompt's ``n_samples`` (``null`` = the template's default); the pairs and the
            reference log-probs use the default. None: every answer under the default. See
            ``sample_systems`` of
            :func:`~mdpo.benchmarks.tasks.llm_data.build_preference_data`.
        data_seed: Seed of the training answers.
        tie_tolerance: Score difference at or below which a pair is a tie (masked); one
            number or ``{dim: number}``.
        greedy: Evaluation decoding: greedy when True, else sampling.
        temperature: Evaluation sampling temperature (ignored when greedy).
        top_p: Evaluation nucleus mass (ignored when greedy).
        max_new_tokens: Evaluation answer length limit.
        decode_seed: Seed of evaluation sampling (per chunk, derived).
        gen_batch_size: Sequences per ``generate`` call.
        batch_preferences: Evaluate all preferences of a policy that takes one λ per batch
            row (Panacea, MOD, prompt conditioning) together: (λ, prompt) rows fill the
            ``generate`` batches, so a front costs ``ceil(n·P / gen_batch_size)`` calls
            instead of ``n·ceil(P / gen_batch_size)``. Off: one λ at a time.
        beta: DPO's β.
        max_length: Maximum prompt + answer tokens in training.
        target_modules: Adapted linears (None: :func:`mdpo.adapters.default_target_modules`).
        device: ``"cpu"``, ``"cuda"`` or None (CUDA when available).
        repeat_threshold: Distinct-bigram ratio below which an answer counts as repetitive.
        repeat_min_words: Answers shorter than this are never counted as repetitive.
        bootstrap_samples: Bootstrap replicates over prompts.
        example_prompts: Eval prompts whose answers are stored for the report.
        hf: For the ``hf`` kind: keyword arguments of
            :class:`~mdpo.benchmarks.tasks.hf_source.HFPreferenceSource` (``dataset``,
            ``split``, ``columns``, ``dims``, ``max_rows``).
        cache_dir: Where the preference data are cached (default: ``<run dir>/cache``).
        judges: The independent judge of each dimension, ``{dim: spec}`` with specs as in
            ``dims`` (a registered scorer), used only to evaluate fronts, never to train. None
            (default): :data:`DEFAULT_JUDGES` by each dimension's training scorer (a
            dimension whose scorer has no default judge goes unjudged); ``{}``: no judges.
    """

    model: str = "smollm2"
    model_description: str | None = None
    dims: dict[str, dict[str, Any]] = dataclasses.field(
        default_factory=lambda: copy.deepcopy(DEFAULT_DIMS)
    )
    train_prompts: int = 24
    eval_prompts: int = 12
    val_prompts: int = 12
    eval_split: str = "eval"
    n_samples: int = 4
    data_max_new_tokens: int = 32
    data_temperature: float = 1.0
    data_top_p: float = 1.0
    data_systems: list[str | None] | None = None
    data_seed: int = 0
    tie_tolerance: float | dict[str, float] = 0.0
    greedy: bool = True
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 32
    decode_seed: int = 0
    gen_batch_size: int = 16
    batch_preferences: bool = True
    beta: float = 0.1
    max_length: int = 256
    target_modules: list[str] | None = None
    device: str | None = None
    repeat_threshold: float = 0.5
    repeat_min_words: int = 6
    bootstrap_samples: int = 1000
    example_prompts: int = 3
    hf: dict[str, Any] | None = None
    cache_dir: str | None = None
    judges: dict[str, dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise ValueError(f"model must be a non-empty name or path, got {self.model!r}")
        if not isinstance(self.dims, Mapping) or len(self.dims) < 2:
            raise ValueError(
                f"dims must map at least 2 dimension names to specs, got {self.dims!r}"
            )
        for name, spec in self.dims.items():
            allowed = {"scorer", "kwargs", "reward_model"}
            if not isinstance(spec, Mapping) or not set(spec) <= allowed:
                raise ValueError(
                    f"dims[{name!r}] must be a mapping with keys among {sorted(allowed)}, "
                    f"got {spec!r}"
                )
            if ("scorer" in spec) == ("reward_model" in spec):
                raise ValueError(
                    f"dims[{name!r}] needs exactly one of 'scorer' or 'reward_model', got {spec!r}"
                )
        self.dims = {str(k): dict(v) for k, v in self.dims.items()}
        if self.judges is None:
            self.judges = _default_judges(self.dims)
        if not isinstance(self.judges, Mapping):
            raise ValueError(
                f"judges must map dimension names to scorer specs, got {self.judges!r}"
            )
        for name, spec in self.judges.items():
            if name not in self.dims:
                raise ValueError(
                    f"judges names {name!r}, which is not a dimension; allowed: {list(self.dims)}"
                )
            if (
                not isinstance(spec, Mapping)
                or "scorer" not in spec
                or set(spec)
                - {
                    "scorer",
                    "kwargs",
                }
            ):
                raise ValueError(
                    f"judges[{name!r}] must be a mapping with a 'scorer' and optional "
                    f"'kwargs', got {spec!r}"
                )
        self.judges = {str(k): copy.deepcopy(dict(v)) for k, v in self.judges.items()}
        if self.eval_split not in ("eval", "validation"):
            raise ValueError(f"eval_split must be 'eval' or 'validation', got {self.eval_split!r}")
        for name in (
            "train_prompts",
            "eval_prompts",
            "val_prompts",
            "n_samples",
            "data_max_new_tokens",
        ):
            check_int_setting(name, getattr(self, name), 2 if name == "n_samples" else 1)
        for name in ("max_new_tokens", "gen_batch_size", "max_length", "repeat_min_words"):
            check_int_setting(name, getattr(self, name), 1)
        for name in ("data_seed", "decode_seed", "example_prompts"):
            check_int_setting(name, getattr(self, name), 0)
        check_int_setting("bootstrap_samples", self.bootstrap_samples, 10)
        if self.data_systems is not None:
            from mdpo.benchmarks.tasks.llm_data import check_systems

            self.data_systems = check_systems(self.data_systems, "data_systems")
        check_float_setting("data_temperature", self.data_temperature, 1e-6)
        check_float_setting("temperature", self.temperature, 1e-6)
        check_float_setting("data_top_p", self.data_top_p, 1e-6, 1.0)
        check_float_setting("top_p", self.top_p, 1e-6, 1.0)
        check_float_setting("beta", self.beta, 1e-9)
        check_float_setting("repeat_threshold", self.repeat_threshold, 0.0, 1.0)
        for name in ("greedy", "batch_preferences"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")
        tol = self.tie_tolerance
        values = tol.values() if isinstance(tol, Mapping) else [tol]
        for v in values:
            check_float_setting("tie_tolerance", v, 0.0)
        if self.device not in (None, "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise ValueError(f"device must be 'cpu', 'cuda[:k]' or null, got {self.device!r}")
        if self.hf is not None and not isinstance(self.hf, Mapping):
            raise ValueError(
                f"hf must be a mapping of HFPreferenceSource arguments, got {self.hf!r}"
            )

    def decoding(self) -> dict[str, Any]:
        """The evaluation decoding protocol, as recorded in ``results.json``."""
        out: dict[str, Any] = {
            "mode": "greedy" if self.greedy else "sampling",
            "max_new_tokens": self.max_new_tokens,
            "seed": self.decode_seed,
            "chat_template": "the model's chat template with its default system prompt",
            "padding": "left",
            "batch_size": self.gen_batch_size,
            "preferences_batched": self.batch_preferences,
        }
        if not self.greedy:
            out.update(temperature=self.temperature, top_p=self.top_p, top_k=0)
        return out


def _default_judges(dims: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """:data:`DEFAULT_JUDGES` for each dimension whose training scorer has one.

    A length judge counts another unit than the training scorer and keeps its ``sign``.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, spec in dims.items():
        judge = DEFAULT_JUDGES.get(spec.get("scorer", ""))
        if judge is None:
            continue
        judge = copy.deepcopy(judge)
        if spec["scorer"] == "length":
            kwargs = spec.get("kwargs", {})
            if kwargs.get("unit") == "chars":
                judge["kwargs"]["unit"] = "words"
            if "sign" in kwargs:
                judge["kwargs"]["sign"] = kwargs["sign"]
        out[name] = judge
    return out
