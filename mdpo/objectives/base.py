"""The :class:`Objective` base class and the helpers its subclasses share."""

from __future__ import annotations

import contextlib
import copy
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

import torch

from mdpo.conditioning import Conditioning
from mdpo.data import as_rows, sequence_logps
from mdpo.preferences import check_preference

from .output import LossOutput

__all__ = ["Objective", "ObjectiveInputs", "check_dim_names", "reference_policy"]


class ObjectiveInputs(NamedTuple):
    """One objective call with λ validated: what :meth:`Objective._compute` reads.

    Attributes:
        model: The policy (Panacea, peft or plain with an explicit reference).
        examples: ``B`` raw dataset rows (dicts).
        preferences: ``[B, M]`` λ per row, on the simplex.
        tokenizer: The tokenizer.
        conditioning: How λ reaches the policy; it (and the model it writes into) takes
            λ of width M.
        generator: Seeded generator for any sampling, or None.
    """

    model: Any
    examples: Sequence[Mapping[str, Any]]
    preferences: torch.Tensor
    tokenizer: Any
    conditioning: Conditioning
    generator: torch.Generator | None


def check_dim_names(value: Any, *, name: str = "dim_names") -> list[str] | None:
    """Normalise dimension names: a str or a sequence of distinct non-empty strs (or None).

    Args:
        value: ``None``, a name, or a list of names.
        name: Name used in error messages.

    Returns:
        A list of names, or None.

    Raises:
        ValueError: If a name is empty or repeated.
        TypeError: If a name is not a string.
    """
    if value is None:
        return None
    names = [value] if isinstance(value, str) else list(value)
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"{name} must hold strings, got {type(n).__name__} {n!r}")
    if not names or any(not n for n in names) or len(set(names)) != len(names):
        raise ValueError(f"{name} must be distinct non-empty strings, got {value!r}")
    return names


@contextlib.contextmanager
def reference_policy(model: Any, ref_model: Any = None) -> Iterator[Any]:
    """The reference policy: ``ref_model`` if given, else ``model`` with its adapter disabled.

    Args:
        model: The policy (a Panacea or peft model exposes ``disable_adapter()``).
        ref_model: An explicit reference model, or None.

    Yields:
        The model to run for reference log-probs (call it under ``torch.no_grad()``).

    Raises:
        TypeError: If there is no ``ref_model`` and ``model`` has no ``disable_adapter``.
    """
    if ref_model is not None:
        yield ref_model
        return
    disable = getattr(model, "disable_adapter", None)
    if not callable(disable):
        raise TypeError(
            f"the reference policy is the adapter disabled, but {type(model).__name__} has no "
            "disable_adapter(); wrap it with Panacea/peft or pass ref_model="
        )
    with disable():
        yield model


