"""The chat-completions request and response of ``mdpo serve``, in the OpenAI format.

:func:`parse_chat_request` validates a decoded JSON body in one place and turns it into a
:class:`ChatRequest`; every problem raises :class:`RequestError` naming the field, which the
server answers with a 4xx and an OpenAI-style error object. The request takes one field
beyond the OpenAI format, ``preference``: a list of m non-negative weights, or
``{dimension name: weight}`` (unnamed dimensions get 0), normalised to sum to 1 as
``mdpo generate --preference`` does. Without it, λ is uniform.
"""

from __future__ import annotations

import dataclasses
import math
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from mdpo._numbers import check_real

__all__ = [
    "ChatRequest",
    "RequestError",
    "ServingLimits",
    "chunk_response",
    "completion_response",
    "error_body",
    "parse_chat_request",
]

_ROLES = ("system", "user", "assistant")
_SEED_LIMIT = 2**63


class RequestError(ValueError):
    """A request the server refuses.

    Args:
        param: The request field at fault (``"preference"``, ``"messages[1].content"``,
            ...), or None when the body as a whole is.
        message: What is wrong and what is allowed.
        status: The HTTP status (400 by default).
    """

    def __init__(self, param: str | None, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.param = param
        self.message = message
        self.status = status


def error_body(error: RequestError) -> dict[str, Any]:
    """The JSON body of an error answer (OpenAI's layout).

    Args:
        error: The refused request's error.

    Returns:
        ``{"error": {"message", "type", "param", "code"}}``.
    """
    kind = "invalid_request_error" if error.status < 500 else "server_error"
    return {"error": {"message": error.message, "type": kind, "param": error.param, "code": None}}


@dataclasses.dataclass(frozen=True)
class ServingLimits:
    """What one request may ask for, and how requests are batched.

    Args:
        max_tokens: Largest ``max_tokens`` a request may ask for (>= 1).
        default_max_tokens: ``max_tokens`` when a request gives none; ``min(128,
            max_tokens)`` when None.
        max_prompt_chars: Most characters over all messages of a request.
        max_batch_size: Most requests decoded in one batch (>= 1).
        batch_wait_ms: How long the first request of a batch waits for others (>= 0).
        max_queue: Most requests waiting; more are answered 503.

    Raises:
        ValueError: If a limit is out of range.
    """

    max_tokens: int = 512
    default_max_tokens: int | None = None
    max_prompt_chars: int = 8000
    max_batch_size: int = 8
    batch_wait_ms: float = 10.0
    max_queue: int = 256

    def __post_init__(self) -> None:
        if self.default_max_tokens is None and isinstance(self.max_tokens, int):
            object.__setattr__(self, "default_max_tokens", min(128, self.max_tokens))
        for name in ("max_tokens", "default_max_tokens", "max_prompt_chars", "max_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if self.default_max_tokens > self.max_tokens:  # type: ignore[operator]
            raise ValueError(
                f"default_max_tokens ({self.default_max_tokens}) must be <= max_tokens "
                f"({self.max_tokens})"
            )
        check_real("batch_wait_ms", self.batch_wait_ms, low=0.0, noun="number")
        if (
            isinstance(self.max_queue, bool)
            or not isinstance(self.max_queue, int)
            or self.max_queue < 1
        ):
            raise ValueError(f"max_queue must be an int >= 1, got {self.max_queue!r}")


@dataclasses.dataclass(frozen=True)
class ChatRequest:
    """A validated chat-completions request.

    Args:
        messages: The conversation, as ``{"role", "content"}`` dicts of strings.
        preference: λ ``[m]``, normalised.
        max_tokens: Tokens to generate at most.
        temperature: 0 = greedy, else pure sampling.
        seed: Sampling seed.
        stream: Answer with server-sent events.
    """

    messages: list[dict[str, str]]
    preference: torch.Tensor
    max_tokens: int
    temperature: float
    seed: int
    stream: bool


def parse_chat_request(
    body: Any,
    *,
    model_id: str,
    dim_names: Sequence[str],
    limits: ServingLimits,
    supported: torch.Tensor | None = None,
) -> ChatRequest:
    """Validate a decoded ``POST /v1/chat/completions`` body.

    Args:
        body: The decoded JSON.
        model_id: The served model's id; ``model``, when given, must equal it.
        dim_names: The m dimension names, in λ's order.
        limits: The server's limits.
        supported: ``[K, m]`` when the policy supports only K preferences (DPS), else None.

    Returns:
        The request.

    Raises:
        RequestError: Naming the field at fault.

    Example:
        >>> from mdpo.serving.protocol import ServingLimits, parse_chat_request
        >>> body = {"messages": [{"role": "user", "content": "Hi"}],
        ...         "preference": {"concise": 3, "helpful": 1}}
        >>> request = parse_chat_request(
        ...     body, model_id="run", dim_names=["helpful", "concise"], limits=ServingLimits())
        >>> request.preference.tolist(), request.max_tokens, request.temperature
        ([0.25, 0.75], 128, 0.0)
    """
    if not isinstance(body, Mapping):
        raise RequestError(None, f"the body must be a JSON object, got {type(body).__name__}")
    model = body.get("model")
    if model is not None and model != model_id:
        raise RequestError(
            "model", f"unknown model {model!r}; this server serves {model_id!r}", status=404
        )
    messages = _messages(body.get("messages"), limits)
    preference = _preference(body.get("preference"), list(dim_names), supported)
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    field = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
    if max_tokens is None:
        max_tokens = limits.default_max_tokens
    elif isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
        raise RequestError(field, f"{field} must be an integer, got {max_tokens!r}")
    elif not 1 <= max_tokens <= limits.max_tokens:
        raise RequestError(
            field, f"{field} must be between 1 and {limits.max_tokens}, got {max_tokens}"
        )
    temperature = body.get("temperature", 0.0)
    temperature = 0.0 if temperature is None else temperature
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, int | float)
        or not math.isfinite(temperature)
        or not 0 <= temperature <= 2
    ):
        raise RequestError(
            "temperature",
            f"temperature must be a number in [0, 2] (0 = greedy), got {temperature!r}",
        )
    seed = body.get("seed", 0)
    seed = 0 if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < _SEED_LIMIT:
        raise RequestError("seed", f"seed must be an integer in [0, 2**63), got {seed!r}")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise RequestError("stream", f"stream must be true or false, got {stream!r}")
    _unsupported(body)
    return ChatRequest(messages, preference, max_tokens, float(temperature), seed, stream)


