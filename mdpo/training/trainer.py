"""`MDPOTrainer`: preference-sampled multi-dimension training on :class:`transformers.Trainer`."""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import torch
from torch import nn
from transformers import Trainer

from mdpo._io import atomic_write
from mdpo.conditioning import NoConditioning
from mdpo.preferences import check_preference

from .checkpoint import (
    adapter_kind,
    load_adapter_weights,
    load_mdpo_state,
    save_adapter,
    save_mdpo_state,
)
from .config import MDPOConfig
from .evaluation import eval_parts, evaluate_parts
from .ideal import IdealPointTracker
from .metrics import MetricAccumulator, batch_metrics
from .policy_view import policy_view
from .rows import ROW_KEY, RowIndexDataset, collate_rows
from .sampling import expand_rows, training_preferences
from .setup import as_multi_objective, check_dimensions, resolve_conditioning, stream_length

__all__ = ["MDPOTrainer"]


class MDPOTrainer(Trainer):
    r"""Train one adapter on m objectives under sampled preferences, with Trainer's loop.

    Each micro-batch is a set of **global row indices** (a stream ``0, 1, 2, ...`` that
    Trainer/accelerate shard across DDP ranks and accumulation micro-batches). For each
    micro-batch at global step t the trainer

    1. draws λ per row (or per step) as a pure function of ``(args.seed, t, row)``
       (:func:`~mdpo.training.training_preferences`), or uses ``args.fixed_preference``;
    2. calls the objective, which draws each dimension's examples as a pure function of
       ``(seed, t, dim, row)``, applies the conditioning and returns
       ``LossOutput(losses [b, m], mask [b, m], metrics)``;
    3. updates the tracked ideal point z (see :class:`~mdpo.training.MDPOConfig`;
       min-combined across ranks);
    4. returns ``aggregator.reduce(losses, λ, mask=mask, ideal=z)``, which Trainer
       backpropagates and steps.

    Nothing about the data lives in loader state, so resuming from a checkpoint, or
    running under DDP, draws exactly the same λ and examples. Checkpoints hold the
    **adapter weights only** (``adapter_config.json`` + ``adapter_model.safetensors``, the
    adapter's own ``save_pretrained`` format) plus Trainer's optimizer, scheduler, RNG and
    state files, and ``mdpo_state.pt`` with the tracked ideal point and the objective's
    running statistics.

    Args:
        model: A :class:`mdpo.adapters.PanaceaModel` or a ``peft.PeftModel``.
        args: The :class:`~mdpo.training.MDPOConfig`.
        objective: A :class:`mdpo.objectives.MultiObjective`, or a single
            :class:`mdpo.objectives.Objective` together with ``train_dataset``. A single
            objective without dimension names is named after ``args.dim_names`` (one
            name) or, failing that, after its kind (``"dpo"``, ``"sft"``, ``"rlhf"``).
        train_dataset: The dataset of a single ``objective``: any TRL preference or SFT
            format in a ``datasets.Dataset``, ``IterableDataset``, pandas ``DataFrame`` or
            list of rows (see :mod:`mdpo.data.formats`).
        eval_dataset: Held-out data evaluated at every evaluation (``args.eval_strategy``)
            and by :meth:`evaluate`: a dataset for a single objective (or a composition of
            one component), else ``{component key: dataset}`` (keys are the dimension names
            joined by ``+``; components without an entry are skipped).
        processing_class: The tokenizer.
        tokenizer: Alias of ``processing_class``.
        conditioning: How λ reaches the policy (:mod:`mdpo.conditioning`). A Panacea model
            needs ``AdapterConditioning()`` (the default for it). A plain peft model needs
            ``PromptConditioning`` to sample λ; with ``args.fixed_preference`` it defaults
            to ``NoConditioning()``.
        callbacks: Extra Trainer callbacks.
        optimizers: ``(optimizer, scheduler)`` as for Trainer.
        train_data: Deprecated alias of ``train_dataset`` (a ``FutureWarning`` says so).

    Raises:
        TypeError: If ``args`` is not an :class:`MDPOConfig`, the model carries no adapter
            or ``objective`` is not an objective.
        ValueError: On a mismatch between the objective's m and the adapter's ``n_dims``,
            ``args.dim_names``, ``args.fixed_preference`` or ``args.ideal``; when λ would
            be sampled but cannot reach the policy (no adapter and no prompt conditioning);
            on a conditioning that needs an adapter the model lacks, or a Panacea model
            with a conditioning that does not write λ into it; or on a dataset
            without the needed columns (raised by :mod:`mdpo.data` validation).

    Example:
        See the README and ``tests/training/test_examples.py``: wrap a model with
        :func:`mdpo.adapters.get_panacea_model`, build a
        :class:`mdpo.objectives.DPOObjective`, then
        ``MDPOTrainer(model, MDPOConfig(...), objective, pairs,
        processing_class=tok).train()``.
    """

    def __init__(
        self,
        model: nn.Module,
        args: MDPOConfig,
        objective: Any,
        train_dataset: Any = None,
        eval_dataset: Any = None,
        *,
        processing_class: Any = None,
        tokenizer: Any = None,
        conditioning: Any = None,
        callbacks: list[Any] | None = None,
        optimizers: tuple[Any, Any] = (None, None),
        train_data: Any = None,
    ) -> None:
        if not isinstance(args, MDPOConfig):
            raise TypeError(
                f"args must be an mdpo.training.MDPOConfig, got {type(args).__name__}; "
                "MDPOConfig accepts every TrainingArguments field"
            )
        both = processing_class is not None and tokenizer is not None
        if both and tokenizer is not processing_class:
            raise ValueError("pass the tokenizer once, as processing_class (tokenizer is an alias)")
        processing_class = processing_class if processing_class is not None else tokenizer
        kind = adapter_kind(model)
        if kind is None:
            raise TypeError(
                "model must be a mdpo.adapters.PanaceaModel (get_panacea_model) or a "
                f"peft.PeftModel (get_peft_model); MDPOTrainer trains adapters only, got "
                f"{type(model).__name__}"
            )
        self.adapter_kind = kind
        if train_data is not None:
            if train_dataset is not None:
                raise ValueError(
                    "pass the dataset once, as train_dataset (train_data is its deprecated alias)"
                )
            warnings.warn(
                "MDPOTrainer(train_data=...) is deprecated; pass train_dataset=... as in TRL",
                FutureWarning,
                stacklevel=2,
            )
            train_dataset = train_data
        self.objective = as_multi_objective(objective, train_dataset, args)
        self.dim_names = list(self.objective.dim_names)
        m = len(self.dim_names)
        self.n_dims = m
        check_dimensions(args, self.dim_names)
        if kind == "panacea" and model.n_dims != m:
            raise ValueError(
                f"the objective has m={m} dimensions {self.dim_names} but the Panacea adapter "
                f"has n_dims={model.n_dims}; build the adapter with "
                f"PanaceaConfig(n_dims={m}, ...)"
            )
        self.conditioning = resolve_conditioning(conditioning, kind, args, self.dim_names)
        from mdpo.aggregators import get_aggregator

        self.aggregator = get_aggregator(args.aggregator, **args.aggregator_kwargs)
        self.ideal_tracker = IdealPointTracker(m, args.ideal_margin)
        self.fixed_ideal = None if args.ideal == "track" else torch.tensor(args.ideal)
        # Checked once here (the config checked it too); every step repeats it to its rows.
        self.fixed_preference = (
            None
            if args.fixed_preference is None
            else check_preference(args.fixed_preference, m, name="args.fixed_preference")
        )
        self._metrics = MetricAccumulator()
        self.eval_parts = [] if eval_dataset is None else eval_parts(self.objective, eval_dataset)
        super().__init__(
            model=model,
            args=args,
            data_collator=collate_rows,
            train_dataset=RowIndexDataset(stream_length(args, self.objective)),
            # Trainer only checks that evaluation has data; evaluate() reads self.eval_parts.
            eval_dataset=RowIndexDataset(1) if self.eval_parts else None,
            processing_class=processing_class,
            callbacks=callbacks,
            optimizers=optimizers,
        )
        if args.precompute_ref_log_probs:
            from .reference import precompute_reference, reference_batch_size

            precompute_reference(
                self.objective,
                self.model,
                self.processing_class,
                batch_size=reference_batch_size(args),
            )
        # compute_loss returns a per-micro-batch mean: Trainer divides by the accumulation steps.
        self.loss_is_scaled_for_ga = False
        self._grad_norms: list[dict[str, float]] = []
        if args.log_dynamics:
            from .callbacks import GradientNormCallback

            self.add_callback(GradientNormCallback(self))

    # ------------------------------------------------------------------ data
    def _get_train_sampler(self, train_dataset: Any = None) -> torch.utils.data.Sampler:
        """Always sequential: row i of the stream is the run's i-th row."""
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        return torch.utils.data.SequentialSampler(dataset)

    def floating_point_ops(self, inputs: dict[str, Any]) -> int:
        """FLOPs are not estimated: the inputs are row indices, not tokens.

        Args:
            inputs: The micro-batch.

        Returns:
            0.
        """
        return 0

    # ------------------------------------------------------------------ loss
    def compute_loss(
        self,
        model: nn.Module,
        inputs: dict[str, torch.Tensor],
        return_outputs: bool = False,
        num_items_in_batch: Any = None,
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """Aggregate the objective's per-dimension losses for one micro-batch of rows.

        Args:
            model: The (possibly DDP-wrapped) model.
            inputs: ``{"rows": LongTensor [b]}``, global row indices.
            return_outputs: Also return the objective's ``LossOutput``.
            num_items_in_batch: Ignored (the loss is a per-micro-batch mean).

        Returns:
            The scalar aggregated loss, and the ``LossOutput`` if ``return_outputs``.
        """
        rows = inputs[ROW_KEY]
        step = int(self.state.global_step)
        if self.fixed_preference is not None:
            lam = expand_rows(self.fixed_preference, rows)
        else:
            lam = training_preferences(
                rows,
                step,
                self.n_dims,
                seed=int(self.args.seed),
                mode=self.args.preference_sampling,
                vertex_prob=self.args.vertex_prob,
            )
        # The objective validates λ (once per step); from there on it is trusted, down to the
        # adapter and the aggregator.
        out = self.objective(
            policy_view(model, self.accelerator.unwrap_model(model)),
            rows,
            step,
            lam,
            tokenizer=self.processing_class,
            conditioning=self.conditioning,
        )
        losses, mask = out.losses, out.mask
        row_lam = out.preferences if getattr(out, "preferences", None) is not None else lam
        row_lam = row_lam.to(device=losses.device, dtype=losses.dtype)
        z = self._update_ideal(losses, mask)
        ideal = z.to(device=losses.device, dtype=losses.dtype) if z is not None else None
        loss = self.aggregator._reduce(
            losses,
            row_lam,
            mask=mask,
            ideal=ideal if self.aggregator.requires_ideal else None,
            trusted=True,
        )
        self._metrics.add(batch_metrics(self.dim_names, losses, mask, row_lam, out.metrics))
        return (loss, out) if return_outputs else loss

    def _update_ideal(self, losses: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if self.fixed_ideal is not None:
            return self.fixed_ideal
        combine = self._min_over_ranks if self.accelerator.num_processes > 1 else None
        self.ideal_tracker.update(losses, mask, combine=combine)
        return self.ideal_tracker.for_aggregator()

    def _min_over_ranks(self, candidate: torch.Tensor) -> torch.Tensor:
        gathered = self.accelerator.gather(candidate.to(self.accelerator.device))
        return gathered.reshape(-1, candidate.shape[-1]).min(dim=0).values

    # ------------------------------------------------------------------ evaluation
    def evaluate(
        self,
        eval_dataset: Any = None,
        ignore_keys: list[str] | None = None,
        metric_key_prefix: str = "eval",
    ) -> dict[str, float]:
        """Per-dimension eval losses and DPO metrics at each λ of a small grid.

        Every eval row is scored (in order, ``per_device_eval_batch_size`` rows a forward)
        at each λ of ``preference_grid(m, args.eval_preference_partitions)``
        (:func:`mdpo.training.evaluation.evaluate_parts`). The metrics are logged (so
        they reach ``report_to`` and ``state.log_history``) and returned.

        Args:
            eval_dataset: Overrides the trainer's ``eval_dataset`` (same forms).
            ignore_keys: Unused (Trainer's signature).
            metric_key_prefix: Prefix of every metric name.

        Returns:
            ``{prefix}_loss`` (the mean over the grid of λ·losses, what
            ``metric_for_best_model="loss"`` compares), and for each λ tag t (e.g.
            ``0.50,0.50``) ``{prefix}_loss/{dim}@t``, ``{prefix}_dpo/{dim}/margin@t``,
            ``{prefix}_dpo/{dim}/accuracy@t`` and the objectives' other metrics.

        Raises:
            ValueError: If there is no eval data.
        """
        from mdpo.preferences import preference_grid

        parts = (
            self.eval_parts if eval_dataset is None else eval_parts(self.objective, eval_dataset)
        )
        if not parts:
            raise ValueError(
                "evaluate() has no data: pass eval_dataset= to MDPOTrainer or to evaluate()"
            )
        unwrapped = self.accelerator.unwrap_model(self.model)
        was_training = unwrapped.training
        unwrapped.eval()
        try:
            raw = evaluate_parts(
                unwrapped,
                parts,
                self.dim_names,
                preference_grid(self.n_dims, self.args.eval_preference_partitions),
                batch_size=self.args.per_device_eval_batch_size,
                tokenizer=self.processing_class,
                conditioning=self.conditioning,
                seed=int(self.args.seed),
            )
        finally:
            unwrapped.train(was_training)
        metrics = {f"{metric_key_prefix}_{k}": v for k, v in raw.items()}
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(
            self.args, self.state, self.control, metrics
        )
        return metrics

    # ------------------------------------------------------------------ logging
    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Add the per-dimension losses, J, λ statistics, ideal point and objective metrics.

        Args:
            logs: Trainer's logs; training logs (those with ``"loss"``) get the MDPO
                metrics of :func:`~mdpo.training.batch_metrics` averaged since the last
                logging step (over this rank's micro-batches; minima and maxima for the λ
                statistics) and the current ideal point ``ideal/{dim}``.
            start_time: Passed to Trainer.
        """
        if "loss" in logs:
            logs = {**logs, **self._metrics.pop()}
            z = self.fixed_ideal if self.fixed_ideal is not None else self.ideal_tracker.value
            for name, value in zip(self.dim_names, z.tolist()):
                if math.isfinite(value):
                    logs[f"ideal/{name}"] = value
            if self.args.log_dynamics:
                logs.update(self.dynamics())
        super().log(logs, start_time)

    def dynamics(self) -> dict[str, float]:
        """The learning-dynamics record of this logging step (``MDPOConfig.log_dynamics``).

        Returns:
            :func:`~mdpo.training.dynamics.adapter_statistics`, the mean of
            :func:`~mdpo.training.dynamics.gradient_norms` over the optimizer steps since
            the last call, and :func:`~mdpo.training.dynamics.preference_probe` on the
            fixed probe rows (the model is put in eval mode for the probe and restored).
        """
        from mdpo.training.dynamics import adapter_statistics, preference_probe

        unwrapped = self.accelerator.unwrap_model(self.model)
        out = adapter_statistics(unwrapped)
        if self._grad_norms:
            keys = sorted({k for entry in self._grad_norms for k in entry})
            for key in keys:
                values = [e[key] for e in self._grad_norms if key in e]
                out[key] = sum(values) / len(values)
            self._grad_norms.clear()
        was_training = unwrapped.training
        unwrapped.eval()
        try:
            out.update(
                preference_probe(
                    policy_view(self.model, unwrapped),
                    self.objective,
                    list(range(self.args.probe_rows)),
                    tokenizer=self.processing_class,
                    conditioning=self.conditioning,
                    preference_dependent=not isinstance(self.conditioning, NoConditioning),
                )
            )
        finally:
            unwrapped.train(was_training)
        return out

    # ------------------------------------------------------------------ checkpoints
    def mdpo_state_dict(self) -> dict[str, Any]:
        """The trainer's MDPO state: tracked ideal point and the objective's statistics.

        Returns:
            ``{"ideal": {...}, "objective": {...}, "dim_names": [...]}``.
        """
        objective_state = (
            self.objective.state_dict() if hasattr(self.objective, "state_dict") else {}
        )
        return {
            "ideal": self.ideal_tracker.state_dict(),
            "objective": objective_state,
            "dim_names": list(self.dim_names),
        }

    def load_mdpo_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`mdpo_state_dict`'s output.

        Args:
            state: As returned by :meth:`mdpo_state_dict`.

        Raises:
            ValueError: If the stored dimension names differ from this run's.
        """
        stored = list(state.get("dim_names", self.dim_names))
        if stored != self.dim_names:
            raise ValueError(
                f"checkpoint was trained on dimensions {stored}, this run has {self.dim_names}"
            )
        self.ideal_tracker.load_state_dict(state["ideal"])
        if state.get("objective") and hasattr(self.objective, "load_state_dict"):
            self.objective.load_state_dict(state["objective"])

    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        """Write the adapter, the MDPO state, the tokenizer and the arguments (main process)."""
        output_dir = output_dir if output_dir is not None else self.args.output_dir
        if not self.args.should_save:
            return
        os.makedirs(output_dir, exist_ok=True)
        save_adapter(self.accelerator.unwrap_model(self.model), output_dir)
        save_mdpo_state(output_dir, self.mdpo_state_dict())
        if self.processing_class is not None:
            self.processing_class.save_pretrained(output_dir)
        text = self.args.to_json_string()
        atomic_write(
            os.path.join(output_dir, "mdpo_config.json"), lambda fh: fh.write(text), binary=False
        )

    def _load_from_checkpoint(
        self, resume_from_checkpoint: str, model: nn.Module | None = None
    ) -> None:
        """Load the adapter weights and the MDPO state of a checkpoint."""
        target = self.accelerator.unwrap_model(model if model is not None else self.model)
        load_adapter_weights(target, resume_from_checkpoint)
        state = load_mdpo_state(resume_from_checkpoint)
        if state is not None:
            self.load_mdpo_state_dict(state)

    def _load_best_model(self) -> None:
        """Load the adapter of the best checkpoint (``load_best_model_at_end``)."""
        best = self.state.best_model_checkpoint
        if best is not None:
            load_adapter_weights(self.accelerator.unwrap_model(self.model), best)
