"""``kind: prompt``: one plain LoRA conditioned on λ through its input (Rewards-in-Context).

On the feature tasks λ is appended to the input vector. On the language-model tasks every
pair's prompt starts with ``Preference weights: name=value, ...`` for its sampled λ
(:class:`mdpo.conditioning.PromptConditioning`), trained like Panacea (same λ draws,
aggregator and steps). Its DPO reference log-probs are those of the plain prompt,
precomputed with the data (``reference: plain``, the default where the data carry them), or
of the λ-annotated prompt the policy sees, computed at every step (``reference: annotated``,
the default on data without them, such as the ``hf`` kind). With ``prompt_style: soft`` λ
mixes m learned soft prompts of ``virtual_tokens`` virtual tokens instead
(:mod:`mdpo.soft_prompt`, each initialised from its dimension's name), trained with the LoRA
(an annotated reference reads the placeholders as plain tokens). The saved run has
``"method": "lora"`` and ``"conditioning": "prompt"`` (or ``"soft_prompt"``).
"""

from __future__ import annotations

from typing import Any

from mdpo.benchmarks.methods.builders import FeatureContext, MethodRun
from mdpo.benchmarks.methods.llm import LLMContext, LLMTrained
from mdpo.benchmarks.methods.registry import MethodSpec
from mdpo.policies import PromptConditionedPolicy

__all__ = ["SPEC"]


def train(ctx: FeatureContext) -> MethodRun:
    """Train the prompt-conditioned LoRA on a feature task (λ appended to the input)."""
    method, task = ctx.method, ctx.task
    if method.prompt_style == "soft":
        raise ValueError(
            f"method {method.name!r}: prompt_style 'soft' needs a language-model task (a soft "
            f"prompt stands in the text), not {type(task).__name__}; use prompt_style 'text'"
        )
    ctx.init("init")
    model = ctx.lora()
    policy = PromptConditionedPolicy(model, task.n_dims, task.dim_names)
    return MethodRun(policy.eval(), [ctx.train_sampled(model, "prompt")])


def train_llm(ctx: LLMContext) -> LLMTrained:
    """Train and save the prompt-conditioned LoRA on a language-model task."""
    from mdpo.conditioning import PromptConditioning
    from mdpo.objectives import reference_column
    from mdpo.policies import TextCondition

    method, task = ctx.method, ctx.task
    names = task.dim_names
    precomputed = [reference_column(c) for c in ("response_0", "response_1")]
    has_plain = all(c in ctx.data.column_names for c in precomputed)
    reference = method.reference or ("plain" if has_plain else "annotated")
    if reference == "annotated" and has_plain:
        ctx.data = ctx.data.remove_columns(precomputed)
    elif reference == "plain" and not has_plain:
        raise ValueError(
            f"method {method.name!r}: reference 'plain' needs the reference log-probs of the "
            f"plain prompt precomputed with the task's data (the smollm kind), which lacks "
            f"{precomputed}; use reference: annotated"
        )
    ctx.init("init")
    model = ctx.lora()
    if method.prompt_style == "soft":
        return _soft_prompt(ctx, model, reference)
    log = ctx.train_sampled(model, "prompt", PromptConditioning(names))
    fields = {
        "method": "lora",
        "conditioning": "prompt",
        "reference": reference,
        "adapter_paths": {"adapter": ctx.save(model, "adapter")},
    }
    policy = PromptConditionedPolicy(model, task.n_dims, names, TextCondition(names))
    return LLMTrained(policy.eval(), [log], fields)


def _soft_prompt(ctx: LLMContext, model: Any, reference: str) -> LLMTrained:
    """The LoRA with a soft prompt mixed by λ (prompts start as the dimension names)."""
    from mdpo.conditioning import SoftPromptConditioning
    from mdpo.policies import SoftPromptPolicy
    from mdpo.soft_prompt import SOFT_PROMPT_FILE, SoftPrompt

    task = ctx.task
    soft = SoftPrompt.for_model(
        model,
        task.tokenizer,
        task.n_dims,
        ctx.method.virtual_tokens or 4,
        init_text=task.dim_names,
    )
    # Registered on the model so that the optimizer trains it with the LoRA.
    model.add_module("mdpo_soft_prompt", soft)
    handle = soft.attach(model)
    log = ctx.train_sampled(model, "prompt", SoftPromptConditioning(soft))
    handle.remove()
    adapter = ctx.save(model, "adapter")
    soft.save(ctx.run_dir / SOFT_PROMPT_FILE)
    fields = {
        "method": "lora",
        "conditioning": "soft_prompt",
        "reference": reference,
        "adapter_paths": {"adapter": adapter},
        "soft_prompt": SOFT_PROMPT_FILE,
        "virtual_tokens": soft.n_tokens,
        "placeholder": soft.placeholder,
    }
    return LLMTrained(SoftPromptPolicy(model, soft, task.dim_names).eval(), [log], fields)


def _check(method: Any) -> None:
    """Validate ``reference``, ``prompt_style`` and ``virtual_tokens``."""
    from mdpo._numbers import check_int

    if method.reference not in (None, "plain", "annotated"):
        raise ValueError(
            f"method {method.name!r} reference must be 'plain' or 'annotated', got "
            f"{method.reference!r}"
        )
    if method.prompt_style not in (None, "text", "soft"):
        raise ValueError(
            f"method {method.name!r} prompt_style must be 'text' or 'soft', got "
            f"{method.prompt_style!r}"
        )
    if method.virtual_tokens is not None:
        if method.prompt_style != "soft":
            raise ValueError(
                f"method {method.name!r} virtual_tokens applies to prompt_style 'soft', got "
                f"prompt_style {method.prompt_style!r}"
            )
        try:
            check_int(f"method {method.name!r} virtual_tokens", method.virtual_tokens, minimum=1)
        except TypeError as err:
            raise ValueError(str(err)) from None


SPEC = MethodSpec(
    policy=PromptConditionedPolicy,
    train=train,
    train_llm=train_llm,
    layout="lora",
    options=("reference", "prompt_style", "virtual_tokens"),
    check=_check,
    summary="one LoRA conditioned on λ through its input (Rewards-in-Context style)",
)
