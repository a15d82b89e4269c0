"""The language-model task: align a real instruct LLM on scored dimensions, evaluate by decoding.

One class, :class:`LLMTask`, serves both task kinds of a suite:

- ``smollm``: SmolLM2-135M-Instruct (or any causal LM given by name, path or object) samples
  its own answers to the bundled train prompts; independent scorers from :mod:`mdpo.scorers`
  label the pairs (:func:`mdpo.benchmarks.tasks.llm_data.build_preference_data`, cached on
  disk together with the reference log-probs, so training never runs the reference again);
- ``hf``: the pairs come from a Hugging Face dataset in the PKU-SafeRLHF schema
  (:class:`mdpo.benchmarks.tasks.hf_source.HFPreferenceSource`) and the evaluation scorers
  may be reward models by name or path.

Evaluation (:meth:`LLMTask.evaluate_point`, or :meth:`LLMTask.evaluate_points` for a whole
front: policies that take one λ per batch row answer every (λ, prompt) pair in shared
batches) generates answers to the eval prompts at the policy's current λ (batched,
left-padded, chat template, the recorded decoding protocol),
scores them (mean per dimension: the front point), and records per point

- the per-prompt scores (``[P, m]``), from which the runner draws **bootstrap intervals over
  prompts** (one seed fits on a CPU, so intervals over seeds are not available);
- ``kl``: the mean sequence log-ratio ``log π(y|x) − log π_ref(y|x)`` of the evaluated answers
  under the policy and the frozen base model (a Monte-Carlo KL estimate under sampling; under
  greedy decoding a divergence proxy, labelled so);
- the **degeneracy check**: the share of empty answers and of highly repetitive ones. An
  answer is *repetitive* when it has at least ``repeat_min_words`` words and fewer than
  ``repeat_threshold`` of its word bigrams are distinct (a loop such as "yes yes yes ..." has
  a ratio near 0, ordinary prose near 1). A "concise" front made of empty strings is caught
  by the empty share.

There is no true front: fronts are normalised over the union of all compared points
(docs: Conventions and comparison protocol).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import types
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from mdpo.benchmarks.config.checks import check_float_setting, check_int_setting
from mdpo.benchmarks.tasks.base import LanguageModelTask, PointEval
from mdpo.benchmarks.tasks.degeneracy import degeneracy, distinct_bigram_ratio
from mdpo.benchmarks.tasks.registry import TaskSpec

__all__ = [
    "DEFAULT_DIMS",
    "HF_SPEC",
    "SMOLLM_SPEC",
    "LLMTask",
    "LLMTaskConfig",
    "PointEval",
    "bootstrap_interval",
    "degeneracy",
    "distinct_bigram_ratio",
    "format_llm_section",
    "judged_front_metrics",
]

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
            from mdpo.benchmarks.tasks.llm_data import _check_systems

            self.data_systems = _check_systems(self.data_systems, "data_systems")
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


def bootstrap_interval(
    per_prompt: torch.Tensor, *, samples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> dict[str, list[float]]:
    """Percentile bootstrap interval over prompts of the per-dimension mean.

    Args:
        per_prompt: Scores ``[P, m]``.
        samples: Bootstrap replicates (prompts drawn with replacement).
        confidence: Interval level.
        seed: Seed of the resampling.

    Returns:
        ``{"mean": [m], "low": [m], "high": [m]}``.

    Example:
        >>> import torch
        >>> from mdpo.benchmarks.tasks.smollm import bootstrap_interval
        >>> out = bootstrap_interval(torch.tensor([[0.0], [1.0], [2.0]]), samples=200)
        >>> out["low"][0] <= out["mean"][0] == 1.0 <= out["high"][0]
        True
    """
    scores = per_prompt.double()
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, scores.shape[0], (samples, scores.shape[0]), generator=gen)
    means = scores[idx].mean(dim=1)  # [samples, m]
    alpha = (1.0 - confidence) / 2
    return {
        "mean": scores.mean(dim=0).tolist(),
        "low": torch.quantile(means, alpha, dim=0).tolist(),
        "high": torch.quantile(means, 1 - alpha, dim=0).tolist(),
    }


class _LogitsView:
    """Calls a policy and returns an object with ``.logits`` (MOD returns a bare tensor)."""

    def __init__(self, policy: Any) -> None:
        self.policy = policy

    def __call__(self, **kwargs: Any) -> Any:
        out = self.policy(**kwargs)
        return types.SimpleNamespace(logits=getattr(out, "logits", out))


class LLMTask(LanguageModelTask):
    """A real-LLM task: DPO pairs scored along m dimensions, evaluated by decoding.

    Args:
        config: The :class:`LLMTaskConfig`.
        kind: ``"smollm"`` (self-generated pairs) or ``"hf"`` (a Hugging Face dataset).
        model: Optional ``(model, tokenizer)`` to use instead of loading ``config.model``
            (tests inject tiny models this way).

    Raises:
        ValueError: If ``kind`` is unknown or ``hf`` lacks its dataset settings.

    Example:
        >>> from mdpo.benchmarks.tasks.smollm import LLMTask, LLMTaskConfig
        >>> task = LLMTask(LLMTaskConfig())
        >>> task.dim_names, task.n_dims, task.true_front(10) is None
        (['relevance', 'concise'], 2, True)
    """

    def __init__(self, config: LLMTaskConfig, kind: str = "smollm", model: Any = None) -> None:
        if kind not in ("smollm", "hf"):
            raise ValueError(f"kind must be 'smollm' or 'hf', got {kind!r}")
        if kind == "hf" and not (config.hf and "dataset" in config.hf):
            raise ValueError("an 'hf' task needs params.hf with at least a 'dataset' entry")
        self.config = config
        self.kind = kind
        self.dim_names = list(config.dims)
        self._injected = model
        self._base: Any = None
        self._tokenizer: Any = None
        self._scorers: dict[str, Any] | None = None
        self._judges: dict[str, Any] | None = None
        self._data: Any = None
        self.data_summary: dict[str, Any] | None = None

    @property
    def method_kinds(self) -> tuple[str, ...]:
        """Method kinds trained on this task: the registered kinds with a language-model trainer."""
        from mdpo.benchmarks.methods import available_methods

        return tuple(available_methods(language_model=True))

    @property
    def model_description(self) -> str:
        """How results name the model."""
        from mdpo.models.smollm import SMOLLM2_DESCRIPTION, is_smollm2_name

        if self.config.model_description:
            return self.config.model_description
        return SMOLLM2_DESCRIPTION if is_smollm2_name(self.config.model) else self.config.model

    # ------------------------------------------------------------------ model and data
    @property
    def device(self) -> torch.device:
        """Where models run."""
        if self.config.device is not None:
            return torch.device(self.config.device)
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")

    def _load(self) -> None:
        if self._base is not None:
            return
        if self._injected is not None:
            model, tokenizer = self._injected
        else:
            from mdpo.models import load_causal_lm

            model, tokenizer = load_causal_lm(self.config.model)
        self._base = model.to(self.device).eval()
        for p in self._base.parameters():
            p.requires_grad_(False)
        self._tokenizer = tokenizer

    @property
    def tokenizer(self) -> Any:
        """The model's tokenizer (right padding; generation uses a left-padding copy)."""
        self._load()
        return self._tokenizer

    @property
    def reference(self) -> Any:
        """The frozen base model (the reference policy). Never modify it."""
        self._load()
        return self._base

    def make_model(self) -> Any:
        """A fresh, independent copy of the base model (to wrap with an adapter)."""
        return copy.deepcopy(self.reference)

    @property
    def target_modules(self) -> list[str]:
        """The adapted linears."""
        from mdpo.adapters import default_target_modules

        return list(self.config.target_modules or default_target_modules(self.reference))

    def _build_scorers(self, specs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        from mdpo.scorers import get_scorer

        out: dict[str, Any] = {}
        for name, spec in specs.items():
            if "reward_model" in spec:
                from mdpo.benchmarks.tasks.hf_source import reward_scorers

                out[name] = reward_scorers({name: spec["reward_model"]})[name]
            else:
                kwargs = dict(spec.get("kwargs", {}))
                if spec["scorer"] == "length" and kwargs.get("unit") == "tokens":
                    kwargs.setdefault("tokenizer", self.tokenizer)  # the policy's own
                out[name] = get_scorer(spec["scorer"], **kwargs)
        return out

    def scorers(self) -> dict[str, Any]:
        """``{dim: scorer}``: the training scorers, built once."""
        if self._scorers is None:
            self._scorers = self._build_scorers(self.config.dims)
        return self._scorers

    def judges(self) -> dict[str, Any]:
        """``{dim: scorer}``: the independent judges (evaluation only), in dimension order."""
        if self._judges is None:
            specs = self.config.judges or {}
            self._judges = self._build_scorers({d: specs[d] for d in self.dim_names if d in specs})
        return self._judges

    def prompts(self, split: str) -> list[str]:
        """The configured number of bundled prompts of a split, spread evenly over it.

        ``split`` is ``"train"`` (``train_prompts``), ``"validation"`` (``val_prompts``) or
        ``"eval"`` (``eval_prompts``).
        """
        from mdpo.benchmarks.tasks.prompts import load_prompts

        rows = load_prompts(split)
        c = self.config
        n = {"train": c.train_prompts, "validation": c.val_prompts}.get(split, c.eval_prompts)
        if n > len(rows):
            raise ValueError(f"{split}_prompts={n} exceeds the {len(rows)} bundled {split} prompts")
        step = len(rows) / n
        return [rows[int(i * step)]["prompt"] for i in range(n)]

    def eval_prompts(self) -> list[str]:
        """The prompts fronts are evaluated on: the ``eval_split`` of the bundled prompts."""
        return self.prompts(self.config.eval_split)

    def preference_data(self, cache_dir: str | None = None) -> Any:
        """The paired multi-dimension DPO dataset (built once, cached on disk).

        Args:
            cache_dir: Cache folder (``config.cache_dir`` wins when set).

        Returns:
            A :class:`datasets.Dataset` with ``prompt``, ``response_0``, ``response_1``,
            one label column per dimension and, for ``smollm``, the reference log-prob
            columns.
        """
        if self._data is not None:
            return self._data
        cache = self.config.cache_dir or cache_dir
        if self.kind == "hf":
            from mdpo.benchmarks.tasks.hf_source import HFPreferenceSource

            self._data = HFPreferenceSource(**self.config.hf).load()
        else:
            from mdpo.benchmarks.tasks.llm_data import build_preference_data, summarize_dimensions

            c = self.config
            self._data = build_preference_data(
                self.reference,
                self.tokenizer,
                self.prompts("train"),
                self.scorers(),
                n_samples=c.n_samples,
                max_new_tokens=c.data_max_new_tokens,
                temperature=c.data_temperature,
                top_p=c.data_top_p,
                seed=c.data_seed,
                batch_size=c.gen_batch_size,
                tie_tolerance=c.tie_tolerance,
                cache_dir=cache,
                with_reference_logps=True,
                chat_template=True,
                max_length=c.max_length,
                sample_systems=c.data_systems,
            )
            self.data_summary = summarize_dimensions(self._data, self.dim_names)
        return self._data

    # ------------------------------------------------------------------ evaluation
    def _encode(self, prompts: Sequence[str]) -> Any:
        from mdpo.models import encode_chats, with_padding_side

        tok = with_padding_side(self.tokenizer, "left")
        ids = encode_chats(tok, list(prompts))
        return tok.pad({"input_ids": ids}, padding=True, return_tensors="pt").to(self.device)

    @torch.no_grad()
    def _generate(self, policy: Any, batch: Any, chunk: int) -> torch.Tensor:
        from mdpo.policies import MODPolicy
        from mdpo.seeding import derive_seed, keyed_generator

        c = self.config
        eos = self.tokenizer.eos_token_id
        if isinstance(policy, MODPolicy):
            gen = None if c.greedy else keyed_generator(c.decode_seed, "eval", chunk)
            if gen is not None and self.device.type != "cpu":
                gen = torch.Generator(self.device).manual_seed(
                    derive_seed(c.decode_seed, "eval", chunk) % (2**63)
                )
            return policy.generate(
                batch["input_ids"],
                batch["attention_mask"],
                max_new_tokens=c.max_new_tokens,
                do_sample=not c.greedy,
                temperature=c.temperature,
                eos_token_id=eos,
                generator=gen,
            )
        kwargs: dict[str, Any] = {"do_sample": False}
        if not c.greedy:
            kwargs = {"do_sample": True, "temperature": c.temperature, "top_p": c.top_p, "top_k": 0}
        devices = [] if self.device.type == "cpu" else [self.device]
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(derive_seed(c.decode_seed, "eval", chunk) % (2**31))
            return policy.generate(
                **batch,
                max_new_tokens=c.max_new_tokens,
                pad_token_id=self.tokenizer.pad_token_id,
                eos_token_id=eos,
                **kwargs,
            )

    def _completion(self, generated: torch.Tensor, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Attention and completion masks ``[B, T']`` of generated rows (cut after EOS)."""
        t = batch["input_ids"].shape[1]
        new = generated[:, t:]
        is_eos = new == self.tokenizer.eos_token_id
        # Keep tokens up to and including the first EOS.
        before = (is_eos.long().cumsum(dim=1) - is_eos.long()) == 0
        attention = torch.cat([batch["attention_mask"], before.long()], dim=1)
        completion = torch.cat([torch.zeros_like(batch["attention_mask"]).bool(), before], dim=1)
        return attention, completion

    @torch.no_grad()
    def _decode(
        self, policy: Any, prompts: Sequence[str], rows: torch.Tensor | None
    ) -> tuple[list[str], torch.Tensor, list[bool]]:
        """Answer ``prompts`` in ``gen_batch_size`` chunks.

        Returns the answers, their log-ratios ``[N]`` and whether the model ended each answer
        itself (EOS before the token limit).

        ``rows`` (``[N, m]``, one λ per prompt) is set on the policy chunk by chunk; None
        keeps the policy's current λ.
        """
        from mdpo.data import sequence_logps
        from mdpo.policies import PromptConditionedPolicy

        size = self.config.gen_batch_size
        answers: list[str] = []
        ratios: list[torch.Tensor] = []
        finished: list[bool] = []
        # A prompt-conditioned policy reads λ from the text: its model answers the annotated
        # prompts, and its KL is measured against the reference on the same annotated text.
        conditioned = isinstance(policy, PromptConditionedPolicy)
        runner = policy.model if conditioned else policy
        for chunk, start in enumerate(range(0, len(prompts), size)):
            if rows is not None:
                policy.set_preference(rows[start : start + size])
            texts = list(prompts[start : start + size])
            batch = self._encode(policy.condition(texts) if conditioned else texts)
            generated = self._generate(runner, batch, chunk)
            attention, completion = self._completion(generated, batch)
            t = batch["input_ids"].shape[1]
            texts = self.tokenizer.batch_decode(generated[:, t:], skip_special_tokens=True)
            answers.extend(text.strip() for text in texts)
            finished.extend((generated[:, t:] == self.tokenizer.eos_token_id).any(dim=1).tolist())
            own, _ = sequence_logps(_LogitsView(runner), generated, attention, completion)
            ref, _ = sequence_logps(self.reference, generated, attention, completion)
            ratios.append((own - ref).double().cpu())
        return answers, torch.cat(ratios), finished

    def _point(
        self,
        prompts: Sequence[str],
        answers: list[str],
        ratios: torch.Tensor,
        finished: list[bool],
    ) -> PointEval:
        """Score one λ's answers: the :class:`PointEval`."""
        scores = [scorer(list(prompts), answers).double() for scorer in self.scorers().values()]
        per_prompt = torch.stack(scores, dim=1)
        judged = [judge(list(prompts), answers).double() for judge in self.judges().values()]
        return PointEval(
            values=per_prompt.mean(dim=0),
            per_prompt=per_prompt,
            kl=float(ratios.mean()),
            degeneracy=degeneracy(
                answers,
                threshold=self.config.repeat_threshold,
                min_words=self.config.repeat_min_words,
                finished=finished,
            ),
            answers=answers,
            judged=torch.stack(judged, dim=1) if judged else None,
        )

    @torch.no_grad()
    def evaluate_point(self, policy: Any) -> PointEval:
        """Answer every eval prompt at the policy's current λ; score, KL and degeneracy.

        Args:
            policy: A :class:`mdpo.policies.PreferenceConditionedPolicy` with λ set.

        Returns:
            A :class:`PointEval` (values ``[m]``, per-prompt scores ``[P, m]``).
        """
        prompts = self.eval_prompts()
        return self._point(prompts, *self._decode(policy, prompts, None))

    @torch.no_grad()
    def evaluate_points(self, policy: Any, preferences: torch.Tensor) -> list[PointEval]:
        """:meth:`evaluate_point` at each of ``n`` preferences.

        With ``batch_preferences`` and a policy that takes one λ per batch row
        (``policy.batched``), the ``n·P`` (λ, prompt) rows are decoded together in
        ``gen_batch_size`` chunks; otherwise λ is set and evaluated one at a time. The
        policy is left at the last λ (or the last chunk's rows).

        Args:
            policy: A :class:`mdpo.policies.PreferenceConditionedPolicy`.
            preferences: ``[n, m]`` preferences the policy supports.

        Returns:
            One :class:`PointEval` per preference, in order.

        Raises:
            ValueError: If ``preferences`` is not ``[n, m]`` with ``m = n_dims``.
        """
        prefs = torch.as_tensor(preferences, dtype=torch.float64)
        if prefs.dim() != 2 or prefs.shape[1] != self.n_dims:
            raise ValueError(
                f"preferences must have shape [n, {self.n_dims}], got {tuple(prefs.shape)}"
            )
        if not (self.config.batch_preferences and getattr(policy, "batched", False)):
            out = []
            for lam in prefs:
                policy.set_preference(lam)
                out.append(self.evaluate_point(policy))
            return out
        prompts = self.eval_prompts()
        p = len(prompts)
        answers, ratios, finished = self._decode(
            policy, prompts * prefs.shape[0], prefs.repeat_interleave(p, dim=0)
        )
        return [
            self._point(
                prompts,
                answers[j * p : (j + 1) * p],
                ratios[j * p : (j + 1) * p],
                finished[j * p : (j + 1) * p],
            )
            for j in range(prefs.shape[0])
        ]

    # ------------------------------------------------------------------ results
    def summarize_parts(
        self, parts: Mapping[str, Mapping[int, Mapping[str, Any]]], nf: Any, confidence: float
    ) -> dict[str, Any]:
        """The LLM section of a task's results: protocol, data statistics, HV over prompts.

        Args:
            parts: ``{method: {seed: part}}`` as the runner stored them (each part has an
                ``"llm"`` entry written by :func:`mdpo.benchmarks.methods.llm.run_llm_method`).
            nf: The task's :class:`mdpo.metrics.NormalizedFronts` (union normalisation).
            confidence: Interval level.

        Returns:
            JSON-ready dict: ``model``, ``decoding``, ``kl_estimator``, ``degeneracy_rule``,
            ``data`` (counts and dimension statistics of the training pairs),
            ``hv_bootstrap`` (per method and seed: the hypervolume on all eval prompts and
            its percentile interval over prompts, all methods resampled with the same
            prompt draws and normalised as the headline) and
            ``examples`` (eval prompts and answers per method and λ).
        """
        from mdpo.metrics import hypervolume

        c = self.config
        data = next(
            (p["llm"].get("data") for by in parts.values() for p in by.values() if "llm" in p),
            None,
        )
        n_prompts = len(self.eval_prompts())
        gen = torch.Generator().manual_seed(c.decode_seed)
        draws = torch.randint(0, n_prompts, (c.bootstrap_samples, n_prompts), generator=gen)
        alpha = (1.0 - confidence) / 2
        hv_boot: dict[str, Any] = {}
        for name, by_seed in parts.items():
            for seed, part in by_seed.items():
                if "llm" not in part:
                    continue
                scores = torch.tensor(part["llm"]["per_prompt"], dtype=torch.float64)  # [n, P, m]
                hvs = []
                for idx in draws:
                    points = scores[:, idx].mean(dim=1).numpy()
                    hvs.append(hypervolume(nf.normalize(points), nf.ref_point))
                hv = torch.tensor(hvs, dtype=torch.float64)
                full = scores.mean(dim=1).numpy()
                hv_boot.setdefault(name, {})[str(seed)] = {
                    "estimate": float(hypervolume(nf.normalize(full), nf.ref_point)),
                    "low": float(torch.quantile(hv, alpha)),
                    "high": float(torch.quantile(hv, 1 - alpha)),
                }
        examples = {
            name: next(iter(by_seed.values()))["llm"]["examples"]
            for name, by_seed in parts.items()
            if by_seed and "llm" in next(iter(by_seed.values()))
        }
        return {
            "model": self.model_description,
            "decoding": c.decoding(),
            "kl_estimator": "mean over eval prompts of log pi(y|x) - log pi_ref(y|x) for the "
            "evaluated answers y (nats per answer); pi_ref is the frozen base model. A "
            "Monte-Carlo KL estimate under sampling; under greedy decoding a divergence proxy",
            "degeneracy_rule": f"empty: no text after stripping; repetitive: >= "
            f"{c.repeat_min_words} words and distinct word-bigram ratio < {c.repeat_threshold}; "
            "repeated phrase: word 4-grams seen twice or 3-grams seen three times cover >= 40% "
            "of the words; unfinished list: one "
            "list item only, or a dangling marker or colon at the end, in an answer the model "
            "ended itself; cut mid-sentence: the model ended the answer (EOS before the token "
            "limit) without terminal punctuation. Degenerate: any of these",
            "judges": self._judge_summary(parts),
            "eval_split": c.eval_split,
            "intervals": f"bootstrap over the {n_prompts} {c.eval_split} prompts "
            f"({c.bootstrap_samples} "
            f"replicates, {confidence:.0%} percentile intervals), not over seeds",
            "data": data,
            "hv_bootstrap": hv_boot,
            "examples": examples,
        }

    def _judge_summary(
        self, parts: Mapping[str, Mapping[int, Mapping[str, Any]]]
    ) -> dict[str, Any]:
        """Each front rescored by the independent judges: HV and controllability.

        The judged points are normalised over the union of all methods' judged points, as
        the headline is over the training scorers' points; DPS is judged on its own grid,
        like everywhere else.
        """
        judged = {
            (name, seed): part["llm"]
            for name, by_seed in parts.items()
            for seed, part in by_seed.items()
            if part.get("llm", {}).get("judge_per_prompt") is not None
        }
        dims = [d for d in self.dim_names if d in (self.config.judges or {})]
        out: dict[str, Any] = {"specs": self.config.judges, "dimensions": dims, "methods": {}}
        if not judged or not dims:
            return out
        points = {
            f"{name}/{seed}": torch.tensor(llm["judge_per_prompt"], dtype=torch.float64)
            .mean(dim=1)
            .numpy()
            for (name, seed), llm in judged.items()
        }
        prefs = {
            f"{name}/{seed}": [point["preference"] for point in llm["points"]]
            for (name, seed), llm in judged.items()
        }
        cols = [self.dim_names.index(d) for d in dims]
        metrics, nf = judged_front_metrics(points, prefs, cols)
        for name, seed in judged:
            out["methods"].setdefault(name, {})[str(seed)] = metrics[f"{name}/{seed}"]
        out["normalization"] = nf.to_dict()
        return out


SMOLLM_SPEC = TaskSpec(
    config=LLMTaskConfig,
    task=functools.partial(LLMTask, kind="smollm"),
    summary="a causal LM (SmolLM2 by default) aligned on its own scored samples",
    language_model=True,
)
"""The ``smollm`` task kind."""

HF_SPEC = TaskSpec(
    config=LLMTaskConfig,
    task=functools.partial(LLMTask, kind="hf"),
    summary="a causal LM aligned on a Hugging Face preference dataset",
    language_model=True,
)
"""The ``hf`` task kind."""


def judged_front_metrics(
    points: Mapping[str, Any], preferences: Mapping[str, Sequence[Sequence[float]]], cols: list[int]
) -> tuple[dict[str, dict[str, Any]], Any]:
    """Hypervolume and controllability of fronts rescored by independent judges.

    Args:
        points: ``{key: [n, j]}`` judged points per front (maximised), one column per judged
            dimension.
        preferences: ``{key: [n][m]}`` the λ of each point.
        cols: The λ column of each judged dimension.

    Returns:
        ``({key: {"hypervolume", "controllability", "points"}}, normalisation)``: the
        hypervolume is normalised over the union of every front's judged points (NaN with a
        single judged dimension), ρ per judged dimension (NaN with fewer than 3 points).
    """
    import numpy as np

    from mdpo.metrics import controllability, hypervolume, normalize_fronts

    nf = normalize_fronts(dict(points))
    out: dict[str, dict[str, Any]] = {}
    for key, pts in points.items():
        lam = np.asarray(preferences[key], dtype=float)
        # ρ per judged column against its λ column; the judged points sit in their columns
        # of an [n, m] array so that λ stays on the simplex when only some dimensions are
        # judged (the other columns are constant: their ρ, NaN, is dropped).
        full = np.zeros(lam.shape)
        full[:, cols] = pts
        rho = (
            controllability(full, lam)[cols].tolist()
            if len(lam) > 2
            else [float("nan")] * len(cols)
        )
        out[key] = {
            "hypervolume": float(hypervolume(nf.normalize(pts), nf.ref_point))
            if len(cols) > 1
            else float("nan"),
            "controllability": rho,
            "points": pts.tolist(),
        }
    return out, nf


def _pick(prefs: list[list[float]], k: int) -> list[int]:
    """Indices of ``k`` preferences spread along λ_0 (all when there are fewer)."""
    order = sorted(range(len(prefs)), key=lambda i: (prefs[i][0], prefs[i][1:]))
    if len(order) <= k:
        return order
    return [order[round(j * (len(order) - 1) / (k - 1))] for j in range(k)]


def format_llm_section(task: Mapping[str, Any], n_lambdas: int = 5) -> str:
    """Markdown for the LLM part of a task's report.

    Args:
        task: A task entry of ``results.json`` with an ``"llm"`` entry.
        n_lambdas: How many λ the example answers show.

    Returns:
        Markdown: the protocol, the training data statistics, a per-point table (KL and
        degeneracy, first seed), HV bootstrap intervals over prompts and the example answers.
    """
    llm = task["llm"]
    dec = llm["decoding"]
    lines = [
        f"Model: {llm['model']}. Decoding: " + ", ".join(f"{k}={v}" for k, v in dec.items()) + ".",
        f"KL per point: {llm['kl_estimator']}.",
        f"Degeneracy: {llm['degeneracy_rule']}.",
        f"Intervals: {llm['intervals']}.",
        "No true front is known: the headline is the hypervolume of each front after min-max "
        "normalisation over the union of all compared points (HV ratio and IGD+ are n/a).",
        "",
    ]
    names = task["dim_names"]
    lines += _data_lines(llm.get("data"))
    lines += [
        "Hypervolume with a bootstrap interval over eval prompts (first seed):",
        "",
        "| method | HV | interval |",
        "|---|---|---|",
    ]
    for name, by_seed in llm["hv_bootstrap"].items():
        first = next(iter(by_seed.values()))
        lines.append(
            f"| {name} | {first['estimate']:.4f} | [{first['low']:.4f}, {first['high']:.4f}] |"
        )
    lines += _judge_lines(llm.get("judges"))
    lines += [
        "",
        "Per evaluated λ (first seed): scores, KL to the reference, degenerate share "
        "(any rule) and its parts:",
        "",
        "| method | λ | "
        + " | ".join(names)
        + " | KL | degenerate | empty | repetitive | repeated phrase | unfinished list "
        "| cut mid-sentence |",
        "|---|---|" + "---|" * (len(names) + 7),
    ]
    for name, method in task["methods"].items():
        part = next(iter(method["seeds"].values()))
        for point in part.get("llm", {}).get("points", []):
            lam = ",".join(f"{v:.2f}" for v in point["preference"])
            boot = point["bootstrap"]
            vals = " | ".join(
                f"{m:.3f} [{lo:.3f}, {hi:.3f}]"
                for m, lo, hi in zip(boot["mean"], boot["low"], boot["high"])
            )
            deg = point["degeneracy"]
            shares = " | ".join(
                _num(deg.get(k), ".0%")
                for k in (
                    "degenerate",
                    "empty",
                    "repetitive",
                    "repeated_phrase",
                    "unfinished_list",
                    "cut_mid_sentence",
                )
            )
            lines.append(f"| {name} | {lam} | {vals} | {point['kl']:.3f} | {shares} |")
    lines += ["", "### Example answers", ""]
    for name, ex in llm["examples"].items():
        picks = _pick(ex["preferences"], n_lambdas)
        lines += [f"#### {name}", ""]
        for p, prompt in enumerate(ex["prompts"]):
            lines.append(f"**Prompt:** {prompt}")
            lines.append("")
            for i in picks:
                lam = ", ".join(f"{n}={v:.2f}" for n, v in zip(names, ex["preferences"][i]))
                answer = ex["answers"][i][p].replace("\n", " ") or "*(empty)*"
                lines.append(f"- λ ({lam}): {answer}")
            lines.append("")
    return "\n".join(lines)


def _judge_lines(judges: Mapping[str, Any] | None) -> list[str]:
    """The independent judges' table as Markdown (nothing without judges)."""
    if not judges or not judges.get("methods"):
        return []
    dims = judges["dimensions"]
    specs = ", ".join(
        f"{d}: {judges['specs'][d]['scorer']}"
        + "".join(f" {k}={v}" for k, v in judges["specs"][d].get("kwargs", {}).items())
        for d in dims
    )
    lines = [
        "",
        f"Independent judges (evaluation only, never trained on; {specs}). The fronts "
        "rescored by them, normalised over the union of all judged points (first seed):",
        "",
        "| method | HV (judges) | " + " | ".join(f"controllability ρ {d}" for d in dims) + " |",
        "|---|---|" + "---|" * len(dims),
    ]
    for name, by_seed in judges["methods"].items():
        first = next(iter(by_seed.values()))
        rho = " | ".join(_num(r, "+.2f") for r in first["controllability"])
        lines.append(f"| {name} | {_num(first['hypervolume'], '.4f')} | {rho} |")
    return lines


def _num(value: Any, spec: str = ".3f") -> str:
    return "n/a" if value is None or not math.isfinite(value) else format(value, spec)


def _data_lines(data: Mapping[str, Any] | None) -> list[str]:
    """The training-data statistics as Markdown (spread per dimension, conflicts)."""
    if not data:
        return []
    lines = [f"Training pairs: {data.get('n_pairs')} ({data.get('pairing') or 'given'})."]
    counts = data.get("counts")
    if counts:
        lines[-1] += (
            f" Prompts {counts.get('prompts')}, responses {counts.get('responses')} "
            f"({counts.get('empty_responses')} empty), dropped identical "
            f"{counts.get('dropped_identical')}, ties per dimension {counts.get('ties')}."
        )
    decoding = data.get("decoding")
    if decoding:
        systems = decoding.get("systems")
        drawn = (
            "under the default system prompt"
            if not systems
            else "cycling over the system prompts "
            + ", ".join("(default)" if s is None else repr(s) for s in systems)
        )
        lines += [
            "",
            f"Training answers: {decoding.get('n_samples')} per prompt, sampled at temperature "
            f"{decoding.get('temperature')}, top-p {decoding.get('top_p')}, at most "
            f"{decoding.get('max_new_tokens')} new tokens, seed {decoding.get('seed')}, {drawn}; "
            "pairs and reference log-probs use the default system prompt.",
        ]
    summary = data.get("summary")
    if summary:
        lines += [
            "",
            "| dimension | mean | std | IQR | zeros | tie share |",
            "|---|---|---|---|---|---|",
        ]
        for dim, st in summary["dimensions"].items():
            lines.append(
                f"| {dim} | {_num(st.get('mean'))} | {_num(st.get('std'))} | "
                f"{_num(st.get('iqr'))} | {_num(st.get('zero_share'), '.0%')} | "
                f"{_num(st.get('tie_share'), '.0%')} |"
            )
        lines += [
            "",
            "| pair | Spearman (responses) | Spearman (pair differences) | label agreement |",
            "|---|---|---|---|",
        ]
        for pair, rho in summary.get("spearman", {}).items():
            lines.append(
                f"| {pair.replace('|', ' / ')} | {_num(rho, '+.3f')} | "
                f"{_num(summary.get('spearman_pairs', {}).get(pair), '+.3f')} | "
                f"{_num(summary.get('label_agreement', {}).get(pair), '.0%')} |"
            )
    return [*lines, ""]
