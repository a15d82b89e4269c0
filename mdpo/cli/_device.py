"""The ``--device`` option of the commands that load a model (``generate``, ``serve``)."""

from __future__ import annotations

import torch

__all__ = ["check_device"]


def check_device(text: str | None) -> torch.device | str | None:
    """``--device`` as a torch device, or an error message if it names none available.

    Args:
        text: The option's value; None for the default (CPU).

    Returns:
        None, a ``torch.device``, or a message (a str) saying why the value is refused.
    """
    if text is None:
        return None
    try:
        device = torch.device(text)
    except (RuntimeError, ValueError) as err:
        return f"invalid value {text!r}: not a torch device ({err}); e.g. cpu, cuda, cuda:1"
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
    }
    if not available.get(device.type, False):
        return f"invalid value {text!r}: no {device.type} device is available here; use cpu"
    if device.type == "cuda" and device.index is not None:
        count = torch.cuda.device_count()
        if device.index >= count:
            return f"invalid value {text!r}: this machine has {count} CUDA device(s)"
    return device
