"""Paired multi-dimension preference data built from a reference LLM's own samples.

:func:`build_preference_data` samples ``n_samples`` responses per prompt from the reference
model (chat template, left padding, fixed seed: :func:`sample_responses`), scores every
response once with each scorer, and pairs the responses of each prompt.

**Pairing.** For every prompt, all ``n(n−1)/2`` pairs ``(i, j)`` with ``i < j`` of its
samples, in that order: ``response_0`` is sample ``i`` and ``response_1`` sample ``j``
(``n_samples=4`` gives 6 candidate pairs per prompt). Since the samples are i.i.d., which of
the two is better is not biased by position. Pairs whose two texts are identical carry no
preference and are dropped.

**Columns** (one row per pair):

- ``prompt`` (the user message, a string), ``response_0``, ``response_1``;
- ``prompt_index``, ``sample_0``, ``sample_1``: which prompt and which samples were paired;
- one label column per dimension, named after it: 0 when ``response_0`` scores higher, 1
  when ``response_1`` does, -1 (masked) when the two scores are within the dimension's
  ``tie_tolerance`` or one is NaN;
- ``score_0/<dim>`` and ``score_1/<dim>``: the raw scores (higher is better);
- with reference log-probs, ``ref_response_0_logps`` and ``ref_response_1_logps``
  (:func:`mdpo.objectives.reference_column`), read by :class:`mdpo.objectives.DPOObjective`
  so that training never runs the reference forward again.

Build counts and settings travel with the dataset (:func:`preference_data_info`), and
:func:`summarize_dimensions` measures each dimension's spread, ties and conflicts.

The package holds one module per concern: :mod:`~mdpo.benchmarks.tasks.llm_data.pairs` (the
pair schema, labels, input checks), :mod:`~mdpo.benchmarks.tasks.llm_data.cache` (cache keys
and atomic disk copies), :mod:`~mdpo.benchmarks.tasks.llm_data.reference` (reference
log-probs), :mod:`~mdpo.benchmarks.tasks.llm_data.build` (the build, step by step) and
:mod:`~mdpo.benchmarks.tasks.llm_data.summary`; the public names are importable from here.
"""

from mdpo.benchmarks.tasks.llm_data.build import build_preference_data, preference_data_info
from mdpo.benchmarks.tasks.llm_data.cache import model_fingerprint
from mdpo.benchmarks.tasks.llm_data.pairs import check_systems, pair_indices, score_labels
from mdpo.benchmarks.tasks.llm_data.reference import reference_logps
from mdpo.benchmarks.tasks.llm_data.summary import summarize_dimensions

__all__ = [
    "build_preference_data",
    "check_systems",
    "model_fingerprint",
    "pair_indices",
    "preference_data_info",
    "reference_logps",
    "score_labels",
    "summarize_dimensions",
]
