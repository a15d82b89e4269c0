"""Train and evaluate the methods on a language-model task, at equal compute, and save them.

Every method trains through :class:`mdpo.training.MDPOTrainer` on the task's paired DPO data
(reference log-probs precomputed, so the reference never runs during training). One
optimizer step takes ``training.pref_batch`` pairs, each with its own λ; the budget is
``training.steps`` such steps:

- ``panacea``: one Panacea adapter (k + m singular values), λ sampled per pair
  (``vertex_prob`` of them simplex vertices), aggregated by the method's aggregator;
- ``rs``: m plain LoRA experts of rank k + m, expert i trained at the vertex e_i for
  ``steps // m`` steps, souped in ΔW space (:class:`mdpo.policies.RSPolicy`);
- ``mod``: the same experts, logits mixed by λ at every decoding step
  (:class:`mdpo.policies.MODPolicy`; m forward passes per token at evaluation);
- ``dps``: one plain LoRA per Das–Dennis grid point (K = 5 for m = 2, K = 6 for m = 3),
  ``steps // K`` steps each at its fixed λ with the method's aggregator;
- ``prompt``: one plain LoRA of rank k + m conditioned through the prompt (Rewards-in-Context
  style): every pair's prompt starts with ``Preference weights: name=value, ...`` for its
  sampled λ (:class:`mdpo.conditioning.PromptConditioning`), trained like Panacea (same λ
  draws, aggregator and steps). Its DPO reference log-probs are those of the plain prompt,
  precomputed with the data (``reference: plain``, the default where the data carry them),
  or of the λ-annotated prompt the policy sees, computed at every step
  (``reference: annotated``, the default on data without them, such as the ``hf`` kind).
  With ``prompt_style: soft`` λ mixes m learned soft prompts of ``virtual_tokens`` virtual
  tokens instead (:mod:`mdpo.soft_prompt`, each initialised from its dimension's name),
  trained with the LoRA (an annotated reference reads the placeholders as plain tokens).

RS and MOD share their experts when they are trained identically: experts are cached under
``<out>/cache/experts/<key>`` (key: task parameters, training settings, seed, dimension).

**Saved runs.** Each (task, method, seed) is saved under
``<out>/runs/<task>/<method>/seed<k>/`` with its adapters (``save_pretrained`` format,
safetensors) and a ``run.json`` manifest (:func:`mdpo.training.write_run_manifest`) that
:func:`mdpo.policies.load_policy` and ``mdpo generate`` read:

- Panacea: ``"method": "panacea"``, ``"adapter_paths": {"adapter": "adapter"}``;
- RS / MOD: ``"method": "rs"`` / ``"mod"``, ``"experts": {dim: "experts/<dim>"}``;
- DPS: ``"method": "dps"``, ``"grid": [[λ...], ...]``, ``"adapters": ["members/<k>", ...]``;
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
from pathlib import Path
from typing import Any

import torch

from mdpo.benchmarks.config import MethodConfig, TrainingConfig, check_run_name, output_path
from mdpo.benchmarks.methods.loop import TrainLog
from mdpo.benchmarks.resume_key import resume_key

__all__ = ["run_dir_for", "run_llm_method", "train_adapter"]


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


def _lora(task: Any, rank: int) -> Any:
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=rank, lora_alpha=rank, target_modules=task.target_modules)
    return get_peft_model(task.make_model(), config)


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

    Returns:
        A :class:`~mdpo.benchmarks.methods.loop.TrainLog`; its curve holds the logged mean
        loss per dimension and its ``dynamics`` the learning dynamics at the same steps
        (adapter and gradient norms, per-vertex probe margins, λ-sensitivity).
    """
    from transformers import PrinterCallback

    from mdpo.objectives import DPOObjective
    from mdpo.training import MDPOConfig, MDPOTrainer

    c = task.config
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


