"""MDPOConfig and MDPOTrainer: preference-sampled multi-dimension training on Trainer.

:class:`MDPOTrainer` runs transformers' Trainer loop over a stream of global row indices;
for each micro-batch it draws λ (:func:`training_preferences`), calls a
:class:`mdpo.objectives.MultiObjective`, tracks the ideal point
(:class:`IdealPointTracker`) and aggregates with :mod:`mdpo.aggregators`. Checkpoints hold
adapter weights only (:mod:`mdpo.training.checkpoint`).
"""

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
    OBJECTIVE_KINDS,
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
    "OBJECTIVE_KINDS",
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
