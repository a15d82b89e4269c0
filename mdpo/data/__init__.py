"""Dataset schemas, validation and collators for multi-dimension preference data.

- Formats (:mod:`mdpo.data.formats`): :func:`as_rows` reads a ``datasets.Dataset``,
  ``IterableDataset``, pandas ``DataFrame``, dict of columns or list of rows;
  :func:`preference_rows` and :func:`sft_rows` read every TRL preference and SFT format
  (standard or conversational, explicit or implicit prompt, ``messages``, ``text``).
- Schemas: :func:`validate_paired_dpo` (``prompt``, ``response_0``, ``response_1`` and one
  label column per dimension, see :class:`PairedDPOConfig`), :func:`validate_dpo`
  (``prompt``, ``chosen``, ``rejected``), :func:`validate_sft` (``prompt`` + ``completion``
  or ``messages``) and :func:`validate_prompts` (``prompt``).
- Collators: :class:`CompletionCollator`, :class:`PairCollator` and
  :class:`PromptCollator`; masks come from the attention mask, never from the pad id.
- :func:`sequence_logps`: completion log-probs under a causal LM, used by every objective.
"""

from .collators import (
    CompletionCollator,
    PairCollator,
    PromptCollator,
    pad_sequences,
    split_example,
)
from .encoding import encode_completion, encode_prompt, fit_lengths
from .formats import RowView, as_rows, extract_prompt, preference_rows, sft_rows
from .logps import sequence_logps
from .schemas import (
    LABEL_VALUES,
    PairedDPOConfig,
    column_names,
    is_conversation,
    label_to_index,
    validate_dpo,
    validate_paired_dpo,
    validate_prompts,
    validate_sft,
)

__all__ = [
    "LABEL_VALUES",
    "CompletionCollator",
    "PairCollator",
    "PairedDPOConfig",
    "PromptCollator",
    "RowView",
    "as_rows",
    "column_names",
    "encode_completion",
    "encode_prompt",
    "extract_prompt",
    "fit_lengths",
    "is_conversation",
    "label_to_index",
    "pad_sequences",
    "preference_rows",
    "sequence_logps",
    "sft_rows",
    "split_example",
    "validate_dpo",
    "validate_paired_dpo",
    "validate_prompts",
    "validate_sft",
]
