"""The Hugging Face Hub for Panacea adapters: a model card, upload and download.

Everything goes through :mod:`huggingface_hub` (:class:`~huggingface_hub.HfApi`,
:func:`~huggingface_hub.snapshot_download`, :class:`~huggingface_hub.ModelCard`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["adapter_model_card", "download_adapter", "looks_like_repo_id", "push_adapter_to_hub"]

_ADAPTER_FILES = ["adapter_config.json", "adapter_model.safetensors", "README.md"]


def adapter_model_card(
    model: Any,
    *,
    dim_names: Sequence[str] | None = None,
    results: Mapping[str, Any] | str | None = None,
) -> str:
    """The README.md of a Panacea adapter repository: metadata, what it is, how to steer it.

    Args:
        model: The :class:`~mdpo.adapters.PanaceaModel`.
        dim_names: The m dimension names, in λ's order (None: ``dim1``, ``dim2``, ...).
        results: Optional results: a mapping (shown as a table of name and value) or
            Markdown text (e.g. a benchmark's ``report.md``).

    Returns:
        The model card text, with a YAML header (``base_model``, ``library_name: peft``,
        tags) that the Hub reads.

    Raises:
        ValueError: If ``dim_names`` does not have one name per dimension.
    """
    from huggingface_hub import ModelCard, ModelCardData

    from mdpo.adapters.serialization import base_model_name

    m = model.n_dims
    names = list(dim_names) if dim_names is not None else [f"dim{i + 1}" for i in range(m)]
    if len(names) != m or not all(isinstance(n, str) and n for n in names):
        raise ValueError(
            f"dim_names must hold one non-empty name per dimension (m={m}), got {dim_names!r}"
        )
    base = base_model_name(model.base_model)
    data = ModelCardData(
        base_model=base,
        library_name="peft",
        tags=["mdpo", "panacea", "multi-objective", "preference-conditioned", "lora"],
    )
    cfg = model.panacea_config
    uniform = ", ".join(f"{1 / m:.2f}" for _ in names)
    vertex = ", ".join("1.0" if i == 0 else "0.0" for i in range(m))
    lines = [
        f"---\n{data.to_yaml()}\n---",
        "",
        "# Panacea adapter (mdpo)",
        "",
        f"A preference-conditioned SVD-LoRA over **{base or 'its base model'}**, trained with "
        "[mdpo](https://mdpo.readthedocs.io). Its last singular values carry the user's "
        f"preference λ over **{m} dimensions**: {', '.join(f'`{n}`' for n in names)}. One "
        "adapter serves every trade-off: λ is a point of the simplex (non-negative, summing "
        "to 1), in the order above.",
        "",
        f"Rank k = {cfg.r} shared + {m} × {cfg.pref_rank} preference columns; "
        f"target modules: `{cfg.target_modules or 'attention and MLP linears'}`.",
        "",
        "## How to steer it",
        "",
        "This folder is **not** a plain peft LoRA (`peft.PeftModel.from_pretrained` refuses "
        "it); load it with mdpo:",
        "",
        "```python",
        "from transformers import AutoModelForCausalLM, AutoTokenizer",
        "from mdpo.adapters import PanaceaModel",
        "",
        f'base = AutoModelForCausalLM.from_pretrained("{base or "BASE_MODEL"}")',
        'model = PanaceaModel.from_pretrained(base, "REPO_ID")  # a Hub id or a folder',
        f"model.set_preference([{uniform}])  # λ over {names}",
        "```",
        "",
        "A plain peft LoRA at one fixed λ (rank k + m·p, loadable by peft and vLLM):",
        "",
        "```python",
        f'model.export_lora([{vertex}], "lora-at-{names[0]}")',
        "```",
    ]
    if results:
        lines += ["", "## Results", ""]
        if isinstance(results, str):
            lines.append(results.strip())
        else:
            lines += ["| metric | value |", "|---|---|"]
            lines += [f"| {k} | {v} |" for k, v in results.items()]
    return str(ModelCard("\n".join(lines) + "\n"))


def push_adapter_to_hub(
    model: Any,
    repo_id: str,
    *,
    dim_names: Sequence[str] | None = None,
    results: Mapping[str, Any] | str | None = None,
    token: str | None = None,
    private: bool | None = None,
    commit_message: str = "Upload Panacea adapter (mdpo)",
    revision: str | None = None,
    create_pr: bool = False,
) -> Any:
    """Upload the adapter (config, safetensors weights) and its model card to the Hub.

    The repository is created if it does not exist (``HfApi.create_repo(exist_ok=True)``);
    the base model is never uploaded.

    Args:
        model: The :class:`~mdpo.adapters.PanaceaModel`.
        repo_id: ``"user/name"`` of a model repository.
        dim_names: The dimension names for the model card.
        results: Results for the model card (see :func:`adapter_model_card`).
        token: A Hub token (None: the logged-in user's).
        private: Create the repository private (None: the Hub's default).
        commit_message: The commit message.
        revision: The branch to push to.
        create_pr: Open a pull request instead of committing to the branch.

    Returns:
        The :class:`huggingface_hub.CommitInfo` of the upload.

    Raises:
        ValueError: If ``repo_id`` is not a non-empty string.
    """
    from huggingface_hub import HfApi

    from mdpo._io import atomic_write
    from mdpo.adapters.serialization import save_panacea_adapter

    if not isinstance(repo_id, str) or not repo_id.strip():
        raise ValueError(f"repo_id must be a non-empty 'user/name' string, got {repo_id!r}")
    card = adapter_model_card(model, dim_names=dim_names, results=results)
    api = HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
    with tempfile.TemporaryDirectory(prefix="mdpo-push-") as folder:
        save_panacea_adapter(model, folder)
        atomic_write(Path(folder) / "README.md", lambda fh: fh.write(card), binary=False)
        return api.upload_folder(
            repo_id=repo_id,
            folder_path=folder,
            repo_type="model",
            commit_message=commit_message,
            revision=revision,
            create_pr=create_pr,
        )


def download_adapter(
    repo_id: str, *, revision: str | None = None, token: str | None = None
) -> Path:
    """Download a Panacea adapter's files from the Hub (or find them in the local cache).

    Args:
        repo_id: ``"user/name"`` of the model repository.
        revision: A branch, tag or commit.
        token: A Hub token.

    Returns:
        The local folder holding ``adapter_config.json`` and the weights.

    Raises:
        ValueError: If the repository could not be downloaded (offline, missing, private);
            the message names it.
    """
    from huggingface_hub import snapshot_download

    try:
        return Path(
            snapshot_download(
                repo_id, revision=revision, token=token, allow_patterns=_ADAPTER_FILES
            )
        )
    except (OSError, ValueError) as err:  # HfHubHTTPError, offline and cache misses included
        raise ValueError(
            f"adapter {repo_id!r} is no local folder and could not be downloaded from the "
            f"Hub: {err}"
        ) from err


def looks_like_repo_id(value: str | os.PathLike[str]) -> bool:
    """Whether ``value`` is a Hub repository id rather than a local path.

    Args:
        value: A folder path or ``"user/name"``.

    Returns:
        True for a string ``"user/name"`` that is not an existing path and not absolute or
        relative-looking.
    """
    if not isinstance(value, str) or os.path.exists(value):
        return False
    if value.startswith((".", "/", "~")) or os.path.isabs(value):
        return False
    parts = value.split("/")
    return len(parts) == 2 and all(parts)