def _messages(value: Any, limits: ServingLimits) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise RequestError("messages", f"messages must be a non-empty list of turns, got {value!r}")
    out = []
    for i, turn in enumerate(value):
        where = f"messages[{i}]"
        if not isinstance(turn, Mapping):
            raise RequestError(where, f"{where} must be an object with role and content")
        role = turn.get("role")
        if role not in _ROLES:
            raise RequestError(
                f"{where}.role", f"{where}.role must be one of {', '.join(_ROLES)}, got {role!r}"
            )
        out.append({"role": role, "content": _content(turn.get("content"), f"{where}.content")})
    if out[-1]["role"] != "user":
        raise RequestError("messages", "the last message must be the user's")
    if any(turn["role"] == "system" for turn in out[1:]):
        raise RequestError("messages", "a system message may only come first")
    if not out[-1]["content"].strip():
        raise RequestError(f"messages[{len(out) - 1}].content", "the user's message is empty")
    chars = sum(len(turn["content"]) for turn in out)
    if chars > limits.max_prompt_chars:
        raise RequestError(
            "messages",
            f"the messages hold {chars} characters; this server takes at most "
            f"{limits.max_prompt_chars}",
            status=413,
        )
    return out


def _content(value: Any, where: str) -> str:
    """A message's text: a string, or OpenAI's list of ``{"type": "text", "text"}`` parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(
        isinstance(p, Mapping) and p.get("type") == "text" and isinstance(p.get("text"), str)
        for p in value
    ):
        return "".join(p["text"] for p in value)
    raise RequestError(where, f"{where} must be a string or a list of text parts, got {value!r}")


def _preference(value: Any, names: list[str], supported: torch.Tensor | None) -> torch.Tensor:
    from mdpo.preferences import check_preference, named_preference

    m = len(names)
    if value is None:
        lam = torch.full((m,), 1.0 / m)
        if supported is None or _index(supported, lam) is not None:
            return lam
        raise RequestError(
            "preference", f"preference is required: this run supports only {_shown(supported)}"
        )
    try:
        if isinstance(value, Mapping):
            weights = named_preference(value, names)
        elif isinstance(value, list):
            if len(value) != m:
                raise ValueError(
                    f"preference has {len(value)} weights, but the run has m={m} dimensions "
                    f"({', '.join(names)})"
                )
            if any(isinstance(v, bool) or not isinstance(v, int | float) for v in value):
                raise TypeError(f"preference weights must be numbers, got {value!r}")
            weights = [float(v) for v in value]
        else:
            raise TypeError(
                f"preference must be a list of {m} weights or an object of weights by "
                f"dimension name ({', '.join(names)}), got {value!r}"
            )
        if not all(math.isfinite(w) for w in weights):
            raise ValueError(f"preference must be finite (no NaN or infinity), got {weights}")
        top = max(weights)
        # Dividing by the largest weight first keeps huge weights (1e308) from overflowing.
        lam = check_preference(
            [w / top if top > 0 else w for w in weights], m, normalize=True, name="preference"
        )
    except (TypeError, ValueError) as err:
        raise RequestError("preference", str(err)) from None
    if supported is not None and _index(supported, lam) is None:
        raise RequestError(
            "preference",
            f"preference {[round(v, 4) for v in lam.tolist()]} is not supported by this run; "
            f"it supports only {_shown(supported)}",
        )
    return lam


def _index(grid: torch.Tensor, lam: torch.Tensor) -> int | None:
    hits = ((grid.to(lam.dtype) - lam).abs() <= 1e-5).all(dim=-1).nonzero().flatten()
    return int(hits[0]) if hits.numel() else None


def _shown(grid: torch.Tensor) -> str:
    return ", ".join("[" + ", ".join(f"{v:.4g}" for v in row) + "]" for row in grid.tolist())


def _unsupported(body: Mapping[str, Any]) -> None:
    """Refuse options the server would otherwise silently ignore."""
    checks = {
        "n": (1,),
        "top_p": (1, 1.0),
        "stop": ([],),
        "logprobs": (False,),
        "tools": ([],),
    }
    for field, allowed in checks.items():
        value = body.get(field)
        if value is not None and value not in allowed:
            raise RequestError(
                field, f"{field}={value!r} is not supported by mdpo serve (leave it out)"
            )


def completion_response(
    request_id: str, model_id: str, request: ChatRequest, completion: Any, dim_names: Sequence[str]
) -> dict[str, Any]:
    """The ``chat.completion`` object of a finished answer.

    Args:
        request_id: ``chatcmpl-...``.
        model_id: The served model's id.
        request: The request.
        completion: Its :class:`~mdpo.serving.decode.Completion`.
        dim_names: The dimension names.

    Returns:
        The OpenAI object plus ``preference`` (λ as used, by name).
    """
    return {
        "id": request_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_id,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": completion.text},
                "finish_reason": completion.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": completion.prompt_tokens,
            "completion_tokens": completion.completion_tokens,
            "total_tokens": completion.prompt_tokens + completion.completion_tokens,
        },
        "preference": dict(zip(dim_names, request.preference.tolist())),
    }


def chunk_response(
    request_id: str, model_id: str, delta: dict[str, str], finish_reason: str | None = None
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` of a streamed answer.

    Args:
        request_id: ``chatcmpl-...``, the same for every chunk of an answer.
        model_id: The served model's id.
        delta: ``{"role": "assistant"}`` first, then ``{"content": piece}``; ``{}`` last.
        finish_reason: Set on the last chunk.

    Returns:
        The chunk object.
    """
    return {
        "id": request_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model_id,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def new_request_id() -> str:
    """A fresh ``chatcmpl-`` id."""
    return f"chatcmpl-{uuid.uuid4().hex}"
