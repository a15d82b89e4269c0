"""MDPOConfig and MDPOTrainer: preference-sampled multi-dimension training on Trainer.

:class:`MDPOTrainer` runs transformers' Trainer loop over a stream of global row indices;
for each micro-batch it draws λ (:func:`training_preferences`), calls a
:class:`mdpo.objectives.MultiObjective`, tracks the ideal point
(:class:`IdealPointTracker`) and aggregates with :mod:`mdpo.aggregators`. Checkpoints hold
adapter weights only (:mod:`mdpo.training.checkpoint`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .checkpoint import (
        ADAPTER_WEIGHTS_FILE,
        MDPO_STATE_FILE,
        adapter_kind,
        load_adapter_weights,
        load_mdpo_state,
        save_adapter,
        save_mdpo_state,
    )
    from .config import PREFERENCE_SAMPLING_MODES, MDPOConfig
    from .ideal import IdealPointTracker
    from .metrics import MetricAccumulator, batch_metrics
    from .rows import ROW_KEY, RowIndexDataset, collate_rows
    from .run import (
        RUN_MANIFEST,
        build_objective,
        load_local_dataset,
        package_versions,
        resolve_run_dir,
        run_training,
        write_run_manifest,
    )
    from .run_config import (
        METHODS,
        AdapterSpec,
        DimensionSpec,
        ModelSpec,
        TrainRunConfig,
        load_run_config,
    )
    from .sampling import training_preferences
    from .trainer import MDPOTrainer

__all__ = [
    "ADAPTER_WEIGHTS_FILE",
    "MDPO_STATE_FILE",
    "METHODS",
    "PREFERENCE_SAMPLING_MODES",
    "ROW_KEY",
    "RUN_MANIFEST",
    "AdapterSpec",
    "DimensionSpec",
    "IdealPointTracker",
    "MDPOConfig",
    "MDPOTrainer",
    "MetricAccumulator",
    "ModelSpec",
    "RowIndexDataset",
    "TrainRunConfig",
    "adapter_kind",
    "batch_metrics",
    "build_objective",
    "collate_rows",
    "load_adapter_weights",
    "load_local_dataset",
    "load_mdpo_state",
    "load_run_config",
    "package_versions",
    "resolve_run_dir",
    "run_training",
    "save_adapter",
    "save_mdpo_state",
    "training_preferences",
    "write_run_manifest",
]

# Submodule of each public name. They are imported on first access (PEP 562), so
# ``import mdpo.training.ideal`` (used by the benchmark loop) does not pull in
# transformers' Trainer through this package's ``__init__``.
_SUBMODULE = {
    "ADAPTER_WEIGHTS_FILE": "checkpoint",
    "MDPO_STATE_FILE": "checkpoint",
    "adapter_kind": "checkpoint",
    "load_adapter_weights": "checkpoint",
    "load_mdpo_state": "checkpoint",
    "save_adapter": "checkpoint",
    "save_mdpo_state": "checkpoint",
    "PREFERENCE_SAMPLING_MODES": "config",
    "MDPOConfig": "config",
    "IdealPointTracker": "ideal",
    "MetricAccumulator": "metrics",
    "batch_metrics": "metrics",
    "ROW_KEY": "rows",
    "RowIndexDataset": "rows",
    "collate_rows": "rows",
    "RUN_MANIFEST": "run",
    "build_objective": "run",
    "load_local_dataset": "run",
    "package_versions": "run",
    "resolve_run_dir": "run",
    "run_training": "run",
    "write_run_manifest": "run",
    "METHODS": "run_config",
    "OBJECTIVE_KINDS": "run_config",  # not in __all__: the registered objective names
    "AdapterSpec": "run_config",
    "DimensionSpec": "run_config",
    "ModelSpec": "run_config",
    "TrainRunConfig": "run_config",
    "load_run_config": "run_config",
    "training_preferences": "sampling",
    "MDPOTrainer": "trainer",
}


def __getattr__(name: str) -> Any:
    module = _SUBMODULE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    if name != "OBJECTIVE_KINDS":  # read anew each time: objectives may be registered later
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
