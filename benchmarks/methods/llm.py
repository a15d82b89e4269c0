"""Train and evaluate the methods on a language-model task, at equal compute, and save them.

Every method trains through :class:`mdpo.training.MDPOTrainer` on the task's paired DPO data
(reference log-probs precomputed, so the reference never runs during training). One
optimizer step takes ``training.pref_batch`` pairs, each with its own λ; the budget is
``training.steps`` such steps. :func:`run_llm_method` looks the method's kind up in the
registry (:mod:`mdpo.benchmarks.methods.registry`) and hands its ``train_llm`` an
:class:`LLMContext`: the method, the task, its data, the settings and the helpers the kinds
share (seeded initialisation, a plain LoRA of rank k + m, :func:`train_adapter` in a work
folder, the cached single-dimension experts, a grid of per-λ members, saving). How each kind
trains is said in its module (:mod:`~mdpo.benchmarks.methods.panacea`,
:mod:`~mdpo.benchmarks.methods.rs`, :mod:`~mdpo.benchmarks.methods.mod`,
:mod:`~mdpo.benchmarks.methods.dps`, :mod:`~mdpo.benchmarks.methods.prompt`,
:mod:`~mdpo.benchmarks.methods.modpo`).

RS and MOD share their experts when they are trained identically: experts are cached under
``<out>/cache/experts/<key>`` (key: task parameters, training settings, seed, dimension).

**Saved runs.** Each (task, method, seed) is saved under
``<out>/runs/<task>/<method>/seed<k>/`` with its adapters (``save_pretrained`` format,
safetensors) and a ``run.json`` manifest (:func:`mdpo.training.write_run_manifest`) that
:func:`mdpo.policies.load_policy` and ``mdpo generate`` read. Its ``"method"`` is the layout
the kind registered (:mod:`mdpo.policies.loading` describes each):

- Panacea: ``"method": "panacea"``, ``"adapter_paths": {"adapter": "adapter"}``;
- RS / MOD: ``"method": "rs"`` / ``"mod"``, ``"experts": {dim: "experts/<dim>"}``;
- DPS and MODPO: ``"method": "dps"``, ``"grid": [[λ...], ...]``,
  ``"adapters": ["members/<k>", ...]``;
- prompt conditioning: ``"method": "lora"``, ``"conditioning": "prompt"``,
  ``"adapter_paths": {"adapter": "adapter"}``; a soft prompt has ``"conditioning":
  "soft_prompt"`` and ``"soft_prompt": "soft_prompt.safetensors"``.

Paths are relative to the run folder; the base model is ``base_model``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import torch

from mdpo.benchmarks.config import MethodConfig, TrainingConfig, check_run_name, output_path
from mdpo.benchmarks.methods.builders import plain_lora
from mdpo.benchmarks.methods.loop import TrainLog
from mdpo.benchmarks.resume_key import resume_key

__all__ = [
    "LLMContext",
    "LLMTrained",
    "grid_fields",
    "run_dir_for",
    "run_llm_method",
    "train_adapter",
]


def run_dir_for(out_dir: str | os.PathLike[str], task: str, method: str, seed: int) -> Path:
    """The saved-run folder of one (task, method, seed), refusing names that escape ``out_dir``.

    Args:
        out_dir: The suite's output directory.
        task: Task name.
        method: Method name.
        seed: Seed.

    Returns:
        ``<out_dir>/runs/<task>/<method>/seed<seed>`` (resolved).

    Raises:
        ValueError: If a name is not a safe file name.

    Example:
        >>> from mdpo.benchmarks.methods.llm import run_dir_for
        >>> run_dir_for("out", "smollm2d", "rs", 0).parts[-4:]
        ('runs', 'smollm2d', 'rs', 'seed0')
    """
    check_run_name(task, "task name")
    check_run_name(method, "method name")
    return output_path(out_dir, "runs", task, method, f"seed{int(seed)}")


_DYNAMICS_PREFIXES = ("probe/", "grad/", "s/", "sigma/", "shared_norm/", "pref_norm/", "lora_norm/")
"""Log keys of :mod:`mdpo.training.dynamics` kept in a :class:`TrainLog`."""


def train_adapter(
    model: Any,
    task: Any,
    data: Any,
    *,
    steps: int,
    training: TrainingConfig,
    seed: int,
    aggregator: str = "ls",
    aggregator_kwargs: dict[str, Any] | None = None,
    vertex_prob: float = 0.0,
    fixed_preference: list[float] | None = None,
    conditioning: Any = None,
    label: str = "",
    workdir: str | os.PathLike[str],
    objective: Any = None,
) -> TrainLog:
    """Train ``model`` (Panacea or peft LoRA) on the task's pairs with :class:`MDPOTrainer`.

    Args:
        model: A :class:`mdpo.adapters.PanaceaModel` or ``peft.PeftModel``.
        task: The :class:`~mdpo.benchmarks.tasks.smollm.LLMTask`.
        data: Its paired DPO dataset.
        steps: Optimizer steps (each ``training.pref_batch`` pairs).
        training: Learning rate, batch, ideal margin and logging interval.
        seed: Trainer seed (λ and data draws are pure functions of it).
        aggregator: Aggregator key.
        aggregator_kwargs: Its keyword arguments.
        vertex_prob: Share of vertex λ draws.
        fixed_preference: Train at this λ ``[m]`` instead of sampling.
        conditioning: How λ reaches the model (:mod:`mdpo.conditioning`); the trainer's
            default (the adapter for Panacea, none for a LoRA) when None.
        label: Stored in the log.
        workdir: Trainer output folder (nothing is checkpointed there).
        objective: The training objective; None: :class:`~mdpo.objectives.DPOObjective`
            on the task's m label columns, with the task's β and length limit.

    Returns:
        A :class:`~mdpo.benchmarks.methods.loop.TrainLog`; its curve holds the logged mean
        loss per dimension and its ``dynamics`` the learning dynamics at the same steps
        (adapter and gradient norms, per-vertex probe margins, λ-sensitivity).
    """
    from transformers import PrinterCallback

    from mdpo.objectives import DPOObjective
    from mdpo.training import MDPOConfig, MDPOTrainer

    c = task.config
    if objective is None:
        objective = DPOObjective(
            task.dim_names,
            label_columns={d: d for d in task.dim_names},
            beta=c.beta,
            max_length=c.max_length,
            chat_template=True,
        )
    args = MDPOConfig(
        output_dir=os.fspath(workdir),
        max_steps=steps,
        per_device_train_batch_size=training.pref_batch,
        learning_rate=training.lr,
        lr_scheduler_type=training.lr_schedule,
        warmup_steps=0,
        seed=seed,
        aggregator=aggregator,
        aggregator_kwargs=dict(aggregator_kwargs or {}),
        vertex_prob=vertex_prob,
        fixed_preference=fixed_preference,
        ideal_margin=training.ideal_margin,
        dim_names=task.dim_names,
        logging_steps=min(training.log_every, steps),
        log_dynamics=True,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        use_cpu=task.device.type == "cpu",
        dataloader_num_workers=0,
    )
    trainer = MDPOTrainer(
        model, args, objective, data, processing_class=task.tokenizer, conditioning=conditioning
    )
    trainer.remove_callback(PrinterCallback)  # the logs go into the TrainLog, not stdout
    start = time.perf_counter()
    result = trainer.train()
    wall = time.perf_counter() - start
    curve_steps, curve = [], []
    logged = [e for e in trainer.state.log_history if "loss" in e and "step" in e]
    for entry in logged:
        curve_steps.append(int(entry["step"]))
        curve.append([float(entry.get(f"loss/{d}", float("nan"))) for d in task.dim_names])
    keys = sorted({k for e in logged for k in e if k.startswith(_DYNAMICS_PREFIXES)})
    dynamics = {k: [float(e.get(k, float("nan"))) for e in logged] for k in keys}
    needs_ideal = trainer.aggregator.requires_ideal
    model.eval()
    return TrainLog(
        steps=int(result.global_step),
        rows=int(result.global_step) * training.pref_batch,
        wall_time=wall,
        ideal=trainer.ideal_tracker.value.tolist() if needs_ideal else None,
        curve_steps=curve_steps,
        curve=curve,
        label=label,
        dynamics=dynamics,
    )


def _save(model: Any, target: Path) -> None:
    """``save_pretrained`` into a temporary sibling, then rename into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        model.save_pretrained(os.fspath(tmp))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


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
class LLMContext:
    """What a method kind's ``train_llm`` receives on a language-model task, and helpers.

    Args:
        method: The method's config.
        task: The :class:`~mdpo.benchmarks.tasks.smollm.LLMTask`.
        task_params: The task's params (the experts' cache key).
        training: The training settings with the method's overrides applied.
        seed: The training seed.
        out: The suite's output directory (resolved).
        run_dir: This run's folder, where the adapters and ``run.json`` are saved.
        data: The task's paired DPO dataset.
    """

    method: MethodConfig
    task: Any
    task_params: Any
    training: TrainingConfig
    seed: int
    out: Path
    run_dir: Path
    data: Any

    @property
    def n_dims(self) -> int:
        """Number m of dimensions."""
        return self.task.n_dims

    def seed_for(self, *keys: Any) -> int:
        """A 31-bit seed derived from the run's seed and ``keys``."""
        from mdpo.seeding import derive_seed

        return derive_seed(self.seed, *keys) % (2**31)

    def init(self, *keys: Any) -> None:
        """Seed torch's global generator for one trained unit of this method."""
        torch.manual_seed(self.seed_for(self.method.name, *keys))

    def lora(self) -> Any:
        """A plain LoRA of rank k + m on a fresh copy of the task's base model."""
        task = self.task
        return plain_lora(task.make_model(), task.target_modules, self.training.rank + task.n_dims)

    def save(self, model: Any, path: str) -> str:
        """Save ``model``'s adapter under the run folder; returns ``path`` (relative)."""
        _save(model, self.run_dir / path)
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

        from mdpo.adapters._files import atomic_write_json

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
                _save(expert, folder / "adapter")
                atomic_write_json(log_file, log.to_dict())
            experts.append(expert.eval())
            logs.append(log)
        return experts, logs, reused

    def members(
        self,
        train_member: Callable[[Any, torch.Tensor, int, int], TrainLog],
        steps: int | None = None,
    ) -> tuple[torch.Tensor, list[Any], list[TrainLog], list[str]]:
        """One plain LoRA per point of the method's grid, each saved as ``members/<k>``.

        Args:
            train_member: ``(member, λ [m], k, steps) -> TrainLog`` trains member k at λ.
            steps: The total steps of the members; ``training.steps`` when None (each gets
                ``steps // K``, at least 1).

        Returns:
            ``(grid [K, m], members, logs, paths)``.
        """
        from mdpo.preferences import preference_grid

        m = self.n_dims
        grid = preference_grid(m, self.method.grid_partitions(m))
        per_member = max(1, (self.training.steps if steps is None else steps) // grid.shape[0])
        members, logs, paths = [], [], []
        for k, lam in enumerate(grid):
            self.init("member", k)
            member = self.lora()
            logs.append(train_member(member, lam, k, per_member))
            paths.append(self.save(member, f"members/{k}"))
            members.append(member.eval())
        return grid, members, logs, paths


def grid_fields(grid: torch.Tensor, paths: list[str]) -> dict[str, Any]:
    """The ``run.json`` fields of a grid of per-λ adapters (the ``"dps"`` layout).

    Args:
        grid: ``[K, m]`` the members' preferences.
        paths: The K adapter paths, relative to the run folder.

    Returns:
        ``adapter_paths``, ``grid`` and ``adapters``.
    """
    return {
        "adapter_paths": {f"member{k}": p for k, p in enumerate(paths)},
        "grid": grid.tolist(),
        "adapters": list(paths),
    }


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
        task: The :class:`~mdpo.benchmarks.tasks.smollm.LLMTask` (its base model and data
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
    from mdpo.training import write_run_manifest

    out = Path(out_dir).resolve()
    cfg = method.training_for(training)
    run_dir = run_dir_for(out, task_name, method.name, seed)
    start = time.perf_counter()
    data = task.preference_data(os.fspath(out / "cache" / "data"))
    ctx = LLMContext(method, task, task_params, cfg, seed, out, run_dir, data)
    policy, logs, fields = _train(ctx)
    trained = time.perf_counter() - start
    write_run_manifest(
        run_dir,
        {
            "base_model": task.config.model,
            "base_model_description": task.model_description,
            "method": fields["method"],
            "method_name": method.name,
            "aggregator": method.aggregator,
            "dimension_names": task.dim_names,
            "seed": seed,
            "steps": sum(log.steps for log in logs),
            **fields,
        },
    )
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
        "data": _data_record(task),
    }
    return {
        "task": task_name,
        "method": method.name,
        "seed": seed,
        "front": front.to_dict(),
        "steps": sum(log.steps for log in logs),
        "rows": sum(log.rows for log in logs),
        "tokens": None,
        "train_wall_time": trained,
        "wall_time": time.perf_counter() - start,
        "ideal": [log.ideal for log in logs],
        "logs": [log.to_dict() for log in logs],
        "run_dir": os.fspath(run_dir.relative_to(out)),
        "llm": llm,
    }


def _data_record(task: Any) -> dict[str, Any] | None:
    """Counts and dimension statistics of the training pairs (``smollm`` kind)."""
    data = task.preference_data()
    record: dict[str, Any] = {"n_pairs": len(data)}
    if task.data_summary is not None:
        record["summary"] = task.data_summary
    try:
        from mdpo.benchmarks.tasks.llm_data import preference_data_info

        info = preference_data_info(data)
        record["counts"] = info.get("counts")
        record["decoding"] = info.get("decoding")
        record["pairing"] = info.get("pairing")
    except (ImportError, ValueError):
        pass
    return record
