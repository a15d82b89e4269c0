"""mdpo: multi-dimensional preference optimization of language models.

One model, one Panacea SVD-LoRA adapter, and a preference vector λ on the simplex select
a Pareto-optimal trade-off between m alignment dimensions at inference time.

Import the parts you need from their homes, for example::

    from mdpo.preferences import check_preference, sample_preferences
    from mdpo.aggregators import get_aggregator
    from mdpo.adapters import PanaceaConfig, get_panacea_model

Importing :mod:`mdpo` itself is cheap and has no side effects.
"""

from mdpo._version import __version__

__all__ = ["__version__"]
