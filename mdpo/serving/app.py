"""The ``mdpo serve`` web application (FastAPI): an OpenAI-style endpoint and a slider page.

Routes:

- ``POST /v1/chat/completions``: the OpenAI chat format plus ``preference``
  (:mod:`mdpo.serving.protocol`); ``stream: true`` answers with server-sent events.
- ``GET /v1/models``: the one served model.
- ``GET /info``: dimensions, method, policy, base model, supported preferences, limits and
  the run's ``results.json`` when it has one.
- ``GET /``: the page with one slider per dimension (:file:`static/index.html`, no CDN).

Concurrent requests are decoded together by a :class:`~mdpo.serving.batcher.Batcher`, one λ
per batch row. Every refused request gets a 4xx with OpenAI's error object naming the field.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

try:
    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError("mdpo serve needs FastAPI and uvicorn: pip install 'mdpo[serve]'") from err

from .batcher import Batcher, QueueFullError
from .decode import Row, decode
from .protocol import (
    RequestError,
    ServingLimits,
    chunk_response,
    completion_response,
    error_body,
    new_request_id,
    parse_chat_request,
)

__all__ = ["create_app", "load_app"]

_RESULTS_LIMIT = 1_000_000
"""Largest ``results.json`` (bytes) that ``/info`` includes."""


def create_app(
    policy: Any,
    tokenizer: Any,
    *,
    model_id: str = "mdpo",
    info: dict[str, Any] | None = None,
    limits: ServingLimits | None = None,
) -> Any:
    """Build the application around a loaded policy.

    Args:
        policy: A :class:`~mdpo.policies.PreferenceConditionedPolicy` of a causal LM.
        tokenizer: Its tokenizer, with a chat template.
        model_id: The id ``/v1/models`` lists and requests may name.
        info: Extra fields for ``GET /info`` (method, base model, results, ...).
        limits: Request limits and batching; :class:`ServingLimits` defaults when None.

    Returns:
        A ``fastapi.FastAPI`` application; ``app.state.batcher`` is its batcher.

    """
    limits = ServingLimits() if limits is None else limits
    batcher = Batcher(
        lambda rows: decode(policy, tokenizer, rows),
        max_batch_size=limits.max_batch_size,
        batch_wait_ms=limits.batch_wait_ms,
        max_queue=limits.max_queue,
    )
    dim_names = list(policy.dim_names)
    supported = policy.supported_preferences

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        await batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(title="mdpo serve", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.batcher = batcher

    def refuse(error: RequestError) -> Any:
        return JSONResponse(error_body(error), status_code=error.status)

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        return resources.files("mdpo.serving").joinpath("static/index.html").read_text("utf-8")

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": model_id, "object": "model", "created": 0, "owned_by": "mdpo"}],
        }

    @app.get("/info")
    async def server_info() -> dict[str, Any]:
        return {
            "model": model_id,
            "policy": type(policy).__name__,
            "dimension_names": dim_names,
            "supported_preferences": None if supported is None else supported.tolist(),
            "per_row_preference": bool(policy.batched),
            "limits": {
                "max_tokens": limits.max_tokens,
                "default_max_tokens": limits.default_max_tokens,
                "max_prompt_chars": limits.max_prompt_chars,
                "max_batch_size": limits.max_batch_size,
                "batch_wait_ms": limits.batch_wait_ms,
            },
            **(info or {}),
        }

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as err:
            return refuse(RequestError(None, f"the body is not valid JSON: {err}"))
        try:
            parsed = parse_chat_request(
                body, model_id=model_id, dim_names=dim_names, limits=limits, supported=supported
            )
        except RequestError as err:
            return refuse(err)
        request_id = new_request_id()
        row = Row(
            parsed.messages, parsed.preference, parsed.max_tokens, parsed.temperature, parsed.seed
        )
        if parsed.stream:
            return StreamingResponse(
                _stream(batcher, row, request_id, model_id), media_type="text/event-stream"
            )
        try:
            completion = await batcher.submit(row)
        except QueueFullError as err:
            return refuse(RequestError(None, str(err), status=503))
        except Exception as err:  # the server keeps serving
            return refuse(_failure(err))
        return completion_response(request_id, model_id, parsed, completion, dim_names)

    return app


async def _stream(batcher: Batcher, row: Row, request_id: str, model_id: str) -> AsyncIterator[str]:
    """Server-sent events of one answer: the role, the text pieces, the finish, ``[DONE]``."""
    loop = asyncio.get_running_loop()
    pieces: asyncio.Queue[str | None] = asyncio.Queue()
    row.on_text = lambda text: loop.call_soon_threadsafe(pieces.put_nowait, text)

    def event(payload: dict[str, Any]) -> str:
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    task = asyncio.create_task(batcher.submit(row))
    task.add_done_callback(lambda _: pieces.put_nowait(None))
    yield event(chunk_response(request_id, model_id, {"role": "assistant"}))
    try:
        while (piece := await pieces.get()) is not None:
            yield event(chunk_response(request_id, model_id, {"content": piece}))
        # Pieces handed over just before the answer finished are still queued.
        while not pieces.empty():
            piece = pieces.get_nowait()
            if piece is not None:
                yield event(chunk_response(request_id, model_id, {"content": piece}))
        try:
            completion = task.result()
        except QueueFullError as err:
            yield event(error_body(RequestError(None, str(err), status=503)))
        except Exception as err:  # the server keeps serving
            yield event(error_body(_failure(err)))
        else:
            yield event(chunk_response(request_id, model_id, {}, completion.finish_reason))
        yield "data: [DONE]\n\n"
    finally:
        row.cancelled = True  # a client that went away frees its place in the batch
        task.cancel()


def _failure(err: Exception) -> RequestError:
    """A decoding failure as a 500 error object."""
    return RequestError(None, f"generation failed: {type(err).__name__}: {err}", status=500)


def load_app(
    run_dir: str | os.PathLike[str],
    *,
    device: str | None = None,
    limits: ServingLimits | None = None,
) -> Any:
    """Load a run folder's policy (:func:`mdpo.policies.load_policy`) and build the app.

    Args:
        run_dir: A run folder with ``run.json``.
        device: Torch device (CPU when None).
        limits: Request limits and batching.

    Returns:
        The application; its model id is the run folder's name.

    Raises:
        ValueError: If the folder is not a loadable run.
    """
    from mdpo.policies import load_policy, read_run_manifest

    manifest = read_run_manifest(run_dir)
    policy, tokenizer = load_policy(run_dir, device=device)
    info: dict[str, Any] = {
        "run_dir": os.fspath(manifest.run_dir),
        "method": manifest.method,
        "base_model": manifest.base_model,
        "results": _results(Path(manifest.run_dir)),
    }
    return create_app(
        policy, tokenizer, model_id=Path(manifest.run_dir).name, info=info, limits=limits
    )


def _results(run_dir: Path) -> Any:
    """The run's ``results.json`` (decoded), when present and not too large."""
    path = run_dir / "results.json"
    if not path.is_file() or path.stat().st_size > _RESULTS_LIMIT:
        return None
    try:
        return json.loads(path.read_text("utf-8"))
    except ValueError:
        return None
