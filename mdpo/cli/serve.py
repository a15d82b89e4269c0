"""``mdpo serve``: answer chat requests over HTTP at each request's own preference λ.

Loads a run folder as ``mdpo generate`` does and serves ``POST /v1/chat/completions``
(OpenAI's chat format plus ``preference``), ``GET /v1/models``, ``GET /info`` and, at ``/``,
a page with one slider per dimension. Needs the ``serve`` extra (FastAPI and uvicorn).
"""

from __future__ import annotations

import argparse
import os
import sys

from mdpo.cli._args import Command, add_device, bounded, positive_int
from mdpo.cli._errors import CommandError

__all__ = ["COMMAND", "add_parser", "run"]


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    port = bounded(int, 0, "a port number 0-65535")
    parser.add_argument("--port", type=port, default=8000, help="default 8000")
    add_device(parser)
    batch = "most requests decoded together (default 8)"
    parser.add_argument("--max-batch-size", type=positive_int, default=8, help=batch)
    parser.add_argument(
        "--batch-wait-ms",
        type=bounded(float, 0.0, "a number >= 0"),
        default=10.0,
        help="how long a request waits for others to share its batch (default 10)",
    )
    tokens = "largest max_tokens a request may ask for (default 512)"
    parser.add_argument("--max-tokens", type=positive_int, default=512, help=tokens)
    chars = "most characters over a request's messages (default 8000)"
    parser.add_argument("--max-prompt-chars", type=positive_int, default=8000, help=chars)
    parser.add_argument("--threads", type=positive_int, default=None)


def run(args: argparse.Namespace) -> int:
    """Handle ``mdpo serve``: load the run, then serve until interrupted.

    Args:
        args: Parsed arguments.

    Returns:
        0 after a clean shutdown.

    Raises:
        CommandError: On bad input (not a run folder, a port above 65535, the serve extra
            missing, an unusable device): one error line, exit status 2.
    """
    if args.port > 65535:
        raise CommandError(
            f"argument --port: invalid value {args.port}: expected a port number 0-65535"
        )
    try:
        import uvicorn
    except ImportError:
        raise CommandError(
            "mdpo serve needs FastAPI and uvicorn: pip install 'mdpo[serve]'"
        ) from None
    from mdpo.cli._device import check_device
    from mdpo.serving.app import load_app
    from mdpo.serving.protocol import ServingLimits

    device = check_device(args.device)
    if isinstance(device, str):
        raise CommandError(f"argument --device: {device}")

    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    try:
        limits = ServingLimits(
            max_tokens=args.max_tokens,
            max_prompt_chars=args.max_prompt_chars,
            max_batch_size=args.max_batch_size,
            batch_wait_ms=args.batch_wait_ms,
        )
        app = load_app(args.run_dir, device=device, limits=limits)
    except (ValueError, TypeError, OSError, RuntimeError) as err:
        raise CommandError(
            f"argument RUN_DIR: cannot load the run {os.fspath(args.run_dir)!r}: {err}"
        ) from None
    print(f"mdpo serve: {args.run_dir} on http://{args.host}:{args.port}/", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


COMMAND = Command(
    "serve",
    help="serve a trained run over HTTP (OpenAI-style chat endpoint and a slider page)",
    description=(
        "Serve the policy of a run folder (run.json): POST /v1/chat/completions in "
        "OpenAI's chat format with a 'preference' field (a list of weights or "
        "{dimension: weight}), GET /v1/models, GET /info, and a page with one slider per "
        "dimension at /. Concurrent requests share one decoding batch, one λ per row."
    ),
    options=_options,
    handler=run,
)
add_parser = COMMAND.add_parser
