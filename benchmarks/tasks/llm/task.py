"""The language-model task: align a real instruct LLM on scored dimensions, evaluate by decoding.

:class:`LLMTask` implements :class:`~mdpo.benchmarks.tasks.base.LanguageModelTask` for both
language-model kinds (:data:`SMOLLM_SPEC`, :data:`HF_SPEC`); see :mod:`mdpo.benchmarks.tasks.llm`
for the protocol. Decoding lives in :mod:`~mdpo.benchmarks.tasks.llm.decoding`, the
parameters in :mod:`~mdpo.benchmarks.tasks.llm.config`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from mdpo.benchmarks.stats import bootstrap_hypervolume, judged_front_metrics
from mdpo.benchmarks.tasks.base import LanguageModelTask, PointEval
from mdpo.benchmarks.tasks.degeneracy import degeneracy
from mdpo.benchmarks.tasks.llm.config import LLMTaskConfig
from mdpo.benchmarks.tasks.llm.decoding import LLMDecoding
from mdpo.benchmarks.tasks.registry import TaskSpec

__all__ = ["HF_SPEC", "SMOLLM_SPEC", "LLMTask"]


class LLMTask(LLMDecoding, LanguageModelTask):
    """A real-LLM task: DPO pairs scored along m dimensions, evaluated by decoding.

    Args:
        config: The :class:`LLMTaskConfig`.
        kind: ``"smollm"`` (self-generated pairs) or ``"hf"`` (a Hugging Face dataset).
        model: Optional ``(model, tokenizer)`` to use instead of loading ``config.model``
            (tests inject tiny models this way).

    Raises:
        ValueError: If ``kind`` is unknown or ``hf`` lacks its dataset settings.

    Example:
        >>> from mdpo.benchmarks.tasks.llm import LLMTask, LLMTaskConfig
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

    def response_logps(
        self, model: Any, prompts: Sequence[Any], responses: Sequence[str]
    ) -> torch.Tensor:
        """:func:`~mdpo.benchmarks.tasks.llm_data.reference_logps` with the task's settings.

        The chat template, ``max_length`` and ``gen_batch_size`` of the config: the tokens
        the task's DPO pairs and reference columns use.

        Args:
            model: A causal LM with the task's tokenizer.
            prompts: ``n`` prompts.
            responses: ``n`` response strings.

        Returns:
            ``[n]`` float32 log-probs; NaN for a response that truncation empties.
        """
        from mdpo.benchmarks.tasks.llm_data import reference_logps

        c = self.config
        return reference_logps(
            model,
            self.tokenizer,
            prompts,
            responses,
            batch_size=c.gen_batch_size,
            chat_template=True,
            max_length=c.max_length,
        )

    def data_record(self) -> dict[str, Any]:
        """The pairs' count and summary, with the build record self-generated pairs carry.

        Returns:
            :meth:`LanguageModelTask.data_record` plus the ``counts``, ``decoding`` and
            ``pairing`` of :func:`~mdpo.benchmarks.tasks.llm_data.preference_data_info`
            (absent for an ``hf`` dataset, which carries no build record).
        """
        record = super().data_record()
        try:
            from mdpo.benchmarks.tasks.llm_data import preference_data_info

            info = preference_data_info(self.preference_data())
        except (ImportError, ValueError):
            return record
        record.update({key: info.get(key) for key in ("counts", "decoding", "pairing")})
        return record

    # ------------------------------------------------------------------ evaluation
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
        c = self.config
        data = next(
            (p["llm"].get("data") for by in parts.values() for p in by.values() if "llm" in p),
            None,
        )
        n_prompts = len(self.eval_prompts())
        gen = torch.Generator().manual_seed(c.decode_seed)
        draws = torch.randint(0, n_prompts, (c.bootstrap_samples, n_prompts), generator=gen)
        hv_boot: dict[str, Any] = {}
        for name, by_seed in parts.items():
            for seed, part in by_seed.items():
                if "llm" not in part:
                    continue
                scores = torch.tensor(part["llm"]["per_prompt"], dtype=torch.float64)  # [n, P, m]
                hv_boot.setdefault(name, {})[str(seed)] = bootstrap_hypervolume(
                    scores, draws, nf, confidence
                )
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