class Objective(ABC):
    """Base class of per-dimension objectives.

    Subclasses set :attr:`kind`, fill :attr:`dim_names` (the loss columns they produce; may
    stay None until :class:`~mdpo.objectives.MultiObjective` binds a name) and implement
    :meth:`_compute` (the losses of a validated call) and :meth:`validate_data`.

    Attributes:
        kind: ``"dpo"``, ``"sft"`` or ``"rlhf"``: the prefix of the metrics.
        fixed_sequences: Whether the data hold the scored sequences (see below).
        dim_names: The loss columns produced, or None while unbound.
    """

    kind: ClassVar[str] = "objective"
    fixed_sequences: ClassVar[bool] = False
    """True when the data hold the sequences y whose ``log π(y|x, λ)`` the loss reads (DPO,
    SFT), so a probe can score them at any λ; False when the objective samples them (RLHF)."""
    dim_names: list[str] | None

    @property
    def n_dims(self) -> int:
        """Number of loss columns (0 while unbound)."""
        return len(self.dim_names or [])

    def bind(self, dim_names: str | Sequence[str]) -> Objective:
        """This objective with its dimension names set (a shallow copy if they were unset).

        Args:
            dim_names: The names a composition gives this objective's columns.

        Returns:
            ``self`` if the names already match, else a copy with them.

        Raises:
            ValueError: If the objective already has different names, or a different count.
        """
        names = check_dim_names(dim_names)
        if self.dim_names is not None:
            if names != self.dim_names:
                raise ValueError(
                    f"{type(self).__name__} produces dimensions {self.dim_names}, but the "
                    f"component names {names}; make them equal"
                )
            return self
        self._check_bindable(names)
        bound = copy.copy(self)
        bound.dim_names = names
        if hasattr(self, "collator"):  # its drop counter belongs to the copy
            bound.collator = copy.copy(self.collator)
        return bound

    def _check_bindable(self, names: list[str]) -> None:
        if len(names) != 1:
            raise ValueError(
                f"{type(self).__name__} produces one dimension, got names {names}; "
                "give one name per component"
            )

    def _require_dims(self) -> list[str]:
        if self.dim_names is None:
            raise ValueError(
                f"{type(self).__name__} has no dimension name; pass dim_names= or use it inside "
                "MultiObjective, which names it"
            )
        return self.dim_names

    def prepare_data(self, data: Any) -> Any:
        """``data`` as random-access rows this objective reads (before :meth:`validate_data`).

        Reads any container of :func:`mdpo.data.as_rows` (``datasets.Dataset``,
        ``IterableDataset``, pandas, dict of columns, list of rows); subclasses also
        convert TRL's formats (:func:`mdpo.data.preference_rows`, :func:`mdpo.data.sft_rows`).

        Args:
            data: The dataset.

        Returns:
            A :class:`datasets.Dataset`, a list of dict rows or a :class:`mdpo.data.RowView`.

        Raises:
            TypeError: For a container of another type.
            ValueError: For an empty dataset or one in no format this objective reads.
        """
        return as_rows(data)

    @abstractmethod
    def validate_data(self, data: Any) -> None:
        """Check that ``data`` has this objective's schema.

        Args:
            data: A :class:`datasets.Dataset` or list of dict rows.

        Raises:
            ValueError: Naming the missing or ill-typed column and the columns present.
        """

    def __call__(
        self,
        model: Any,
        examples: Sequence[Mapping[str, Any]],
        preferences: torch.Tensor,
        *,
        tokenizer: Any,
        conditioning: Conditioning,
        generator: torch.Generator | None = None,
    ) -> LossOutput:
        """Losses of ``B`` raw dataset rows at their rows' λ.

        λ is validated here, once; :meth:`_compute` (and everything it calls) trusts it.

        Args:
            model: The policy (Panacea, peft or plain with an explicit reference).
            examples: ``B`` raw dataset rows (dicts).
            preferences: ``[B, M]`` λ per row over the model's M dimensions (M equals
                ``len(dim_names)`` for a standalone objective; inside a composition it is
                the composition's width).
            tokenizer: The tokenizer.
            conditioning: How λ reaches the policy.
            generator: Seeded generator for any sampling.

        Returns:
            ``LossOutput(losses [B, len(dim_names)], mask [B, len(dim_names)], metrics,
            preferences [B, M] or None)``; each objective's ``_compute`` names its metrics.

        Raises:
            TypeError: If ``examples`` is not a list of rows or ``conditioning`` is not a
                :class:`~mdpo.conditioning.Conditioning` (or cannot reach the model).
            ValueError: If λ is not ``[B, M]`` on the simplex, one row per example, or the
                conditioning (or the model it writes into) takes another width.
        """
        if isinstance(examples, Mapping) or not isinstance(examples, Sequence):
            raise TypeError(f"examples must be a list of dict rows, got {type(examples).__name__}")
        if not isinstance(preferences, torch.Tensor) or preferences.dim() != 2:
            raise ValueError(
                "preferences must be a [B, m] tensor, got "
                f"{getattr(preferences, 'shape', type(preferences).__name__)}"
            )
        if preferences.shape[0] != len(examples):
            raise ValueError(
                f"preferences has {preferences.shape[0]} rows but there are {len(examples)} "
                "examples; pass one λ row per example"
            )
        lam = check_conditioning(conditioning, model, preferences)
        return self._compute(
            ObjectiveInputs(model, examples, lam, tokenizer, conditioning, generator)
        )

    @abstractmethod
    def _compute(self, call: ObjectiveInputs) -> LossOutput:
        """The losses of a validated call (see :meth:`__call__`)."""

    # ------------------------------------------------------------------ shared helpers
    def _no_signal(self, n_rows: int, reason: str) -> LossOutput:
        """All-masked output for a batch with nothing left to score (e.g. all dropped)."""
        dims = self._require_dims()
        zeros = torch.zeros(n_rows, len(dims))
        return LossOutput(
            zeros,
            zeros.bool(),
            {f"{self.kind}/{'+'.join(dims)}/{reason}": zeros.new_tensor(float(n_rows))},
        )

    @staticmethod
    def _policy_logps(
        model: Any,
        batch: Mapping[str, torch.Tensor],
        row_preferences: torch.Tensor,
        conditioning: Conditioning,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        device = _device_of(model)
        with conditioning._activated(model, row_preferences.to(device)):
            return sequence_logps(
                model,
                batch["input_ids"].to(device),
                batch["attention_mask"].to(device),
                batch["completion_mask"].to(device),
            )

    @staticmethod
    def _reference_logps(
        model: Any, batch: Mapping[str, torch.Tensor], ref_model: Any = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad(), reference_policy(model, ref_model) as ref:
            device = _device_of(ref)
            return sequence_logps(
                ref,
                batch["input_ids"].to(device),
                batch["attention_mask"].to(device),
                batch["completion_mask"].to(device),
            )


def check_conditioning(
    conditioning: Any, model: Any, preferences: torch.Tensor, m: int | None = None
) -> torch.Tensor:
    """λ validated where it enters an objective, with the conditioning that carries it.

    Args:
        conditioning: How λ reaches ``model``.
        model: The policy.
        preferences: ``[B, M]`` λ per row.
        m: The width λ must have; None takes ``preferences``' own.

    Returns:
        λ ``[B, M]`` on the simplex (:func:`~mdpo.preferences.check_preference`).

    Raises:
        TypeError: If ``conditioning`` is not a :class:`~mdpo.conditioning.Conditioning` or
            cannot reach ``model``.
        ValueError: If λ is invalid, or the conditioning or model takes another width.
    """
    if not isinstance(conditioning, Conditioning):
        raise TypeError(
            "conditioning must be an mdpo.conditioning.Conditioning (AdapterConditioning, "
            f"PromptConditioning or NoConditioning), got {type(conditioning).__name__}"
        )
    width = preferences.shape[-1] if m is None else m
    lam = check_preference(preferences, width, name="preferences")
    conditioning._check_width(model, width)
    return lam


def _device_of(model: Any) -> torch.device:
    device = getattr(model, "device", None)
    if isinstance(device, torch.device):
        return device
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def scatter_rows(values: torch.Tensor, kept: torch.Tensor, n_rows: int) -> torch.Tensor:
    """Place ``values[n, ...]`` at rows ``kept`` of a zero tensor with ``n_rows`` rows.

    Args:
        values: ``[n, ...]``.
        kept: ``[n]`` int64 row indices.
        n_rows: Number of rows B of the output.

    Returns:
        ``[B, ...]``, differentiable with respect to ``values``.
    """
    out = values.new_zeros((n_rows, *values.shape[1:]))
    return out.index_copy(0, kept.to(values.device), values)
