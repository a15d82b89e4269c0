"""``MDPOTrainer`` against TRL's ``DPOTrainer``: one training step, same model, data and rank.

Run ``python -m mdpo.benchmarks.perf.trainer`` (TRL is the optional ``perf`` extra:
``pip install 'mdpo[perf]'``). Every candidate trains the same base (a random-init Llama of
SmolLM2-135M's shape, or the real SmolLM2-135M-Instruct with ``--model smollm2``) on the same
preference pairs (``--pairs`` per step, prompts and answers of ``--prompt-tokens`` and
``--answer-tokens`` tokens, no chat template, fp32), with adapters of the same total rank
on every attention and MLP linear:

- ``mdpo-m2``: :class:`mdpo.training.MDPOTrainer`, Panacea with m = 2 (k + m·pref_rank =
  ``--rank``), a per-pair λ, the DPO losses of both dimensions aggregated (LS);
- ``mdpo-m1``: the same with one dimension (k + pref_rank = ``--rank``);
- ``mdpo-m2-precomputed``: ``mdpo-m2`` with ``precompute_ref_log_probs=True`` (the
  reference pass over the data happens when the trainer is built and is not timed);
- ``trl``: TRL's ``DPOTrainer`` with a peft ``LoraConfig`` of rank ``--rank``;
- ``trl-precomputed``: the same with ``precompute_ref_log_probs=True`` (the reference pass
  over the data happens before training and is not timed);
- any of these with ``+compile`` (``mdpo-m2+compile``): the same trainer stepping the model
  through ``torch.compile`` (``--compile-backend``, inductor by default), as
  ``TrainingArguments.torch_compile`` would; compilation happens in the warm-up steps.

``--profile FILE`` instead runs ``--repeats`` steps of the first candidate under
``torch.profiler`` and writes its operator table (self time, sorted), to see where a step
goes.

Both libraries compute the reference with the adapter disabled (mdpo: on the fly, as
``trl`` does). One step is the trainer's own ``training_step`` (collation of the batch,
forward of policy and reference, loss, backward) plus the optimizer and scheduler steps.
Steps alternate between candidates in rotating order, so drifting machine load hits all
alike; medians with order-statistic 95 % intervals and the per-round paired ratio against
``trl`` are printed and written as JSON (``--out``).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import tempfile
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import torch

from mdpo.benchmarks.perf._timing import format_table, interleaved, median_interval, paired_ratio

__all__ = ["build_candidates", "main", "pairs_dataset", "profile_step"]

_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def pairs_dataset(
    tokenizer: Any, n: int, *, prompt_tokens: int, answer_tokens: int, seed: int = 0
) -> Any:
    """``n`` preference pairs of random words, in both libraries' layouts.

    Args:
        tokenizer: The tokenizer (lengths are measured with it).
        n: Number of pairs.
        prompt_tokens: Tokens per prompt (about).
        answer_tokens: Tokens per answer (about).
        seed: Seed of the word draws.

    Returns:
        A ``datasets.Dataset`` with ``prompt``, ``chosen``, ``rejected`` (TRL's explicit-prompt
        format) and mdpo's paired columns ``response_0``/``response_1`` with labels ``a``
        and ``b`` (0: ``response_0`` is better).
    """
    from datasets import Dataset

    words = [w for w in ("alpha beta gamma delta river stone cloud green paper light " * 3).split()]
    g = torch.Generator().manual_seed(seed)

    def text(tokens: int) -> str:
        out: list[str] = []
        while len(tokenizer(" ".join(out), add_special_tokens=False)["input_ids"]) < tokens:
            out.append(words[int(torch.randint(len(words), (1,), generator=g))])
        return " ".join(out)

    rows = []
    for i in range(n):
        prompt, chosen, rejected = text(prompt_tokens), text(answer_tokens), text(answer_tokens)
        rows.append(
            {
                "prompt": prompt,
                "chosen": " " + chosen,
                "rejected": " " + rejected,
                "response_0": " " + chosen,
                "response_1": " " + rejected,
                "a": 0,
                "b": i % 2,
            }
        )
    return Dataset.from_list(rows)


def _step_of(trainer: Any, steps: int, compile_backend: str | None = None) -> Callable[[], float]:
    """One optimizer step of a ``transformers.Trainer`` as a closure (its own batches).

    With ``compile_backend``, the step runs the model through ``torch.compile`` with that
    backend, the way accelerate wraps it under ``TrainingArguments.torch_compile``.
    """
    trainer.create_optimizer_and_scheduler(num_training_steps=steps)
    batches = itertools.cycle(list(trainer.get_train_dataloader()))
    model = trainer.model
    model.train()
    if compile_backend is not None:
        model = torch.compile(model, backend=compile_backend)
    trainer.current_gradient_accumulation_steps = 1  # what Trainer's own loop sets per step

    def step() -> float:
        loss = trainer.training_step(model, next(batches))
        trainer.optimizer.step()
        trainer.lr_scheduler.step()
        model.zero_grad(set_to_none=True)
        return float(loss)

    return step


def build_candidates(
    make_model: Callable[[], Any],
    tokenizer: Any,
    data: Any,
    *,
    rank: int,
    pairs: int,
    steps: int,
    workdir: str,
    names: Sequence[str] = ("mdpo-m2", "mdpo-m1", "trl", "trl-precomputed"),
    compile_backend: str = "inductor",
) -> dict[str, Callable[[], float]]:
    """One step closure per candidate (see the module docstring).

    Args:
        make_model: Builds a fresh base model (each candidate gets its own).
        tokenizer: The tokenizer.
        data: :func:`pairs_dataset`'s dataset.
        rank: Total adapter rank of every candidate.
        pairs: Pairs per step.
        steps: Steps the schedulers are built for.
        workdir: Folder for the trainers' output dirs (nothing is saved).
        names: Which candidates to build; ``trl*`` need the ``trl`` package; a name ending
            in ``+compile`` steps through ``torch.compile``.
        compile_backend: The ``torch.compile`` backend of ``+compile`` candidates.

    Returns:
        Name → step closure.

    Raises:
        ValueError: If ``rank`` is too small for a Panacea candidate or a name is unknown.
        ImportError: If a ``trl`` candidate is asked for without TRL installed.
    """
    from mdpo.adapters import PanaceaConfig, get_panacea_model
    from mdpo.objectives import DPOObjective
    from mdpo.training import MDPOConfig, MDPOTrainer

    common = {
        "per_device_train_batch_size": pairs,
        "learning_rate": 1e-4,
        "use_cpu": not torch.cuda.is_available(),
        "report_to": "none",
        "save_strategy": "no",
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
        "seed": 0,
    }
    out: dict[str, Callable[[], float]] = {}
    for name in names:
        folder = os.path.join(workdir, name)
        compiled = name.endswith("+compile")
        kind = name.removesuffix("+compile")
        if kind in ("mdpo-m1", "mdpo-m2", "mdpo-m1-precomputed", "mdpo-m2-precomputed"):
            m = int(kind[len("mdpo-m")])
            pref_rank = 4 if rank - 4 * m >= 1 else 1
            k = rank - pref_rank * m
            if k < 1:
                raise ValueError(f"rank must exceed {m} for {name}, got {rank}")
            dims = ["a", "b"][:m]
            model = get_panacea_model(
                make_model(),
                PanaceaConfig(r=k, n_dims=m, pref_rank=pref_rank, target_modules=_TARGETS),
            )
            objective = DPOObjective(
                dims, label_columns={d: d for d in dims}, chat_template=False, max_length=None
            )
            args = MDPOConfig(
                output_dir=folder,
                dim_names=dims,
                max_steps=steps,
                precompute_ref_log_probs=kind.endswith("-precomputed"),
                **common,
            )
            trainer = MDPOTrainer(model, args, objective, data, processing_class=tokenizer)
        elif kind in ("trl", "trl-precomputed"):
            from peft import LoraConfig
            from trl import DPOConfig, DPOTrainer

            args = DPOConfig(
                output_dir=folder,
                max_steps=steps,
                max_length=None,
                precompute_ref_log_probs=kind == "trl-precomputed",
                **common,
            )
            lora = LoraConfig(r=rank, lora_alpha=rank, target_modules=_TARGETS)
            trl_data = data.select_columns(["prompt", "chosen", "rejected"])
            trainer = DPOTrainer(
                make_model(),
                args=args,
                train_dataset=trl_data,
                processing_class=tokenizer,
                peft_config=lora,
            )
        else:
            raise ValueError(
                f"unknown candidate {name!r}; allowed: mdpo-m1, mdpo-m2, trl (each also with "
                "'-precomputed'), each optionally with '+compile'"
            )
        out[name] = _step_of(trainer, steps, compile_backend if compiled else None)
    return out


def profile_step(step: Callable[[], float], *, repeats: int, warmup: int, rows: int = 30) -> str:
    """``torch.profiler``'s operator table of ``repeats`` calls of ``step``.

    Args:
        step: One training step (a :func:`build_candidates` closure).
        repeats: Profiled steps.
        warmup: Unprofiled steps first (compilation, allocator warm-up).
        rows: Operators shown.

    Returns:
        The table, sorted by self time (CUDA self time where a GPU ran the steps), and a
        last line with the leaf ``aten`` operator calls per step.
    """
    from torch.profiler import ProfilerActivity, profile

    for _ in range(warmup):
        step()
    cuda = torch.cuda.is_available()
    activities = [ProfilerActivity.CPU, *([ProfilerActivity.CUDA] if cuda else [])]
    with profile(activities=activities) as prof:
        for _ in range(repeats):
            step()
        if cuda:
            torch.cuda.synchronize()
    key = "self_cuda_time_total" if cuda else "self_cpu_time_total"
    table = str(prof.key_averages().table(sort_by=key, row_limit=rows))
    leaves = sum(1 for e in prof.events() if e.name.startswith("aten::") and not e.cpu_children)
    return (
        f"{table}\nleaf aten operator calls per step (about the kernel launches on a GPU): "
        f"{leaves / repeats:.0f}"
    )


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m mdpo.benchmarks.perf.trainer", description=__doc__)
    p.add_argument("--model", default=None, help="a load_causal_lm name (smollm2) or path")
    p.add_argument("--layers", type=int, default=None, help="layers of the random-init model")
    p.add_argument("--pairs", type=int, default=4)
    p.add_argument("--prompt-tokens", type=int, default=48)
    p.add_argument("--answer-tokens", type=int, default=80)
    p.add_argument("--rank", type=int, default=10, help="total adapter rank of every candidate")
    p.add_argument("--repeats", type=int, default=8)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--candidates", default="mdpo-m2,mdpo-m1,trl,trl-precomputed")
    p.add_argument("--compile-backend", default="inductor", help="backend of +compile candidates")
    p.add_argument("--profile", default=None, help="profile the first candidate; table here")
    p.add_argument("--out", default=None, help="write the results as JSON here")
    args = p.parse_args(argv)
    for name in ("pairs", "prompt_tokens", "answer_tokens", "rank", "repeats"):
        if getattr(args, name) < 1:
            p.error(f"argument --{name.replace('_', '-')}: must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; prints a table and optionally writes JSON.

    Args:
        argv: Command-line arguments (``sys.argv[1:]`` when None).

    Returns:
        0.
    """
    from mdpo.benchmarks.perf.dpo_step import smollm2_shaped_llama

    args = _parse(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.model:
        from mdpo.models import load_causal_lm

        base, tokenizer = load_causal_lm(args.model, dtype=torch.float32)
        state = {k: v.detach().clone() for k, v in base.state_dict().items()}

        def make_model() -> Any:
            model = type(base)(base.config)
            model.load_state_dict(state)
            return model

        model_name = args.model
    else:
        from mdpo.testing import tiny_chat_tokenizer

        tokenizer = tiny_chat_tokenizer()

        def make_model() -> Any:
            return smollm2_shaped_llama(num_layers=args.layers)

        model_name = f"random-init SmolLM2-shaped Llama ({args.layers or 30} layers)"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    steps = args.warmup + args.repeats
    data = pairs_dataset(
        tokenizer,
        args.pairs * steps,
        prompt_tokens=args.prompt_tokens,
        answer_tokens=args.answer_tokens,
    )
    names = [n.strip() for n in args.candidates.split(",") if n.strip()]
    with tempfile.TemporaryDirectory() as work, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        candidates = build_candidates(
            make_model,
            tokenizer,
            data,
            rank=args.rank,
            pairs=args.pairs,
            steps=steps,
            workdir=work,
            names=names,
            compile_backend=args.compile_backend,
        )
        if args.profile:
            table = profile_step(candidates[names[0]], repeats=args.repeats, warmup=args.warmup)
            from mdpo._io import atomic_write

            atomic_write(args.profile, lambda fh: fh.write(table + "\n"), binary=False)
            print(table)
            return 0
        times = interleaved(candidates, repeats=args.repeats, warmup=args.warmup)
    baseline = "trl" if "trl" in times else names[0]
    rows, result = [], {}
    for name, samples in times.items():
        summary = median_interval(samples)
        ratio = paired_ratio(samples, times[baseline])
        result[name] = {"seconds": summary.as_dict(), f"ratio_to_{baseline}": ratio.as_dict()}
        rows.append(
            [
                name,
                f"{summary.median:.3f}",
                f"[{summary.low:.3f}, {summary.high:.3f}]",
                f"{ratio.median:.3f}",
            ]
        )
    print(format_table(rows, ["candidate", "s/step", "95% interval", f"× {baseline}"]))
    if args.out:
        from mdpo._io import atomic_write_json

        atomic_write_json(
            args.out,
            {
                "model": model_name,
                "settings": {k: v for k, v in vars(args).items() if k != "out"},
                "torch_threads": torch.get_num_threads(),
                "platform": platform.platform(),
                "results": result,
                "samples": times,
            },
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
