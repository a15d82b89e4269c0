"""Tiny models and tokenizers built from configs, for tests, doctests and examples.

Nothing here downloads. :func:`tiny_chat_tokenizer` is a byte-level tokenizer (every byte
is one token) with SmolLM2's special tokens and chat template, including its traps:
pad == eos == ``<|im_end|>``, bos == ``<|im_start|>`` and a default system prompt.
:func:`tiny_causal_lm` builds a randomly initialised Llama, Qwen2 or GPT-2 of a few
thousand parameters whose vocabulary matches that tokenizer.
"""

from __future__ import annotations

from typing import Any, Literal

import torch

__all__ = ["DEFAULT_SYSTEM_PROMPT", "tiny_causal_lm", "tiny_chat_tokenizer"]

DEFAULT_SYSTEM_PROMPT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
"""The system prompt SmolLM2's chat template injects when a conversation has none."""

_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\n" + DEFAULT_SYSTEM_PROMPT + "<|im_end|>\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def tiny_chat_tokenizer(*, add_bos_token: bool = False) -> Any:
    """A byte-level fast tokenizer with SmolLM2's special tokens and chat template.

    Args:
        add_bos_token: If True, plain encoding prepends ``<|im_start|>`` as Llama-style
            tokenizers do; used to test that the chat template's BOS is not doubled.

    Returns:
        A :class:`transformers.PreTrainedTokenizerFast` with 259 tokens: ids 0–2 are
        ``<|endoftext|>``, ``<|im_start|>`` and ``<|im_end|>``, ids 3–258 the bytes.

    Example:
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> tok = tiny_chat_tokenizer()
        >>> tok.pad_token == tok.eos_token == "<|im_end|>", len(tok)
        (True, 259)
        >>> tok.decode(tok("héllo").input_ids)
        'héllo'
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {tok: i for i, tok in enumerate([*_SPECIALS, *alphabet])}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    if add_bos_token:
        backend.post_processor = processors.TemplateProcessing(
            single="<|im_start|> $A",
            pair="<|im_start|> $A $B",
            special_tokens=[("<|im_start|>", vocab["<|im_start|>"])],
        )
    tok = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
        model_max_length=2048,
    )
    tok.add_special_tokens({"additional_special_tokens": list(_SPECIALS)})
    tok.chat_template = _CHAT_TEMPLATE
    return tok


def tiny_causal_lm(
    arch: Literal["llama", "qwen2", "gpt2"] = "llama",
    *,
    vocab_size: int = 259,
    hidden_size: int = 64,
    num_layers: int = 2,
    tie_word_embeddings: bool = True,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    **config_kwargs: Any,
) -> Any:
    """A randomly initialised causal LM of the given architecture, built from a config.

    Args:
        arch: ``"llama"``, ``"qwen2"`` or ``"gpt2"``.
        vocab_size: Vocabulary size; the default matches :func:`tiny_chat_tokenizer`.
        hidden_size: Hidden width.
        num_layers: Number of transformer blocks.
        tie_word_embeddings: Tie ``lm_head`` to the input embeddings, as SmolLM2 does.
        seed: Seed for the random initialisation.
        dtype: Parameter dtype.
        **config_kwargs: Extra config fields.

    Returns:
        A ``transformers`` ``PreTrainedModel`` in eval mode, with pad/eos/bos ids set to
        the tiny tokenizer's (pad == eos == 2, bos == 1).

    Raises:
        ValueError: If ``arch`` is not one of the three.

    Example:
        >>> import torch
        >>> from mdpo.testing import tiny_causal_lm
        >>> model = tiny_causal_lm("llama")
        >>> model(torch.tensor([[1, 5, 6]])).logits.shape
        torch.Size([1, 3, 259])
    """
    import transformers

    ids = {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 2}
    decoders = {
        "llama": (transformers.LlamaConfig, transformers.LlamaForCausalLM),
        "qwen2": (transformers.Qwen2Config, transformers.Qwen2ForCausalLM),
    }
    if arch in decoders:
        config_class, cls = decoders[arch]
        config = config_class(
            vocab_size=vocab_size,
            hidden_size=hidden_size,
            intermediate_size=2 * hidden_size,
            num_hidden_layers=num_layers,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=512,
            tie_word_embeddings=tie_word_embeddings,
            **ids,
            **config_kwargs,
        )
    elif arch == "gpt2":
        config = transformers.GPT2Config(
            vocab_size=vocab_size,
            n_embd=hidden_size,
            n_layer=num_layers,
            n_head=4,
            n_positions=512,
            tie_word_embeddings=tie_word_embeddings,
            **ids,
            **config_kwargs,
        )
        cls = transformers.GPT2LMHeadModel
    else:
        raise ValueError(f"arch must be one of 'llama', 'qwen2', 'gpt2', got {arch!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = cls(config)
    return model.to(dtype).eval()
