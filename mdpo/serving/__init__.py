"""Serve a trained run over HTTP: ``mdpo serve RUN_DIR`` (the optional ``serve`` extra).

One model answers every request at the request's own preference λ; concurrent requests
share a decoding batch with one λ per row. See :mod:`mdpo.serving.app` for the routes and
:mod:`mdpo.serving.protocol` for the request format.
"""

from .decode import Completion, Row, decode
from .protocol import ChatRequest, RequestError, ServingLimits, parse_chat_request

__all__ = [
    "ChatRequest",
    "Completion",
    "RequestError",
    "Row",
    "ServingLimits",
    "decode",
    "parse_chat_request",
]
