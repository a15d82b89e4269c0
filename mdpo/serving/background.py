"""Run the server in a background thread of this process (load tests, browser tests, notebooks)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

__all__ = ["serve_in_background"]


@contextlib.contextmanager
def serve_in_background(
    app: Any, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 30.0
) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a daemon thread; yields its base URL.

    Args:
        app: The ASGI application (:func:`mdpo.serving.app.create_app`).
        host: Address to bind.
        port: Port; 0 picks a free one.
        timeout: Seconds to wait for the server to start.

    Yields:
        ``"http://host:port"``.

    Raises:
        RuntimeError: If the server does not start within ``timeout``.
    """
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="mdpo-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the server did not start on {host}:{port} within {timeout} s")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout)
