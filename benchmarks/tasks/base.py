"""What the harness needs from a task, beyond :class:`mdpo.evaluation.Task`: two contracts.

- :class:`TrainableTask`: a feature task (bandit, synthetic) with a small base model, exact
  or sampled training losses and exact values; the methods' ``train`` trains on it.
- :class:`LanguageModelTask`: a language-model task (``smollm``, ``hf``) with a causal LM, a
  paired DPO dataset and evaluation by decoding; the methods' ``train_llm``, the runner and
  the reports use what it declares.

A task kind's :class:`~mdpo.benchmarks.tasks.registry.TaskSpec` builds one of the two.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import torch
from torch import nn

if TYPE_CHECKING:
    from mdpo.benchmarks.tasks.llm.config import LLMTaskConfig

__all__ = ["LanguageModelTask", "PointEval", "RewardTables", "TrainableTask"]


class RewardTables(NamedTuple):
    """The exact rewards of a task with finitely many contexts and actions (the bandit).

    Attributes:
        rewards: ``[X, A, m]`` reward of each action in each context, per dimension.
        ref_logits: ``[X, A]`` logits of the reference policy π_ref.
        beta: The KL weight β of the task's objective.
    """

    rewards: torch.Tensor
    ref_logits: torch.Tensor
    beta: float


class TrainableTask(abc.ABC):
    """A task with a small base model, exact or sampled training losses and exact values.

    The base model maps inputs ``[..., d]`` (or ``[..., d + m]`` with λ appended, for the
    prompt-conditioned policy) to outputs ``[..., out]``. Training runs the model on
    :meth:`inputs` (N rows) for B preferences at once, ``[B, N, d] -> [B, N, out]``, and
    :meth:`losses` turns the outputs into per-row losses ``[B, N, m]``.
    :meth:`objective_values` implements :class:`mdpo.evaluation.Task`.

    Subclasses set :attr:`dim_names`, :attr:`target_modules`, :attr:`has_logits` and
    implement the abstract methods.
    """

    has_logits: ClassVar[bool] = False
    """Whether the model's outputs are logits that MOD can mix."""

    has_optimum: ClassVar[bool] = False
    """Whether :meth:`optimal_values` knows ``J(π*_λ)``, the values of the linear
    scalarisation's optimum at λ (the bandit); the runner then reports each grid member's
    gap to it (the capacity gap)."""

    has_reward_tables: ClassVar[bool] = False
    """Whether :meth:`reward_tables` knows the exact rewards of every action in every context
    (the bandit); MODPO's margin reads them there."""

    objectives: ClassVar[tuple[str, ...]] = ("exact",)
    """The training objectives :meth:`losses` accepts."""

    dim_names: list[str]
    target_modules: list[str]

    @property
    def n_dims(self) -> int:
        """Number m of dimensions."""
        return len(self.dim_names)

    @abc.abstractmethod
    def make_model(self) -> nn.Module:
        """A fresh copy of the frozen base model (deterministic; the reference policy)."""

    @abc.abstractmethod
    def inputs(self) -> torch.Tensor:
        """The N input rows ``[N, d]`` evaluated at every λ."""

    @abc.abstractmethod
    def losses(
        self, outputs: torch.Tensor, *, objective: str, seed: int, step: int
    ) -> torch.Tensor:
        """Per-row training losses.

        Args:
            outputs: Model outputs ``[B, N, out]`` for the rows of :meth:`inputs`.
            objective: One of :attr:`objectives`.
            seed: Run seed (for sampled objectives: draws are keyed by (seed, step)).
            step: Optimizer step.

        Returns:
            ``[B, N, m]`` losses (minimised).
        """

    @abc.abstractmethod
    def values(self, outputs: torch.Tensor) -> torch.Tensor:
        """Objective values ``[m]`` (maximised) from the outputs ``[N, out]`` at one λ."""

    @abc.abstractmethod
    def ideal_point(self) -> torch.Tensor | None:
        """The exact best value ``[m]`` of every loss (loss space), or None if unknown."""

    @abc.abstractmethod
    def true_front(self, n: int) -> torch.Tensor | None:
        """The true front on a Das–Dennis grid of λ with ``n`` partitions, or None."""

    def optimal_values(self, preference: torch.Tensor) -> torch.Tensor:
        """``J(π*_λ)`` ``[m]``: the values of the linear scalarisation's optimum at λ.

        Args:
            preference: λ ``[m]``.

        Returns:
            ``[m]`` float64 values (maximised).

        Raises:
            NotImplementedError: Unless the task declares :attr:`has_optimum`.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not know the optimum pi*_lambda (has_optimum is False)"
        )

    def reward_tables(self) -> RewardTables:
        """The exact rewards ``[X, A, m]``, reference logits ``[X, A]`` and β of the task.

        Returns:
            A :class:`RewardTables`.

        Raises:
            NotImplementedError: Unless the task declares :attr:`has_reward_tables`.
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no exact reward tables (has_reward_tables is False)"
        )

    def objective_values(self, policy: object) -> torch.Tensor:
        """The objective values ``[m]`` of ``policy`` at its current λ.

        Args:
            policy: A callable (usually a :class:`mdpo.policies.PreferenceConditionedPolicy`)
                mapping :meth:`inputs` to outputs.

        Returns:
            ``[m]`` float64 values (maximised).
        """
        with torch.no_grad():
            return self.values(policy(self.inputs())).to(torch.float64)


