"""Input checks shared by the metric functions: everything becomes a float64 numpy array here.

Metrics accept torch tensors, numpy arrays or nested lists; this module is the boundary where
they are converted to numpy and validated, so that every metric reports bad input the same way
(a ``ValueError`` or ``TypeError`` naming the parameter, what it got and what is allowed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

ArrayLike = torch.Tensor | np.ndarray | Sequence[Sequence[float]] | Sequence[float]
"""What the metric functions accept for points and vectors."""


def _to_numpy(x: Any, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        if x.dtype == torch.bool or x.is_complex():
            raise TypeError(f"{name} must hold real numbers, got a tensor of dtype {x.dtype}")
        return x.detach().to("cpu", torch.float64).numpy()
    if isinstance(x, str | bytes) or not isinstance(x, np.ndarray | Sequence):
        raise TypeError(
            f"{name} must be a torch tensor, numpy array or (nested) list of floats, "
            f"got {type(x).__name__} {x!r}"
        )
    try:
        arr = np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} must be rectangular (all rows of equal length): {err}") from err
    if arr.dtype == np.bool_ or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got an array of dtype {arr.dtype}")
    return arr.astype(np.float64)


def _describe(arr: np.ndarray, limit: int = 6) -> str:
    flat = arr.ravel()
    body = ", ".join(f"{v:.4g}" for v in flat[:limit])
    return f"[{body}{', ...' if flat.size > limit else ''}]"


def check_points(
    points: Any,
    name: str = "points",
    *,
    m: int | None = None,
    min_points: int = 0,
) -> np.ndarray:
    """Validate a point set and return it as a float64 array of shape ``[n, m]``.

    An empty sequence (``[]`` or an array of shape ``[0]``) is read as ``[0, m]`` when ``m``
    is given.

    Args:
        points: ``[n, m]`` tensor, array or nested list.
        name: Parameter name used in error messages.
        m: Required number of objectives, or None to accept any ``m >= 1``.
        min_points: Smallest allowed ``n``.

    Returns:
        A new float64 numpy array of shape ``[n, m]``.

    Raises:
        TypeError: If ``points`` is not numeric.
        ValueError: If it is not 2-D, has the wrong ``m``, too few rows, or a NaN/inf entry.
    """
    arr = _to_numpy(points, name)
    if arr.ndim == 1 and arr.size == 0 and m is not None:
        arr = arr.reshape(0, m)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape [n, m] (one row per point), got shape {arr.shape}"
        )
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least one objective column, got shape {arr.shape}")
    if m is not None and arr.shape[1] != m:
        raise ValueError(
            f"{name} must have m={m} objective columns to match the other inputs, "
            f"got shape {arr.shape}"
        )
    if arr.shape[0] < min_points:
        raise ValueError(f"{name} must hold at least {min_points} point(s), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[:3].tolist()
        raise ValueError(f"{name} must be finite (no NaN or inf); non-finite entries at {bad}")
    return arr


def check_vector(vector: Any, name: str, m: int | None = None) -> np.ndarray:
    """Validate a single point (e.g. a reference point) of length ``m``.

    Args:
        vector: ``[m]`` tensor, array or list.
        name: Parameter name used in error messages.
        m: Required length, or None to accept any ``m >= 1``.

    Returns:
        A new float64 numpy array of shape ``[m]``.

    Raises:
        TypeError: If ``vector`` is not numeric.
        ValueError: If it is not of shape ``[m]`` or holds NaN/inf.
    """
    arr = _to_numpy(vector, name)
    if m is None and (arr.ndim != 1 or arr.size < 1):
        raise ValueError(f"{name} must be a 1-D array of shape [m], got shape {arr.shape}")
    if m is not None and arr.shape != (m,):
        raise ValueError(f"{name} must have shape [{m}] to match the points, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (no NaN or inf), got {_describe(arr)}")
    return arr


def check_choice(value: Any, name: str, allowed: Sequence[str]) -> str:
    """Check that ``value`` is one of the ``allowed`` strings.

    Args:
        value: The received value.
        name: Parameter name used in error messages.
        allowed: The valid strings.

    Returns:
        ``value``.

    Raises:
        ValueError: If ``value`` is not in ``allowed``.
    """
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return value


def check_points_and_preferences(points: Any, preferences: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate row-matched objective values and preferences.

    Args:
        points: ``[n, m]`` objective values.
        preferences: ``[n, m]`` preferences, checked with
            :func:`mdpo.preferences.check_preference` and renormalised exactly.

    Returns:
        ``(points, preferences)`` as float64 numpy arrays of shape ``[n, m]``.

    Raises:
        TypeError: If an input is not numeric.
        ValueError: If the shapes disagree or a preference is invalid.
    """
    from mdpo.preferences import check_preference

    lam = check_points(preferences, "preferences")
    p = check_points(points, m=lam.shape[1])
    if p.shape[0] != lam.shape[0]:
        raise ValueError(
            f"points and preferences must have one row per evaluated preference each, got "
            f"shapes {p.shape} and {lam.shape}"
        )
    lam = check_preference(torch.from_numpy(lam), lam.shape[1], name="preferences").numpy()
    return p, lam
