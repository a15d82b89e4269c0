"""SFT: the negative log-likelihood of demonstration completions as one dimension's loss."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import torch

from mdpo.data import CompletionCollator, sft_rows, split_example, validate_sft

from .base import Objective, ObjectiveInputs, check_dim_names, scatter_rows
from .losses import sft_loss
from .output import LossOutput

__all__ = ["SFTObjective"]


class SFTObjective(Objective):
    """Supervised fine-tuning on ``(prompt, completion)`` or conversational ``messages``.

    The loss is :func:`~mdpo.objectives.sft_loss` (per-token mean NLL by default) and
    J = −loss, the mean log-likelihood.

    Args:
        dim_names: The dimension's name (one str, or a list of one); None to let
            :class:`~mdpo.objectives.MultiObjective` or the trainer name it.
        max_length: Maximum prompt + completion tokens.
        max_prompt_length: Maximum prompt tokens (the prompt is truncated first).
        reduction: ``"mean"`` per token or ``"sum"`` per sequence.
        chat_template: See :class:`~mdpo.data.CompletionCollator`.
        dim_name: Alias of ``dim_names`` (the spelling of earlier versions).

    Raises:
        ValueError: For several names, both spellings at once, or a bad ``reduction``.

    Example:
        >>> from mdpo.objectives import SFTObjective
        >>> SFTObjective("formal").dim_names
        ['formal']
    """

    kind = "sft"
    fixed_sequences = True

    def __init__(
        self,
        dim_names: str | Sequence[str] | None = None,
        *,
        max_length: int | None = 512,
        max_prompt_length: int | None = None,
        reduction: Literal["mean", "sum"] = "mean",
        chat_template: bool | None = None,
        dim_name: str | None = None,
    ) -> None:
        if dim_name is not None:
            if dim_names is not None:
                raise ValueError(
                    f"pass the dimension name once: dim_names={dim_names!r} and its alias "
                    f"dim_name={dim_name!r} were both given"
                )
            dim_names = dim_name
        names = check_dim_names(dim_names)
        if names is not None and len(names) != 1:
            raise ValueError(
                f"dim_names must be one name (an SFTObjective fills one dimension), "
                f"got {dim_names!r}"
            )
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        self.dim_names = names
        self.reduction = reduction
        self.collator = CompletionCollator(
            None,
            max_length=max_length,
            max_prompt_length=max_prompt_length,
            chat_template=chat_template,
        )

    def prepare_data(self, data: Any) -> Any:
        """SFT data in any TRL format (:func:`mdpo.data.sft_rows`).

        Args:
            data: Any container :func:`mdpo.data.as_rows` reads, with ``prompt`` +
                ``completion``, ``messages`` or ``text``.

        Returns:
            Random-access rows with ``prompt`` + ``completion`` or ``messages``.

        Raises:
            TypeError: For a container of another type.
            ValueError: For data in no SFT format (naming the columns present).
        """
        return sft_rows(data)

    def validate_data(self, data: Any) -> None:
        """Check ``prompt`` + ``completion`` or ``messages`` (:func:`~mdpo.data.validate_sft`).

        Raises as :meth:`Objective.validate_data <mdpo.objectives.Objective.validate_data>`.
        """
        validate_sft(data)

    def _compute(self, call: ObjectiveInputs) -> LossOutput:
        """SFT losses of ``B`` examples at their rows' λ.

        Args:
            call: Rows with ``prompt`` + ``completion`` or ``messages`` and their λ
                ``[B, M]``; the generator is unused.

        Returns:
            ``LossOutput`` with ``losses [B, 1]``, ``mask [B, 1]`` (False for dropped
            examples) and metrics ``sft/<dim>/nll`` and ``J/<dim>``.
        """
        model, examples, preferences, tokenizer, conditioning, _ = call
        (dim,) = self._require_dims()
        B = len(examples)
        pairs = [split_example(ex) for ex in examples]
        formatted = conditioning._formatted([p for p, _ in pairs], preferences)
        rows = [{"prompt": p, "completion": c} for p, (_, c) in zip(formatted, pairs)]
        self.collator.tokenizer = tokenizer
        batch = self.collator(rows)
        kept = batch["kept"]
        if len(kept) == 0:
            return self._no_signal(B, "dropped")
        _, token_logps = self._policy_logps(model, batch, preferences[kept], conditioning)
        mask = batch["completion_mask"].to(token_logps.device)
        loss = sft_loss(token_logps, mask, reduction=self.reduction)  # [n]
        mean = loss.detach().mean().cpu()
        has = torch.ones(len(kept), 1, dtype=torch.bool, device=loss.device)
        return LossOutput(
            losses=scatter_rows(loss[:, None], kept, B),
            mask=scatter_rows(has, kept, B),
            metrics={
                f"sft/{dim}/nll": mean,
                f"J/{dim}": -mean,
                f"sft/{dim}/dropped": torch.tensor(float(B - len(kept))),
            },
        )
