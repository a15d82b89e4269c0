"""MultiObjective: different objective kinds per dimension, drawn statelessly per row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from mdpo.conditioning import Conditioning
from mdpo.seeding import keyed_generator

from .base import Objective, ObjectiveInputs, check_conditioning, check_dim_names
from .normalization import ScaleNormalizer, make_normalizer
from .output import LossOutput
from .rlhf import RLHFObjective, _is_scorer

__all__ = ["Component", "MultiObjective"]


@dataclass(frozen=True)
class Component:
    """One part of a composition: dimension names, the objective and its data.

    Args:
        dim_names: The loss columns this component fills.
        objective: The objective, bound to ``dim_names``.
        data: The dataset rows are drawn from.
    """

    dim_names: tuple[str, ...]
    objective: Objective
    data: Any

    @property
    def key(self) -> str:
        """Stable identifier used to key this component's draws: the names joined by '+'."""
        return "+".join(self.dim_names)


def _is_scorer_spec(value: Any) -> bool:
    if isinstance(value, Mapping):
        return bool(value) and all(_is_scorer(v) for v in value.values())
    return _is_scorer(value)


class MultiObjective:
    """Compose objectives of different kinds, one component per dimension (or group).

    Example components: ``("helpful", DPOObjective(), pairs)``, ``("concise",
    RLHFObjective(prompts=prompt_ds), LengthScorer())`` and ``("formal", SFTObjective(),
    style_rows)``. The loss columns are the components' dimensions in order.

    **Draws.** At step t, row r (a global row index) draws its example of component c at
    index ``randint(len(data_c))`` from ``keyed_generator(seed, "data", c, t, r)``: a pure
    function of (seed, step, component, row), so resuming and DDP sharding need no loader
    state. Every row keeps its λ across components. RLHF sampling uses
    ``keyed_generator(seed, "sample", c, t, *rows)``.

    **Normalisation** (``normalize``): None, ``"running"`` (:class:`RunningScale`), given
    scales ``{dim: scale}`` (:class:`FixedScale`) or a :class:`ScaleNormalizer`. See
    :mod:`mdpo.objectives.normalization` for how it interacts with LS and with the
    Tchebycheff ideal point, which must be tracked on the (normalised) losses returned here.

    Args:
        components: ``[(names, objective, data_or_scorer), ...]``. ``data_or_scorer`` is a
            dataset (:class:`datasets.Dataset` or list of dict rows) or, for an
            :class:`RLHFObjective` that holds its ``prompts``, a scorer (or ``{dim: scorer}``).
        normalize: See above.
        seed: Base seed of every draw.

    Raises:
        TypeError: If a component is malformed or its objective is not an Objective.
        ValueError: If names repeat across components, names and objectives disagree, or a
            dataset lacks the columns its objective needs.

    Example:
        >>> from mdpo.objectives import DPOObjective, MultiObjective, SFTObjective
        >>> pairs = [{"prompt": "Q", "chosen": "a", "rejected": "b"}]
        >>> style = [{"prompt": "Q", "completion": "Dear sir."}]
        >>> multi = MultiObjective(
        ...     [("helpful", DPOObjective(), pairs), ("formal", SFTObjective(), style)])
        >>> multi.dim_names, multi.n_dims
        (['helpful', 'formal'], 2)
    """

    def __init__(
        self,
        components: Sequence[tuple[Any, Objective, Any]],
        *,
        normalize: str | Mapping[str, float] | ScaleNormalizer | None = None,
        seed: int = 0,
    ) -> None:
        if isinstance(components, Objective) or not isinstance(components, Sequence):
            raise TypeError(
                "components must be a list of (names, objective, data_or_scorer) tuples; "
                "use MultiObjective.single(objective, data) for one objective, got "
                f"{type(components).__name__}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
        if not components:
            raise ValueError("components must hold at least one (names, objective, data) tuple")
        built = []
        for i, comp in enumerate(components):
            if not isinstance(comp, tuple | list) or len(comp) != 3:
                raise TypeError(
                    f"components[{i}] must be a (names, objective, data_or_scorer) tuple, "
                    f"got {comp!r:.80}"
                )
            built.append(self._build(i, *comp))
        names = [n for c in built for n in c.dim_names]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"dimension names repeat across components: {dupes}")
        self.components: list[Component] = built
        self.seed = seed
        self.normalizer = make_normalizer(normalize, names)

    @staticmethod
    def _build(i: int, names: Any, objective: Any, data: Any) -> Component:
        if not isinstance(objective, Objective):
            raise TypeError(
                f"components[{i}] objective must be an mdpo Objective (DPOObjective, "
                f"SFTObjective, RLHFObjective), got {type(objective).__name__}"
            )
        dims = check_dim_names(names, name=f"components[{i}] names")
        if _is_scorer_spec(data):
            if not isinstance(objective, RLHFObjective):
                raise TypeError(
                    f"components[{i}] gives a scorer to a {type(objective).__name__}; only an "
                    "RLHFObjective takes a scorer, other objectives take a dataset"
                )
            if objective.prompts is None:
                raise ValueError(
                    f"components[{i}] gives a scorer but its RLHFObjective has no prompts=; "
                    "pass the prompt dataset to the objective or as the component's data"
                )
            objective = objective.with_scorers(data)
            data = objective.prompts
        objective = objective.bind(dims)
        try:
            data = objective.prepare_data(data)
            objective.validate_data(data)
        except ValueError as err:
            raise ValueError(f"components[{i}] ({'+'.join(dims)}): {err}") from err
        return Component(tuple(dims), objective, data)

    @classmethod
    def single(
        cls, objective: Objective, data: Any, *, normalize: Any = None, seed: int = 0
    ) -> MultiObjective:
        """One objective over all its dimensions (e.g. paired multi-label DPO).

        Args:
            objective: An objective; one without ``dim_names`` fills one dimension named
                after its kind (``"dpo"``, ``"sft"`` or ``"rlhf"``).
            data: Its dataset (or scorer, see the class).
            normalize: As for the class.
            seed: Base seed.

        Returns:
            The composition.

        Raises:
            TypeError: If ``objective`` is not an Objective.

        Example:
            >>> from mdpo.objectives import DPOObjective, MultiObjective
            >>> pairs = [{"chosen": "Q: hi A: hello", "rejected": "Q: hi A: go"}]
            >>> MultiObjective.single(DPOObjective(), pairs).dim_names
            ['dpo']
        """
        if not isinstance(objective, Objective):
            raise TypeError(
                "MultiObjective.single needs an mdpo Objective (DPOObjective, SFTObjective, "
                f"RLHFObjective), got {type(objective).__name__}"
            )
        names = objective.dim_names if objective.dim_names is not None else objective.kind
        return cls([(names, objective, data)], normalize=normalize, seed=seed)

    @property
    def dim_names(self) -> list[str]:
        """All loss columns, in order."""
        return [n for c in self.components for n in c.dim_names]

    @property
    def n_dims(self) -> int:
        """Number m of loss columns."""
        return len(self.dim_names)

    def draw_indices(self, component: Component | int, rows: Sequence[int], step: int) -> list[int]:
        """Dataset indices the given rows draw from a component at a step.

        Args:
            component: A component or its position.
            rows: Global row indices.
            step: Global step.

        Returns:
            One index per row, a pure function of (seed, step, component, row).
        """
        comp = self.components[component] if isinstance(component, int) else component
        n = len(comp.data)
        return [
            int(
                torch.randint(
                    n, (1,), generator=keyed_generator(self.seed, "data", comp.key, step, r)
                )
            )
            for r in rows
        ]

    def __call__(
        self,
        model: Any,
        rows: torch.Tensor | Sequence[int],
        step: int,
        preferences: torch.Tensor,
        *,
        tokenizer: Any,
        conditioning: Conditioning,
        update_stats: bool = True,
    ) -> LossOutput:
        """Losses of ``b`` rows at step ``step``, one example per row and component.

        Args:
            model: The policy.
            rows: ``[b]`` global row indices (global across DDP ranks and micro-batches).
            step: Global optimisation step.
            preferences: ``[b, m]`` λ per row.
            tokenizer: The tokenizer.
            conditioning: How λ reaches the policy.
            update_stats: Update running normalisation statistics (False for evaluation).

        Returns:
            ``LossOutput(losses [b, m], mask [b, m], metrics, preferences [b, m])``; losses
            are normalised when ``normalize`` is set (metrics ``J/<dim>`` stay raw, and
            ``scale/<dim>`` reports the scale).

        Raises:
            ValueError: If ``rows`` and ``preferences`` disagree, λ is invalid, or the
                conditioning (or the model it writes into) takes another width.
            TypeError: If ``step`` is not an int or ``conditioning`` not a Conditioning.
        """
        rows_list = [int(r) for r in (rows.tolist() if isinstance(rows, torch.Tensor) else rows)]
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise TypeError(f"step must be an int >= 0, got {type(step).__name__} {step!r}")
        if not isinstance(preferences, torch.Tensor):
            preferences = torch.as_tensor(preferences, dtype=torch.float32)
        if preferences.dim() != 2 or preferences.shape[0] != len(rows_list):
            raise ValueError(
                f"preferences must have shape [b={len(rows_list)}, m={self.n_dims}], "
                f"got {tuple(preferences.shape)}"
            )
        # λ is validated here, once: the components compute from the trusted rows.
        prefs = check_conditioning(conditioning, model, preferences, self.n_dims)
        losses, masks, metrics = [], [], {}
        for comp in self.components:
            examples = [comp.data[i] for i in self.draw_indices(comp, rows_list, step)]
            generator = keyed_generator(self.seed, "sample", comp.key, step, *rows_list)
            out = comp.objective._compute(
                ObjectiveInputs(model, examples, prefs, tokenizer, conditioning, generator)
            )
            losses.append(out.losses)
            masks.append(out.mask)
            metrics.update(out.metrics)
        device = losses[0].device
        loss = torch.cat([t.to(device) for t in losses], dim=1)
        mask = torch.cat([t.to(device) for t in masks], dim=1)
        if self.normalizer is not None:
            loss = self.normalizer(loss, mask, update=update_stats)
            for name, s in zip(self.dim_names, self.normalizer.scales()):
                metrics[f"scale/{name}"] = s.detach().clone()
        return LossOutput(loss, mask, metrics, prefs.to(device))

    def state_dict(self) -> dict[str, Any]:
        """Checkpointable state: the dimension names, seed and normaliser statistics."""
        return {
            "dim_names": self.dim_names,
            "seed": self.seed,
            "normalizer": None if self.normalizer is None else self.normalizer.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output.

        Args:
            state: A saved state.

        Raises:
            ValueError: If it was saved for other dimensions.
        """
        if list(state.get("dim_names", [])) != self.dim_names:
            raise ValueError(
                f"state is for dimensions {state.get('dim_names')}, expected {self.dim_names}"
            )
        if self.normalizer is not None and state.get("normalizer") is not None:
            self.normalizer.load_state_dict(state["normalizer"])
