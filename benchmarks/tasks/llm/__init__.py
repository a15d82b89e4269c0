"""The language-model task: align a real instruct LLM on scored dimensions, evaluate by decoding.

One class, :class:`LLMTask`, serves both task kinds of a suite:

- ``smollm``: SmolLM2-135M-Instruct (or any causal LM given by name, path or object) samples
  its own answers to the bundled train prompts; independent scorers from :mod:`mdpo.scorers`
  label the pairs (:func:`mdpo.benchmarks.tasks.llm_data.build_preference_data`, cached on
  disk together with the reference log-probs, so training never runs the reference again);
- ``hf``: the pairs come from a Hugging Face dataset in the PKU-SafeRLHF schema
  (:class:`mdpo.benchmarks.tasks.hf_source.HFPreferenceSource`) and the evaluation scorers
  may be reward models by name or path.

Evaluation (:meth:`LLMTask.evaluate_point`, or :meth:`LLMTask.evaluate_points` for a whole
front: policies that take one λ per batch row answer every (λ, prompt) pair in shared
batches) generates answers to the eval prompts at the policy's current λ (batched,
left-padded, chat template, the recorded decoding protocol),
scores them (mean per dimension: the front point), and records per point

- the per-prompt scores (``[P, m]``), from which the runner draws **bootstrap intervals over
  prompts** (one seed fits on a CPU, so intervals over seeds are not available);
- ``kl``: the mean sequence log-ratio ``log π(y|x) − log π_ref(y|x)`` of the evaluated answers
  under the policy and the frozen base model (a Monte-Carlo KL estimate under sampling; under
  greedy decoding a divergence proxy, labelled so);
- the **degeneracy check**: the share of empty answers and of highly repetitive ones. An
  answer is *repetitive* when it has at least ``repeat_min_words`` words and fewer than
  ``repeat_threshold`` of its word bigrams are distinct (a loop such as "yes yes yes ..." has
  a ratio near 0, ordinary prose near 1). A "concise" front made of empty strings is caught
  by the empty share.

There is no true front: fronts are normalised over the union of all compared points
(docs: Conventions and comparison protocol).

The package holds the task's parameters (:mod:`~mdpo.benchmarks.tasks.llm.config`), its
decoding (:mod:`~mdpo.benchmarks.tasks.llm.decoding`) and the task itself with its kinds'
specs (:mod:`~mdpo.benchmarks.tasks.llm.task`); the statistics it reports are in
:mod:`mdpo.benchmarks.stats`, its Markdown in :mod:`mdpo.benchmarks.report`.
"""

from mdpo.benchmarks.tasks.base import PointEval
from mdpo.benchmarks.tasks.degeneracy import degeneracy, distinct_bigram_ratio
from mdpo.benchmarks.tasks.llm.config import DEFAULT_DIMS, LLMTaskConfig
from mdpo.benchmarks.tasks.llm.task import HF_SPEC, SMOLLM_SPEC, LLMTask

__all__ = [
    "DEFAULT_DIMS",
    "HF_SPEC",
    "SMOLLM_SPEC",
    "LLMTask",
    "LLMTaskConfig",
    "PointEval",
    "degeneracy",
    "distinct_bigram_ratio",
]
