"""RLHF with RLOO: sample k completions per prompt at its λ, score them, leave-one-out."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from mdpo.conditioning import Conditioning
from mdpo.data import PromptCollator, as_rows, is_conversation, validate_prompts

from .base import Objective, ObjectiveInputs, _device_of, check_conditioning, check_dim_names
from .losses import _check_beta, rlhf_loss
from .output import LossOutput

__all__ = ["RLHFObjective", "prompt_text"]

ScorerFn = Callable[[Sequence[str], Sequence[str]], torch.Tensor]


def prompt_text(prompt: Any) -> str:
    """The text a scorer sees for a prompt: the string, or a conversation's last user turn.

    Args:
        prompt: A string or a list of ``{"role", "content"}`` messages.

    Returns:
        The prompt text (without chat template).

    Example:
        >>> from mdpo.objectives import prompt_text
        >>> prompt_text([{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}])
        'Q'
    """
    if isinstance(prompt, str):
        return prompt
    if is_conversation(prompt):
        users = [m.get("content", "") for m in prompt if m.get("role") == "user"]
        return users[-1] if users else str(prompt[-1].get("content", ""))
    raise TypeError(f"prompt must be a str or a conversation, got {type(prompt).__name__}")


def _is_scorer(value: Any) -> bool:
    return callable(value) and not hasattr(value, "column_names")


class RLHFObjective(Objective):
    """KL-regularised RLHF per dimension, optimised with RLOO.

    Each call samples ``k`` completions per prompt from the policy **at the prompt's λ**
    (``generate(num_return_sequences=k)``; the k samples share it), scores them with one
    scorer per dimension, and returns :func:`~mdpo.objectives.rlhf_loss`: value
    −(mean reward − β·KL), gradient of the leave-one-out policy-gradient surrogate.

    **Randomness.** Sampling runs under a forked global RNG seeded from ``generator`` (one
    draw), so it is a pure function of that generator's state and leaves the global RNG
    untouched; :class:`~mdpo.objectives.MultiObjective` passes a generator keyed by
    (seed, step, component, rows). Without a generator, the global RNG is used.

    Args:
        dim_names: Dimension name(s); defaults to the keys of a ``scorers`` mapping.
        scorers: ``{dim: scorer}``, or one scorer for a single dimension, or None to be
            given by :class:`~mdpo.objectives.MultiObjective`. A scorer is
            ``(prompts, completions) -> tensor[n]``, higher is better.
        prompts: Optional prompt dataset (``prompt`` column) this objective draws from
            when a composition gives it a scorer instead of data.
        k: Samples per prompt (≥ 2 for the leave-one-out baseline).
        beta: KL coefficient β ≥ 0.
        max_new_tokens: Generation length limit.
        temperature: Sampling temperature > 0.
        top_p: Nucleus sampling mass in (0, 1].
        max_prompt_length: Maximum prompt tokens.
        chat_template: See :class:`~mdpo.data.CompletionCollator`.
        ref_model: Explicit reference model (default: the policy with its adapter disabled).

    Raises:
        ValueError: For bad hyper-parameters or names that do not match the scorers.
        TypeError: If a scorer is not callable.

    Example:
        >>> from mdpo.objectives import RLHFObjective
        >>> from mdpo.scorers import LengthScorer
        >>> RLHFObjective(scorers={"concise": LengthScorer()}, k=2).dim_names
        ['concise']
    """

    kind = "rlhf"

    def __init__(
        self,
        dim_names: str | Sequence[str] | None = None,
        scorers: Mapping[str, ScorerFn] | ScorerFn | None = None,
        *,
        prompts: Any = None,
        k: int = 4,
        beta: float = 0.05,
        max_new_tokens: int = 32,
        temperature: float = 1.0,
        top_p: float = 1.0,
        max_prompt_length: int | None = None,
        chat_template: bool | None = None,
        ref_model: Any = None,
    ) -> None:
        names = check_dim_names(dim_names)
        if isinstance(scorers, Mapping):
            keys = check_dim_names(list(scorers), name="scorers keys")
            if names is not None and names != keys:
                raise ValueError(f"dim_names {names} must equal the scorers keys {keys}")
            names = keys
        _check_scorers(scorers)
        single = scorers is not None and not isinstance(scorers, Mapping)
        if single and names is not None and len(names) != 1:
            raise ValueError(
                f"one scorer was given for {len(names)} dimensions {names}; pass "
                "scorers={dim: scorer}"
            )
        for name, value, ok in (
            ("k", k, isinstance(k, int) and not isinstance(k, bool) and k >= 2),
            (
                "max_new_tokens",
                max_new_tokens,
                isinstance(max_new_tokens, int)
                and not isinstance(max_new_tokens, bool)
                and max_new_tokens >= 1,
            ),
            ("temperature", temperature, isinstance(temperature, int | float) and temperature > 0),
            ("top_p", top_p, isinstance(top_p, int | float) and 0 < top_p <= 1),
        ):
            if not ok:
                allowed = {
                    "k": "an int >= 2 (RLOO needs a leave-one-out baseline)",
                    "max_new_tokens": "an int >= 1",
                    "temperature": "a float > 0",
                    "top_p": "a float in (0, 1]",
                }[name]
                raise ValueError(f"{name} must be {allowed}, got {value!r}")
        if prompts is not None:
            prompts = as_rows(prompts, name="prompts")
            validate_prompts(prompts, name="prompts")
        self.dim_names = names
        self.scorers = scorers
        self.prompts = prompts
        self.k = k
        self.beta = _check_beta(beta, allow_zero=True)
        self.max_new_tokens = max_new_tokens
        self.temperature = float(temperature)
        self.top_p = float(top_p)
        self.ref_model = ref_model
        self.collator = PromptCollator(
            None, max_prompt_length=max_prompt_length, chat_template=chat_template
        )

    def _check_bindable(self, names: list[str]) -> None:
        if self.scorers is not None and not isinstance(self.scorers, Mapping) and len(names) != 1:
            super()._check_bindable(names)

    def with_scorers(self, scorers: Mapping[str, ScorerFn] | ScorerFn) -> RLHFObjective:
        """A copy of this objective with the given scorer(s).

        Args:
            scorers: ``{dim: scorer}`` or one scorer.

        Returns:
            The copy.

        Raises:
            ValueError: If this objective already has scorers.
        """
        if self.scorers is not None:
            raise ValueError(
                "this RLHFObjective already has scorers; give the composition its prompt "
                "dataset instead of a scorer"
            )
        _check_scorers(scorers)
        out = copy.copy(self)
        out.collator = copy.copy(self.collator)
        out.scorers = scorers
        if isinstance(scorers, Mapping):
            names = check_dim_names(list(scorers), name="scorers keys")
            if self.dim_names is not None and names != self.dim_names:
                raise ValueError(
                    f"scorers keys {names} must equal this objective's dimensions {self.dim_names}"
                )
            out.dim_names = names
        return out

    def resolved_scorers(self) -> dict[str, ScorerFn]:
        """``{dim: scorer}`` for every dimension.

        Returns:
            The mapping.

        Raises:
            ValueError: If scorers or names are missing.
        """
        dims = self._require_dims()
        if self.scorers is None:
            raise ValueError(
                f"RLHFObjective for {dims} has no scorers; pass scorers= or give the "
                "composition a scorer"
            )
        if isinstance(self.scorers, Mapping):
            return {d: self.scorers[d] for d in dims}
        return {dims[0]: self.scorers}

    def validate_data(self, data: Any) -> None:
        """Check a prompt dataset (:func:`~mdpo.data.validate_prompts`).

        Raises as :meth:`Objective.validate_data <mdpo.objectives.Objective.validate_data>`.
        """
        validate_prompts(data)

    def sample(
        self,
        model: Any,
        batch: Mapping[str, torch.Tensor],
        preferences: torch.Tensor,
        conditioning: Conditioning,
        generator: torch.Generator | None,
        tokenizer: Any,
    ) -> dict[str, torch.Tensor]:
        """Sample ``k`` completions per prompt at the prompts' λ.

        Args:
            model: The policy.
            batch: Left-padded prompts: ``input_ids [B, P]``, ``attention_mask [B, P]``.
            preferences: ``[B, M]`` λ per prompt.
            conditioning: How λ reaches the policy.
            generator: Seeds the sampling; None uses the global RNG.
            tokenizer: The tokenizer (for pad/eos ids).

        Returns:
            ``input_ids [B·k, P + N]``, ``attention_mask [B·k, P + N]`` and
            ``completion_mask [B·k, P + N]`` (bool: generated tokens up to and including
            the first EOS). Rows ``b·k .. b·k + k − 1`` are prompt b's samples.

        Raises:
            TypeError: If ``conditioning`` is not a Conditioning or cannot reach the model.
            ValueError: If λ is not on the simplex or has another width than the
                conditioning takes.
        """
        lam = check_conditioning(conditioning, model, preferences)
        return self._sample(
            ObjectiveInputs(model, (), lam, tokenizer, conditioning, generator), batch
        )

    def _sample(
        self, call: ObjectiveInputs, batch: Mapping[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """:meth:`sample` of a validated call (its λ are the prompts'; examples unused)."""
        model, _, preferences, tokenizer, conditioning, generator = call
        device = _device_of(model)
        ids = batch["input_ids"].to(device)
        attn = batch["attention_mask"].to(device)
        seed = int(torch.randint(0, 2**62, (1,), generator=generator).item())
        eos = tokenizer.eos_token_id
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
        was_training = bool(getattr(model, "training", False))
        cuda = [device] if device.type == "cuda" else []
        model.eval()
        try:
            with (
                torch.no_grad(),
                conditioning._activated(model, preferences.to(device)),
                torch.random.fork_rng(devices=cuda),
            ):
                torch.manual_seed(seed)
                out = model.generate(
                    input_ids=ids,
                    attention_mask=attn,
                    do_sample=True,
                    num_return_sequences=self.k,
                    max_new_tokens=self.max_new_tokens,
                    temperature=self.temperature,
                    top_p=self.top_p,
                    top_k=0,
                    pad_token_id=pad,
                    eos_token_id=eos,
                )
        finally:
            model.train(was_training)
        P = ids.shape[1]
        gen = out[:, P:]
        is_eos = gen == eos
        completion = (is_eos.long().cumsum(dim=-1) - is_eos.long()) == 0
        prompt_attn = attn.repeat_interleave(self.k, dim=0)
        return {
            "input_ids": out,
            "attention_mask": torch.cat([prompt_attn, completion.long()], dim=1),
            "completion_mask": torch.cat(
                [torch.zeros_like(prompt_attn, dtype=torch.bool), completion], dim=1
            ),
        }

    def _compute(self, call: ObjectiveInputs) -> LossOutput:
        """RLOO losses of ``B`` prompts at their rows' λ.

        Args:
            call: Rows with a ``prompt``, their λ ``[B, M]`` and the generator that seeds
                the sampling.

        Returns:
            ``LossOutput`` with ``losses [B, m]``, an all-True ``mask`` and metrics
            ``rlhf/<dim>/reward``, ``rlhf/<dim>/kl`` (sequence KL estimate), ``J/<dim>``
            and ``rlhf/<dims>/length`` (mean completion tokens).

        Raises:
            ValueError: If a scorer returns the wrong shape or a non-finite value.
        """
        model, examples, preferences, tokenizer, conditioning, _ = call
        scorers = self.resolved_scorers()
        dims = list(scorers)
        B, k = len(examples), self.k
        prompts = [ex["prompt"] for ex in examples]
        self.collator.tokenizer = tokenizer
        enc = self.collator(conditioning._formatted(prompts, preferences))
        batch = self._sample(call, enc)
        P = enc["input_ids"].shape[1]
        texts = [
            tokenizer.decode(row[P:][mask[P:]].tolist(), skip_special_tokens=True)
            for row, mask in zip(batch["input_ids"], batch["completion_mask"])
        ]
        raw = [prompt_text(p) for p in prompts for _ in range(k)]
        rewards = torch.stack([_score(d, s, raw, texts) for d, s in scorers.items()], dim=-1)
        row_prefs = preferences.repeat_interleave(k, dim=0)
        _, policy = self._policy_logps(model, batch, row_prefs, conditioning)
        _, ref = self._reference_logps(model, batch, self.ref_model)
        T = policy.shape[1]
        mask = batch["completion_mask"].to(policy.device)
        rewards = rewards.to(policy.device)
        losses = rlhf_loss(
            policy.view(B, k, T),
            ref.to(policy.device).view(B, k, T),
            mask.view(B, k, T),
            rewards.view(B, k, len(dims)),
            beta=self.beta,
        )
        kl = ((policy - ref.to(policy.device)).detach() * mask).sum(dim=-1).mean().cpu()
        metrics = {f"rlhf/{'+'.join(dims)}/length": mask.sum(dim=-1).float().mean().cpu()}
        for i, d in enumerate(dims):
            metrics[f"rlhf/{d}/reward"] = rewards[:, i].mean().cpu()
            metrics[f"rlhf/{d}/kl"] = kl
            metrics[f"J/{d}"] = -losses[:, i].detach().mean().cpu()
        return LossOutput(
            losses=losses,
            mask=torch.ones(B, len(dims), dtype=torch.bool, device=losses.device),
            metrics=metrics,
        )


def _check_scorers(scorers: Any) -> None:
    if scorers is None:
        return
    items = scorers.items() if isinstance(scorers, Mapping) else [("scorer", scorers)]
    for name, s in items:
        if not _is_scorer(s):
            raise TypeError(
                f"scorer for {name!r} must be callable as (prompts, completions) -> tensor[n], "
                f"got {type(s).__name__}"
            )


def _score(dim: str, scorer: ScorerFn, prompts: list[str], texts: list[str]) -> torch.Tensor:
    values = scorer(prompts, texts)
    values = torch.as_tensor(values, dtype=torch.float32).detach().cpu()
    if values.shape != (len(texts),):
        raise ValueError(
            f"scorer for {dim!r} must return a tensor of shape [{len(texts)}], "
            f"got {tuple(values.shape)}"
        )
    if not torch.isfinite(values).all():
        raise ValueError(f"scorer for {dim!r} returned non-finite rewards {values.tolist()[:8]}")
    return values
