"""The policy as objectives see it during training, under DDP too."""

from __future__ import annotations

from typing import Any

from torch import nn

__all__ = ["policy_view"]


class _PolicyView:
    """The DDP-wrapped model for calls (gradient sync), the bare model for everything else.

    Objectives and conditionings call ``set_preference``, ``disable_adapter`` or
    ``generate``, which a ``DistributedDataParallel`` wrapper does not expose; forward
    calls must still go through the wrapper so that gradients are all-reduced.
    """

    def __init__(self, wrapped: nn.Module, module: nn.Module) -> None:
        self._wrapped = wrapped
        self._module = module

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._wrapped(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._wrapped(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def policy_view(wrapped: nn.Module, module: nn.Module) -> Any:
    """``module`` itself, or a view that calls ``wrapped`` (its DDP wrapper) for forwards.

    Args:
        wrapped: The model as the trainer runs it (possibly DDP-wrapped).
        module: The unwrapped model.

    Returns:
        ``module`` when nothing wraps it, else the view.
    """
    return module if wrapped is module else _PolicyView(wrapped, module)
