"""The training loop shared by the method kinds on a language-model task.

:func:`train_adapter` trains a Panacea model or a peft LoRA on the task's paired DPO data
through :class:`mdpo.training.MDPOTrainer` (reference log-probs precomputed with the data, so
the reference never runs): ``training.steps`` optimizer steps of ``training.pref_batch``
pairs, each pair with its own λ (or one fixed λ), and returns what the run logged as a
:class:`~mdpo.benchmarks.methods.loop.TrainLog`, learning dynamics included.
"""

from __future__ import annotations

import os
import time
from typing import Any

from mdpo.benchmarks.config import TrainingConfig
from mdpo.benchmarks.methods.loop import TrainLog

__all__ = ["train_adapter"]


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
        task: The :class:`~mdpo.benchmarks.tasks.llm.LLMTask`.
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
