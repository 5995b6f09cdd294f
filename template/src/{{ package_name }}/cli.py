"""Command line of the service: train a model, serve it."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from . import DISTRIBUTION
from .settings import Settings


def _train(settings: Settings, args: argparse.Namespace) -> int:
    from .training import TrainingDataError, train

    data = args.data or settings.training_data
    try:
        result = train(data, settings.model_dir)
    except TrainingDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"Trained {result.version} on {result.rows} rows -> {settings.model_dir / result.version}\n"
        f"Hold-out metrics: {json.dumps(result.metrics)}"
    )
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        f"{__package__}.api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        # The app answers 503 itself past `max_in_flight`; this is the hard ceiling on
        # connections so a flood of slow clients cannot exhaust the process.
        limit_concurrency=settings.max_in_flight * 2,
        timeout_graceful_shutdown=max(1, settings.request_timeout_ms // 1000 + 1),
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=DISTRIBUTION, description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="Train a new model version on the training data.")
    train.add_argument("--data", type=Path, help="CSV to train on (default: settings).")
    train.set_defaults(handler=_train)

    serve = commands.add_parser("serve", help="Run the HTTP service under uvicorn.")
    serve.add_argument("--host", default="127.0.0.1", help="Interface (default: %(default)s).")
    serve.add_argument("--port", type=int, default=8000, help="Port (default: %(default)s).")
    serve.set_defaults(handler=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"error: invalid configuration:\n{error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    handler = args.handler
    code: int = handler(settings, args)
    return code
