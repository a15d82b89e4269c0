"""Any ``AutoModelForSequenceClassification`` reward model as a scorer."""

from __future__ import annotations

import os
from typing import Any, Literal

import torch

from mdpo._numbers import check_int
from mdpo.models.chat import SystemPrompt, encode_chats
from mdpo.models.padding import with_padding_side

from .base import Scorer
from .registry import register_scorer

__all__ = ["RewardModelScorer"]


@register_scorer("reward_model")
class RewardModelScorer(Scorer):
    """The logit of a sequence-classification reward model, e.g. a Bradley–Terry RM.

    Inputs are formatted either with the tokenizer's chat template (a user turn with the
    prompt and an assistant turn with the completion, tokenized without a doubled BOS) or,
    for classic RMs such as DeBERTa ones, as a text pair ``(prompt, completion)`` with the
    tokenizer's special tokens. They are sorted by length, batched, right-padded (the
    models pool at the rightmost non-pad token, and right padding keeps positions equal to
    the unpadded ones, so batched scores equal unbatched ones) and run in eval mode under
    ``torch.inference_mode``.

    Truncation to ``max_length`` tokens: chat-formatted inputs keep their **last** tokens
    (the pooled position, the end of the answer, survives); text pairs use the tokenizer's
    ``longest_first`` truncation, which keeps its special tokens.

    A missing pad token is set to EOS (on a private copy of the tokenizer), and a model
    config without ``pad_token_id`` gets the tokenizer's. With pad == eos the model pools
    at the last token that is not EOS, as ``transformers`` does for every such RM.

    Args:
        model_or_path: A loaded ``PreTrainedModel`` for sequence classification, or a local
            folder / name loaded with ``AutoModelForSequenceClassification``.
        tokenizer: The tokenizer; required with a model object, loaded from the path
            otherwise.
        batch_size: Sequences per forward pass.
        max_length: Maximum tokens per sequence.
        device: Where to run; ``None`` keeps the model where it is (CPU when loaded here).
        label_index: Which output logit is the reward (``num_labels > 1`` models).
        use_chat_template: ``"auto"`` uses the chat template when the tokenizer has one.
        system: System prompt for the chat template: ``None`` (template default), a string,
            or ``False`` (none); see :func:`mdpo.models.apply_chat`.
        dtype: Parameter dtype when loading from a path.
        trust_remote_code: Passed to ``from_pretrained`` only when True.

    Raises:
        TypeError: If a model object is given without a tokenizer, or ``batch_size`` or
            ``max_length`` is not an int.
        ValueError: For a non-positive ``batch_size``/``max_length``, a ``label_index``
            outside ``[0, num_labels)``, an invalid ``use_chat_template``, or
            ``use_chat_template=True`` with a tokenizer without a template.

    Example:
        >>> from mdpo.scorers import RewardModelScorer
        >>> import tempfile, transformers
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> tok = tiny_chat_tokenizer()
        >>> cfg = transformers.LlamaConfig(vocab_size=259, hidden_size=16, intermediate_size=32,
        ...     num_hidden_layers=1, num_attention_heads=2, num_labels=1, pad_token_id=2)
        >>> rm = transformers.LlamaForSequenceClassification(cfg)
        >>> scorer = RewardModelScorer(rm, tok, batch_size=2)
        >>> scorer(["Hi", "Hi", "Hi"], ["Hello!", "Go away.", "Hey"]).shape
        torch.Size([3])
    """

    name = "reward_model"

    def __init__(
        self,
        model_or_path: Any,
        tokenizer: Any = None,
        *,
        batch_size: int = 16,
        max_length: int = 1024,
        device: str | torch.device | None = None,
        label_index: int = 0,
        use_chat_template: bool | Literal["auto"] = "auto",
        system: SystemPrompt = None,
        dtype: torch.dtype = torch.float32,
        trust_remote_code: bool = False,
    ) -> None:
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        self.max_length = check_int("max_length", max_length, minimum=1)
        if use_chat_template not in (True, False, "auto"):
            raise ValueError(
                f"use_chat_template must be True, False or 'auto', got {use_chat_template!r}"
            )
        if isinstance(model_or_path, str | os.PathLike):
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            extra = {"trust_remote_code": True} if trust_remote_code else {}
            path = os.fspath(model_or_path)
            model = AutoModelForSequenceClassification.from_pretrained(path, dtype=dtype, **extra)
            if tokenizer is None:
                tokenizer = AutoTokenizer.from_pretrained(path, **extra)
        elif isinstance(model_or_path, torch.nn.Module):
            if tokenizer is None:
                raise TypeError(
                    "tokenizer is required when model_or_path is a model object, got None"
                )
            model = model_or_path
        else:
            raise TypeError(
                "model_or_path must be a sequence-classification model or a path, got "
                f"{type(model_or_path).__name__}"
            )
        num_labels = int(getattr(model.config, "num_labels", 1))
        if isinstance(label_index, bool) or not isinstance(label_index, int):
            raise ValueError(f"label_index must be an int, got {label_index!r}")
        if not 0 <= label_index < num_labels:
            raise ValueError(
                f"label_index must be in [0, {num_labels}) for a model with num_labels="
                f"{num_labels}, got {label_index}"
            )
        has_template = bool(getattr(tokenizer, "chat_template", None))
        if use_chat_template is True and not has_template:
            raise ValueError("use_chat_template=True but the tokenizer has no chat_template")
        self.use_chat_template = has_template if use_chat_template == "auto" else use_chat_template
        self.tokenizer = with_padding_side(tokenizer, "right")
        if getattr(model.config, "pad_token_id", None) is None:
            model.config.pad_token_id = self.tokenizer.pad_token_id
        if device is not None:
            model = model.to(device)
        self.model = model.eval()
        self.label_index = label_index
        self.system = system

    def _features(self, prompts: list[str], completions: list[str]) -> list[dict[str, list[int]]]:
        if self.use_chat_template:
            conversations = [
                [{"role": "user", "content": p}, {"role": "assistant", "content": c}]
                for p, c in zip(prompts, completions)
            ]
            ids = encode_chats(
                self.tokenizer, conversations, system=self.system, add_generation_prompt=False
            )
            return [{"input_ids": x[-self.max_length :]} for x in ids]
        enc = self.tokenizer(
            prompts, completions, truncation="longest_first", max_length=self.max_length
        )
        return [{key: enc[key][i] for key in enc} for i in range(len(prompts))]

    def _score(self, prompts: list[str], completions: list[str]) -> torch.Tensor:
        features = self._features(prompts, completions)
        order = sorted(range(len(features)), key=lambda i: -len(features[i]["input_ids"]))
        device = next(self.model.parameters()).device
        scores = torch.empty(len(features), dtype=torch.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                batch = self.tokenizer.pad(
                    [features[i] for i in rows], padding=True, return_tensors="pt"
                )
                batch = {k: v.to(device) for k, v in batch.items()}
                logits = self.model(**batch).logits
                scores[rows] = logits[:, self.label_index].float().cpu()
        return scores