def _experts(
    task: Any,
    task_params: Any,
    data: Any,
    training: TrainingConfig,
    seed: int,
    out: Path,
) -> tuple[list[Any], list[TrainLog], bool]:
    """Train (or load from the shared cache) the m single-dimension LoRA experts."""
    from peft import PeftModel

    m = task.n_dims
    steps = max(1, training.steps // m)
    experts, logs, reused = [], [], True
    for i, name in enumerate(task.dim_names):
        key = resume_key(task_params, dataclasses.asdict(training), seed, i, steps)["key"]
        folder = out / "cache" / "experts" / key
        log_file = folder / "train_log.json"
        if log_file.is_file():
            expert = PeftModel.from_pretrained(task.make_model(), os.fspath(folder / "adapter"))
            log = TrainLog(**json.loads(log_file.read_text(encoding="utf-8")))
        else:
            reused = False
            torch.manual_seed(_seed(seed, "expert", i))
            expert = _lora(task, training.rank + m)
            with tempfile.TemporaryDirectory() as work:
                log = train_adapter(
                    expert,
                    task,
                    data,
                    steps=steps,
                    training=training,
                    seed=_seed(seed, "expert", i),
                    fixed_preference=torch.eye(m)[i].tolist(),
                    label=f"expert:{name}",
                    workdir=work,
                )
            _save(expert, folder / "adapter")
            from mdpo.adapters._files import atomic_write_json

            atomic_write_json(log_file, log.to_dict())
        experts.append(expert.eval())
        logs.append(log)
    return experts, logs, reused


def _seed(seed: int, *keys: Any) -> int:
    from mdpo.seeding import derive_seed

    return derive_seed(seed, *keys) % (2**31)


def _train(
    method: MethodConfig,
    task: Any,
    task_params: Any,
    training: TrainingConfig,
    seed: int,
    out: Path,
    run_dir: Path,
) -> tuple[Any, list[TrainLog], dict[str, Any]]:
    """Build, train and save one method; returns (policy, logs, manifest fields)."""
    from mdpo.adapters import get_panacea_model
    from mdpo.policies import DPSPolicy, MODPolicy, PanaceaPolicy, RSPolicy
    from mdpo.preferences import preference_grid

    data = task.preference_data(os.fspath(out / "cache" / "data"))
    m, names = task.n_dims, task.dim_names
    if method.kind == "panacea":
        torch.manual_seed(_seed(seed, method.name, "init"))
        model = get_panacea_model(
            task.make_model(),
            method.panacea_config(training.rank, m, task.target_modules),
        )
        log = _train_sampled(model, method, task, data, training, seed, "panacea")
        _save(model, run_dir / "adapter")
        fields = {"adapter_paths": {"adapter": "adapter"}}
        return PanaceaPolicy(model, m, names).eval(), [log], fields
    if method.kind in ("rs", "mod"):
        experts, logs, reused = _experts(task, task_params, data, training, seed, out)
        paths = {name: f"experts/{name}" for name in names}
        for name, expert in zip(names, experts):
            _save(expert, run_dir / paths[name])
        fields = {"adapter_paths": dict(paths), "experts": paths, "experts_reused": reused}
        if method.kind == "rs":
            return RSPolicy(task.make_model().eval(), experts, names), logs, fields
        return MODPolicy(experts, names), logs, fields
    if method.kind == "dps":
        grid = preference_grid(m, method.grid_partitions(m))
        per_member = max(1, training.steps // grid.shape[0])
        members, logs, paths = [], [], []
        for k, lam in enumerate(grid):
            torch.manual_seed(_seed(seed, method.name, "member", k))
            member = _lora(task, training.rank + m)
            with tempfile.TemporaryDirectory() as work:
                logs.append(
                    train_adapter(
                        member,
                        task,
                        data,
                        steps=per_member,
                        training=training,
                        seed=_seed(seed, "member", k),
                        aggregator=method.aggregator,
                        aggregator_kwargs=method.aggregator_kwargs,
                        fixed_preference=lam.tolist(),
                        label="member:" + ",".join(f"{v:.3g}" for v in lam.tolist()),
                        workdir=work,
                    )
                )
            paths.append(f"members/{k}")
            _save(member, run_dir / paths[-1])
            members.append(member.eval())
        fields = {
            "adapter_paths": {f"member{k}": p for k, p in enumerate(paths)},
            "grid": grid.tolist(),
            "adapters": paths,
        }
        return DPSPolicy(grid, members, names), logs, fields
    if method.kind == "prompt":
        return _prompt(method, task, data, training, seed, run_dir)
    raise ValueError(
        f"method {method.name!r} has kind {method.kind!r}, which the LLM task does not train; "
        f"allowed: {list(task.method_kinds)}"
    )


def _train_sampled(
    model: Any,
    method: MethodConfig,
    task: Any,
    data: Any,
    training: TrainingConfig,
    seed: int,
    label: str,
    conditioning: Any = None,
) -> TrainLog:
    """Train one model on λ sampled per pair (Panacea, prompt conditioning)."""
    with tempfile.TemporaryDirectory() as work:
        return train_adapter(
            model,
            task,
            data,
            steps=training.steps,
            training=training,
            seed=seed,
            aggregator=method.aggregator,
            aggregator_kwargs=method.aggregator_kwargs,
            vertex_prob=training.vertex_prob,
            conditioning=conditioning,
            label=label,
            workdir=work,
        )


def _prompt(
    method: MethodConfig, task: Any, data: Any, training: TrainingConfig, seed: int, run_dir: Path
) -> tuple[Any, list[TrainLog], dict[str, Any]]:
    """The prompt-conditioned LoRA (see the module docstring)."""
    from mdpo.conditioning import PromptConditioning
    from mdpo.objectives import reference_column
    from mdpo.policies import PromptConditionedPolicy, TextCondition

    m, names = task.n_dims, task.dim_names
    precomputed = [reference_column(c) for c in ("response_0", "response_1")]
    has_plain = all(c in data.column_names for c in precomputed)
    reference = method.reference or ("plain" if has_plain else "annotated")
    if reference == "annotated" and has_plain:
        data = data.remove_columns(precomputed)
    elif reference == "plain" and not has_plain:
        raise ValueError(
            f"method {method.name!r}: reference 'plain' needs the reference log-probs of the "
            f"plain prompt precomputed with the task's data (the smollm kind), which lacks "
            f"{precomputed}; use reference: annotated"
        )
    torch.manual_seed(_seed(seed, method.name, "init"))
    model = _lora(task, training.rank + m)
    if method.prompt_style == "soft":
        return _soft_prompt(method, task, data, training, seed, run_dir, model, reference)
    log = _train_sampled(
        model, method, task, data, training, seed, "prompt", PromptConditioning(names)
    )
    _save(model, run_dir / "adapter")
    fields = {
        "method": "lora",
        "conditioning": "prompt",
        "reference": reference,
        "adapter_paths": {"adapter": "adapter"},
    }
    policy = PromptConditionedPolicy(model, m, names, TextCondition(names))
    return policy.eval(), [log], fields


def _soft_prompt(
    method: MethodConfig,
    task: Any,
    data: Any,
    training: TrainingConfig,
    seed: int,
    run_dir: Path,
    model: Any,
    reference: str,
) -> tuple[Any, list[TrainLog], dict[str, Any]]:
    """The LoRA with a soft prompt mixed by λ (prompts start as the dimension names)."""
    from mdpo.conditioning import SoftPromptConditioning
    from mdpo.policies import SoftPromptPolicy
    from mdpo.soft_prompt import SOFT_PROMPT_FILE, SoftPrompt

    soft = SoftPrompt.for_model(
        model,
        task.tokenizer,
        task.n_dims,
        method.virtual_tokens or 4,
        init_text=task.dim_names,
    )
    # Registered on the model so that the optimizer trains it with the LoRA.
    model.add_module("mdpo_soft_prompt", soft)
    handle = soft.attach(model)
    log = _train_sampled(
        model, method, task, data, training, seed, "prompt", SoftPromptConditioning(soft)
    )
    handle.remove()
    _save(model, run_dir / "adapter")
    soft.save(run_dir / SOFT_PROMPT_FILE)
    fields = {
        "method": "lora",
        "conditioning": "soft_prompt",
        "reference": reference,
        "adapter_paths": {"adapter": "adapter"},
        "soft_prompt": SOFT_PROMPT_FILE,
        "virtual_tokens": soft.n_tokens,
        "placeholder": soft.placeholder,
    }
    policy = SoftPromptPolicy(model, soft, task.dim_names)
    return policy.eval(), [log], fields


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
    from mdpo.benchmarks.tasks.smollm import bootstrap_interval
    from mdpo.evaluation import Front
    from mdpo.training import write_run_manifest

    out = Path(out_dir).resolve()
    cfg = method.training_for(training)
    run_dir = run_dir_for(out, task_name, method.name, seed)
    start = time.perf_counter()
    policy, logs, fields = _train(method, task, task_params, cfg, seed, out, run_dir)
    trained = time.perf_counter() - start
    write_run_manifest(
        run_dir,
        {
            "base_model": task.config.model,
            "base_model_description": task.model_description,
            "method": method.kind,
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