def check_names(names: Sequence[str] | None, m: int, default: str) -> list[str]:
    """Validate dimension names (or make ``default0, default1, ...``)."""
    if names is None:
        return [f"{default}{i}" for i in range(m)]
    out = list(names)
    if len(out) != m or len(set(out)) != m or not all(isinstance(n, str) and n for n in out):
        raise ValueError(f"dim_names must hold {m} distinct non-empty strings, got {names!r}")
    return out


@dataclasses.dataclass
class PointEval:
    """What the evaluation of a language-model policy at one λ measured.

    Attributes:
        values: Mean score per dimension ``[m]`` (the front point, maximised).
        per_prompt: Scores per eval prompt ``[P, m]``.
        kl: Mean sequence log-ratio ``log π(y|x) − log π_ref(y|x)`` of the answers (nats).
        degeneracy: :func:`~mdpo.benchmarks.tasks.degeneracy.degeneracy` of the answers.
        answers: The ``P`` answers.
        judged: Independent judges' scores per eval prompt ``[P, j]`` (one column per
            judged dimension, in dimension order), or None without judges.
    """

    values: torch.Tensor
    per_prompt: torch.Tensor
    kl: float
    degeneracy: dict[str, float]
    answers: list[str]
    judged: torch.Tensor | None = None


