"""The task contracts: what the harness may use of a feature task and of a language-model task."""

from __future__ import annotations

import pytest
import torch

from mdpo.benchmarks.config import TaskConfig
from mdpo.benchmarks.methods import is_language_model
from mdpo.benchmarks.tasks.bandit import BanditTask
from mdpo.benchmarks.tasks.base import LanguageModelTask, TrainableTask
from mdpo.benchmarks.tasks.synthetic import SyntheticTask

# What the runner, the language-model trainers (methods/llm.py and the kinds' train_llm) and
# run_eval read of a language-model task, beyond dim_names, config and data_summary.
LM_ABSTRACT = {
    "device",
    "tokenizer",
    "reference",
    "target_modules",
    "model_description",
    "make_model",
    "preference_data",
    "eval_prompts",
    "evaluate_point",
    "evaluate_points",
    "summarize_parts",
}


def test_the_language_model_contract_declares_what_the_harness_reads():
    assert set(LanguageModelTask.__abstractmethods__) == LM_ABSTRACT
    for name in ("dim_names", "config", "data_summary"):
        assert name in LanguageModelTask.__annotations__
    assert LanguageModelTask.objectives == ("dpo",) and LanguageModelTask.has_logits


def test_an_incomplete_language_model_task_cannot_be_built():
    class Half(LanguageModelTask):
        def eval_prompts(self) -> list[str]:
            return ["q"]

    with pytest.raises(TypeError, match="abstract"):
        Half()


def test_the_llm_tasks_implement_the_contract_and_are_told_apart_by_class():
    task = TaskConfig(name="s", kind="smollm").build()
    assert isinstance(task, LanguageModelTask) and is_language_model(task)
    assert task.n_dims == 2 and task.true_front(3) is None and task.ideal_point() is None
    bandit = TaskConfig(name="b", kind="bandit").build()
    assert isinstance(bandit, TrainableTask) and not is_language_model(bandit)

    class Flagged:  # the old probe read this flag; a flag alone no longer makes an LM task
        language_model = True

    assert not is_language_model(Flagged())


def test_the_optimum_is_a_declared_capability():
    bandit = BanditTask({"n_dims": 2, "n_contexts": 3, "n_actions": 4})
    synthetic = SyntheticTask({"problem": "zdt1", "n_var": 3})
    assert bandit.has_optimum and not synthetic.has_optimum and not TrainableTask.has_optimum
    lam = torch.tensor([0.25, 0.75])
    torch.testing.assert_close(
        bandit.optimal_values(lam), bandit.values(bandit.optimal_logits(lam))
    )
    torch.testing.assert_close(bandit.true_front(1)[0], bandit.optimal_values(torch.eye(2)[1]))
    with pytest.raises(NotImplementedError, match="SyntheticTask does not know the optimum"):
        synthetic.optimal_values(lam)


def test_reward_tables_are_a_declared_capability_that_modpo_reads():
    from mdpo.benchmarks.methods import get_method

    bandit = BanditTask({"n_dims": 2, "n_contexts": 3, "n_actions": 4})
    synthetic = SyntheticTask({"problem": "zdt1", "n_var": 3})
    assert bandit.has_reward_tables and not synthetic.has_reward_tables
    assert not TrainableTask.has_reward_tables
    tables = bandit.reward_tables()
    assert tables.rewards is bandit.rewards and tables.ref_logits is bandit.ref_logits
    assert tables.beta == bandit.beta
    with pytest.raises(NotImplementedError, match="SyntheticTask has no exact reward tables"):
        synthetic.reward_tables()
    # MODPO asks the capability, not the class: a task that declares it is supported.
    modpo = get_method("modpo")
    assert modpo.runs_on(bandit) and not modpo.runs_on(synthetic)

    class Tabled(SyntheticTask):
        has_reward_tables = True

    assert modpo.runs_on(Tabled({"problem": "zdt1", "n_var": 3}))
