"""Reference formulas for the aggregators, written per row with plain Python floats.

They are deliberately independent of the torch implementations: loops over lists and the
math module, so that a shared bug cannot hide.
"""

from __future__ import annotations

import math

import pytest
import torch

EPS = 1e-3


def _ls(loss, lam, z, p):
    return sum(w * (a - b) for w, a, b in zip(lam, loss, z))


def _tche(loss, lam, z, p):
    return max(w * (a - b) for w, a, b in zip(lam, loss, z))


def _stche(loss, lam, z, p):
    mu = p.get("mu", 0.1)
    terms = [w * (a - b) / mu for w, a, b in zip(lam, loss, z)]
    top = max(terms)
    return mu * (top + math.log(sum(math.exp(t - top) for t in terms)))


def _atche(loss, lam, z, p):
    return _tche(loss, lam, z, p) + p.get("rho", 0.1) * _ls(loss, lam, z, p)


def _direction(lam, p):
    return [1.0 / max(w, p.get("eps", EPS)) for w in lam]


def _mtche(loss, lam, z, p):
    return max((a - b) / d for a, b, d in zip(loss, z, _direction(lam, p)))


def _pbi(loss, lam, z, p):
    d = _direction(lam, p)
    norm = math.sqrt(sum(x * x for x in d))
    unit = [x / norm for x in d]
    v = [a - b for a, b in zip(loss, z)]
    d1 = sum(a * u for a, u in zip(v, unit))
    d2 = math.sqrt(sum((a - d1 * u) ** 2 for a, u in zip(v, unit)))
    return d1 + p.get("theta", 5.0) * d2


def _cosmos(loss, lam, z, p):
    d = _direction(lam, p)
    v = [a - b for a, b in zip(loss, z)]
    nv = max(math.sqrt(sum(x * x for x in v)), 1e-8)
    nd = max(math.sqrt(sum(x * x for x in d)), 1e-8)
    cos = sum(a * b for a, b in zip(v, d)) / (nv * nd)
    return _ls(loss, lam, z, p) + p.get("mu", 1.0) * (1.0 - cos)


REFERENCES = {
    "ls": _ls,
    "tche": _tche,
    "stche": _stche,
    "atche": _atche,
    "mtche": _mtche,
    "pbi": _pbi,
    "cosmos": _cosmos,
}

# Non-default constants, so that a constant ignored by the implementation shows up.
PARAMS = {
    "ls": {},
    "tche": {},
    "stche": {"mu": 0.3},
    "atche": {"rho": 0.25},
    "mtche": {"eps": 0.05},
    "pbi": {"theta": 2.5, "eps": 0.05},
    "cosmos": {"mu": 0.7, "eps": 0.05},
}


def reference(name, losses, lam, ideal, mask=None, params=None):
    """Per-row reference value for one row given as lists; masked dims are dropped first."""
    params = PARAMS[name] if params is None else params
    if mask is not None:
        keep = [i for i, k in enumerate(mask) if k]
        if not keep:
            return 0.0
        losses, lam, ideal = ([seq[i] for i in keep] for seq in (losses, lam, ideal))
    return REFERENCES[name](losses, lam, ideal, params)


@pytest.fixture(autouse=True)
def _one_thread():
    """Run the aggregator tests single-threaded."""
    # The tensors are tiny: a second intra-op thread only adds synchronisation, which is
    # very slow when the 2-core machine is shared.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(params=sorted(REFERENCES))
def builtin_name(request):
    """Each built-in aggregator key."""
    return request.param


@pytest.fixture(name="reference")
def _reference_fixture():
    """The per-row reference function :func:`reference`."""
    return reference


@pytest.fixture
def make_builtin(builtin_name):
    """Build the current built-in aggregator with its non-default test constants."""
    from mdpo.aggregators import get_aggregator

    return lambda: get_aggregator(builtin_name, **PARAMS[builtin_name])