class LanguageModelTask(abc.ABC):
    """A language-model task: a causal LM aligned on m scored dimensions, evaluated by decoding.

    What the runner (:mod:`mdpo.benchmarks.runner`), the language-model trainers
    (:mod:`mdpo.benchmarks.methods.llm` and the method kinds' ``train_llm``) and the reports
    read of such a task. :class:`~mdpo.benchmarks.tasks.llm.LLMTask` implements it for the
    ``smollm`` and ``hf`` kinds.

    Subclasses set :attr:`dim_names`, :attr:`config` and :attr:`data_summary` and implement
    the abstract members. There is no true front nor exact ideal point.
    """

    has_logits: ClassVar[bool] = True
    """The model's outputs are next-token logits, which MOD can mix."""

    objectives: ClassVar[tuple[str, ...]] = ("dpo",)
    """The training objectives of its preference data."""

    dim_names: list[str]
    """The m dimension names (the label columns of :meth:`preference_data`)."""

    config: LLMTaskConfig
    """The task's parameters; the trainers read ``model``, ``beta``, ``max_length``,
    ``example_prompts``, ``bootstrap_samples`` and ``decode_seed``."""

    data_summary: dict[str, Any] | None
    """Statistics of the training pairs once :meth:`preference_data` built them, or None."""

    @property
    def n_dims(self) -> int:
        """Number m of dimensions."""
        return len(self.dim_names)

    def true_front(self, n: int) -> None:
        """No true front is known for a language-model task."""
        return None

    def ideal_point(self) -> None:
        """No exact ideal point is known for a language-model task."""
        return None

    @property
    @abc.abstractmethod
    def device(self) -> torch.device:
        """Where the models run."""

    @property
    @abc.abstractmethod
    def tokenizer(self) -> Any:
        """The model's tokenizer."""

    @property
    @abc.abstractmethod
    def reference(self) -> nn.Module:
        """The frozen base model (the reference policy). Never modify it."""

    @property
    @abc.abstractmethod
    def target_modules(self) -> list[str]:
        """The adapted linears."""

    @property
    @abc.abstractmethod
    def model_description(self) -> str:
        """How results name the model."""

    @abc.abstractmethod
    def make_model(self) -> nn.Module:
        """A fresh, independent copy of the base model (to wrap with an adapter)."""

    @abc.abstractmethod
    def preference_data(self, cache_dir: str | None = None) -> Any:
        """The paired m-label DPO dataset, built once.

        Its columns: ``prompt``, ``response_0``, ``response_1`` and one label column per
        dimension.

        Args:
            cache_dir: Where a built dataset may be cached, or None.

        Returns:
            A :class:`datasets.Dataset`.
        """

    @abc.abstractmethod
    def eval_prompts(self) -> list[str]:
        """The ``P`` prompts a front is evaluated on."""

    @abc.abstractmethod
    def evaluate_point(self, policy: Any) -> PointEval:
        """Answer every eval prompt at the policy's current λ and score the answers.

        Args:
            policy: A :class:`mdpo.policies.PreferenceConditionedPolicy` with λ set.

        Returns:
            A :class:`PointEval` (values ``[m]``, per-prompt scores ``[P, m]``).
        """

    @abc.abstractmethod
    def evaluate_points(self, policy: Any, preferences: torch.Tensor) -> list[PointEval]:
        """:meth:`evaluate_point` at each of ``n`` preferences ``[n, m]``, in order.

        Args:
            policy: A :class:`mdpo.policies.PreferenceConditionedPolicy`.
            preferences: ``[n, m]`` preferences the policy supports.

        Returns:
            One :class:`PointEval` per preference.
        """

    @abc.abstractmethod
    def summarize_parts(
        self, parts: Mapping[str, Mapping[int, Mapping[str, Any]]], nf: Any, confidence: float
    ) -> dict[str, Any]:
        """The language-model section of the task's results (the ``"llm"`` entry).

        Args:
            parts: ``{method: {seed: part}}`` as the runner stored them.
            nf: The task's :class:`mdpo.metrics.NormalizedFronts`.
            confidence: Interval level.

        Returns:
            A JSON-ready dict; its ``"decoding"`` entry is the task's decoding protocol.
        """

    def response_logps(
        self, model: nn.Module, prompts: Sequence[Any], responses: Sequence[str]
    ) -> torch.Tensor:
        """Summed log-probs of ``n`` responses under ``model``, tokenized as the task's DPO does.

        MODPO's implicit rewards ``β·(log π_i(y|x) − log π_ref(y|x))`` read them.

        Args:
            model: A causal LM with the task's tokenizer (the reference or a trained copy).
            prompts: ``n`` prompts.
            responses: ``n`` response strings.

        Returns:
            ``[n]`` float32 log-probs; NaN for a response that truncation empties.

        Raises:
            NotImplementedError: If the task does not score responses.
        """
        raise NotImplementedError(f"{type(self).__name__} does not score responses")

    def data_record(self) -> dict[str, Any]:
        """What a run's results record of the training pairs (their ``llm.data`` entry).

        Returns:
            ``n_pairs`` (the rows of :meth:`preference_data`) and, once
            :attr:`data_summary` is set, ``summary``; a task whose data carry a build record
            adds what it holds (:class:`~mdpo.benchmarks.tasks.llm.LLMTask`: ``counts``,
            ``decoding`` and ``pairing``).
        """
        record: dict[str, Any] = {"n_pairs": len(self.preference_data())}
        if self.data_summary is not None:
            record["summary"] = self.data_summary
        return record

    def objective_values(self, policy: Any) -> torch.Tensor:
        """Mean scores ``[m]`` of the policy's answers at its current λ (the Task protocol)."""
        return self.evaluate_point(policy).values
