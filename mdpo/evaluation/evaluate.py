"""Evaluate a preference-conditioned policy on a task over a set of preferences."""

from __future__ import annotations

from typing import Any

import torch

from mdpo.preferences import PreferenceLike, check_preference

from .front import Front
from .task import Task

__all__ = ["evaluate_front"]


def evaluate_front(policy: Any, task: Task, preferences: PreferenceLike) -> Front:
    """The policy's front: ``task.objective_values`` at every supported preference.

    A policy with a finite :attr:`~mdpo.policies.PreferenceConditionedPolicy.supported_preferences`
    (DPS) is evaluated only at the requested preferences it supports. The policy's previous
    λ is not restored.

    Args:
        policy: A :class:`mdpo.policies.PreferenceConditionedPolicy`.
        task: A :class:`Task` with ``task.n_dims == policy.n_dims``.
        preferences: ``[n, m]`` preferences.

    Returns:
        A :class:`Front` of the supported rows (``[n', m]``, n' <= n).

    Raises:
        ValueError: If m differs between policy, task and preferences, or no requested
            preference is supported.

    Example:
        >>> import torch
        >>> from mdpo.evaluation import evaluate_front
        >>> from mdpo.policies import PromptConditionedPolicy
        >>> class Echo:  # objective values = the preference itself
        ...     dim_names, n_dims = ["a", "b"], 2
        ...     def objective_values(self, policy):
        ...         return policy(torch.zeros(0))
        ...     def true_front(self, n):
        ...         return None
        >>> policy = PromptConditionedPolicy(torch.nn.Identity(), 2)
        >>> evaluate_front(policy, Echo(), [[0.0, 1.0], [1.0, 0.0]]).points
        tensor([[0., 1.],
                [1., 0.]], dtype=torch.float64)
    """
    if task.n_dims != policy.n_dims:
        raise ValueError(f"task has m={task.n_dims} dimensions but the policy has {policy.n_dims}")
    prefs = check_preference(preferences, policy.n_dims, name="preferences")
    if prefs.dim() != 2:
        raise ValueError(f"preferences must have shape [n, m], got {tuple(prefs.shape)}")
    kept, points = [], []
    for lam in prefs:
        if not policy.supports(lam):
            continue
        policy.set_preference(lam)
        values = torch.as_tensor(task.objective_values(policy), dtype=torch.float64)
        if values.shape != (policy.n_dims,):
            raise ValueError(
                f"task.objective_values must return shape [{policy.n_dims}], got "
                f"{tuple(values.shape)}"
            )
        kept.append(lam)
        points.append(values)
    if not kept:
        raise ValueError(
            f"none of the {prefs.shape[0]} preferences is supported by {type(policy).__name__}"
        )
    return Front(torch.stack(points), torch.stack(kept).double(), list(task.dim_names))
