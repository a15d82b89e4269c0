"""Train and evaluate the methods on a language-model task, at equal compute, and save them.

Every method trains through :class:`mdpo.training.MDPOTrainer` on the task's paired DPO data
(:func:`~mdpo.benchmarks.methods.llm_loop.train_adapter`). :func:`run_llm_method` looks the
method's kind up in the registry (:mod:`mdpo.benchmarks.methods.registry`) and hands its
``train_llm`` an :class:`LLMContext`: the method, the task, its data, the settings and the
helpers the kinds share (those of :class:`~mdpo.benchmarks.methods.context.MethodContext`:
seeded initialisation, a plain LoRA of rank k + m, a grid of per-λ members; and here
training in a work folder, the cached single-dimension experts, saving). How each kind
trains is said in its module (:mod:`~mdpo.benchmarks.methods.panacea`,
:mod:`~mdpo.benchmarks.methods.rs`, :mod:`~mdpo.benchmarks.methods.mod`,
:mod:`~mdpo.benchmarks.methods.dps`, :mod:`~mdpo.benchmarks.methods.prompt`,
:mod:`~mdpo.benchmarks.methods.modpo`); how a run is saved, in
:mod:`~mdpo.benchmarks.methods.saved_runs`.

RS and MOD share their experts when they are trained identically: experts are cached under
``<out>/cache/experts/<key>`` (key: task parameters, training settings, seed, dimension).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import torch

from mdpo.benchmarks.config import MethodConfig, TrainingConfig
from mdpo.benchmarks.methods.context import MethodContext
from mdpo.benchmarks.methods.llm_loop import train_adapter
from mdpo.benchmarks.methods.loop import TrainLog
from mdpo.benchmarks.methods.saved_runs import grid_fields, run_dir_for, save_adapter, write_run
from mdpo.benchmarks.resume_key import resume_key

__all__ = [
    "LLMContext",
    "LLMTrained",
    "grid_fields",
    "run_dir_for",
    "run_llm_method",
    "train_adapter",
]


class LLMTrained(NamedTuple):
    """What a method kind's ``train_llm`` returns.

    Attributes:
        policy: The trained policy, in eval mode.
        logs: One :class:`~mdpo.benchmarks.methods.loop.TrainLog` per trained unit.
        fields: ``run.json`` fields of the saved run (paths relative to the run folder);
            ``"method"`` defaults to the kind's registered layout.
    """

    policy: Any
    logs: list[TrainLog]
    fields: dict[str, Any]


@dataclasses.dataclass
class LLMContext(MethodContext):
    """What a method kind's ``train_llm`` receives on a language-model task, and helpers.

    The first fields are :class:`~mdpo.benchmarks.methods.context.MethodContext`'s (``task``
    an :class:`~mdpo.benchmarks.tasks.llm.LLMTask`); this adds:

    Args:
        task_params: The task's params (the experts' cache key).
        out: The suite's output directory (resolved).
        run_dir: This run's folder, where the adapters and ``run.json`` are saved.
        data: The task's paired DPO dataset.
    """

    task_params: Any
    out: Path
    run_dir: Path
    data: Any

    def save(self, model: Any, path: str) -> str:
        """Save ``model``'s adapter under the run folder; returns ``path`` (relative)."""
        save_adapter(model, self.run_dir / path)
        return path

    def train(self, model: Any, *, steps: int, seed: int, label: str, **kwargs: Any) -> TrainLog:
        """:func:`train_adapter` on the task's data in a temporary work folder.

        Args:
            model: The model to train.
            steps: Optimizer steps.
            seed: Trainer seed.
            label: Stored in the log.
            **kwargs: Other :func:`train_adapter` arguments (``data`` overrides the task's).

        Returns:
            The :class:`~mdpo.benchmarks.methods.loop.TrainLog`.
        """
        data = kwargs.pop("data", self.data)
        with tempfile.TemporaryDirectory() as work:
            return train_adapter(
                model,
                self.task,
                data,
                steps=steps,
                training=self.training,
                seed=seed,
                label=label,
                workdir=work,
                **kwargs,
            )

    def train_sampled(self, model: Any, label: str, conditioning: Any = None) -> TrainLog:
        """Train one model on λ sampled per pair (Panacea, prompt conditioning)."""
        method = self.method
        return self.train(
            model,
            steps=self.training.steps,
            seed=self.seed,
            label=label,
            aggregator=method.aggregator,
            aggregator_kwargs=method.aggregator_kwargs,
            vertex_prob=self.training.vertex_prob,
            conditioning=conditioning,
        )

    def experts(self, steps: int | None = None) -> tuple[list[Any], list[TrainLog], bool]:
        """Train (or load from the shared cache) the m single-dimension LoRA experts.

        Experts are cached under ``<out>/cache/experts/<key>`` (key: task parameters,
        training settings, seed, dimension and steps), so that methods trained the same
        way (RS and MOD) share them.

        Args:
            steps: Steps per expert; ``training.steps // m`` (at least 1) when None.

        Returns:
            ``(experts, logs, reused)``: ``reused`` is True when all came from the cache.
        """
        from peft import PeftModel

        from mdpo._io import atomic_write_json

        task, training, m = self.task, self.training, self.n_dims
        steps = max(1, training.steps // m) if steps is None else steps
        experts, logs, reused = [], [], True
        for i, name in enumerate(task.dim_names):
            key = resume_key(self.task_params, dataclasses.asdict(training), self.seed, i, steps)
            folder = self.out / "cache" / "experts" / key["key"]
            log_file = folder / "train_log.json"
            if log_file.is_file():
                expert = PeftModel.from_pretrained(task.make_model(), os.fspath(folder / "adapter"))
                log = TrainLog(**json.loads(log_file.read_text(encoding="utf-8")))
            else:
                reused = False
                torch.manual_seed(self.seed_for("expert", i))
                expert = self.lora()
                log = self.train(
                    expert,
                    steps=steps,
                    seed=self.seed_for("expert", i),
                    fixed_preference=torch.eye(m)[i].tolist(),
                    label=f"expert:{name}",
                )
                save_adapter(expert, folder / "adapter")
                atomic_write_json(log_file, log.to_dict())
            experts.append(expert.eval())
            logs.append(log)
        return experts, logs, reused


def _train(ctx: LLMContext) -> LLMTrained:
    """Build, train and save one method through its registered ``train_llm``."""
    from mdpo.benchmarks.methods.registry import available_methods, get_method

    method = ctx.method
    spec = get_method(method.kind)
    if spec.train_llm is None:
        raise ValueError(
            f"method {method.name!r} has kind {method.kind!r}, which the LLM task does not "
            f"train; allowed: {available_methods(language_model=True)}"
        )
    trained = spec.train_llm(ctx)
    return trained._replace(fields={"method": spec.layout, **trained.fields})


def run_llm_method(
    method: MethodConfig,
    task: Any,
    task_name: str,
    task_params: Any,
    training: TrainingConfig,
    seed: int,
    preferences: torch.Tensor,
    out_dir: str | os.PathLike[str],
) -> dict[str, Any]:
    """Train, save and evaluate one method on an LLM task; the runner's result part.

    Args:
        method: The method's config (``steps``/``lr``/``vertex_prob`` override ``training``).
        task: The :class:`~mdpo.benchmarks.tasks.llm.LLMTask` (its base model and data
            are loaded once and shared by all methods).
        task_name: The task's name in the suite.
        task_params: The task's params (the experts' cache key).
        training: The task's training settings.
        seed: Seed.
        preferences: Evaluation preferences ``[n, m]`` (only supported ones are used).
        out_dir: The suite's output directory.

    Returns:
        The part dict: ``front``, ``steps``, ``rows``, ``tokens`` (None),
        ``train_wall_time``, ``wall_time``, ``ideal``, ``logs``, ``run_dir`` (relative to
        ``out_dir``) and ``llm`` (``points``: per λ the bootstrap interval over prompts, KL
        and degeneracy; ``per_prompt`` ``[n, P, m]``; ``examples``; ``data``).
    """
    from mdpo.benchmarks.stats import bootstrap_interval
    from mdpo.evaluation import Front

    out = Path(out_dir).resolve()
    cfg = method.training_for(training)
    run_dir = run_dir_for(out, task_name, method.name, seed)
    start = time.perf_counter()
    data = task.preference_data(os.fspath(out / "cache" / "data"))
    ctx = LLMContext(method, task, cfg, seed, task_params, out, run_dir, data)
    policy, logs, fields = _train(ctx)
    trained = time.perf_counter() - start
    steps = sum(log.steps for log in logs)
    write_run(run_dir, task, method, seed=seed, steps=steps, fields=fields)
    kept = torch.stack([lam for lam in preferences if policy.supports(lam)])
    evals = task.evaluate_points(policy, kept)
    front = Front(torch.stack([r.values for r in evals]), kept.double(), list(task.dim_names))
    n_ex = task.config.example_prompts
    c = task.config
    llm = {
        "points": [
            {
                "preference": lam.tolist(),
                "bootstrap": bootstrap_interval(
                    r.per_prompt, samples=c.bootstrap_samples, seed=c.decode_seed
                ),
                "kl": r.kl,
                "degeneracy": r.degeneracy,
            }
            for lam, r in zip(kept, evals)
        ],
        "per_prompt": [r.per_prompt.tolist() for r in evals],
        "judge_per_prompt": None if evals[0].judged is None else [r.judged.tolist() for r in evals],
        "examples": {
            "prompts": task.eval_prompts()[:n_ex],
            "preferences": [lam.tolist() for lam in kept],
            "answers": [r.answers[:n_ex] for r in evals],
        },
        "data": task.data_record(),
    }
    return {
        "task": task_name,
        "method": method.name,
        "seed": seed,
        "front": front.to_dict(),
        "steps": steps,
        "rows": sum(log.rows for log in logs),
        "tokens": None,
        "train_wall_time": trained,
        "wall_time": time.perf_counter() - start,
        "ideal": [log.ideal for log in logs],
        "logs": [log.to_dict() for log in logs],
        "run_dir": os.fspath(run_dir.relative_to(out)),
        "llm": llm,
    }
