"""The ``gradient-service`` command: ``serve`` and ``openapi``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path


def _serve(args: argparse.Namespace) -> int:
    import os

    from .config import get_settings

    settings = get_settings()
    # Bound BLAS/OpenMP threads before NumPy loads, so concurrent requests don't oversubscribe cores.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(settings.blas_threads))
    from .supervisor import run_worker, supervise

    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    options = {
        "log_level": settings.log_level,
        "max_requests": settings.max_requests,
        "max_requests_jitter": settings.max_requests_jitter,
        "graceful_s": settings.time_limit_s + 5,
    }
    if workers == 1 and not settings.max_requests:
        run_worker(host, port, options, reuse_port=False)
        return 0
    return supervise(host, port, workers, options)


def _openapi(args: argparse.Namespace) -> int:
    from .main import app

    text = json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = argparse.ArgumentParser(prog="gradient-service", description="A web service that computes gradients.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP service with uvicorn")
    serve.add_argument("--host", default=None, help="interface to bind (default: settings, 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default: settings, 8000)")
    serve.add_argument("--workers", type=int, default=None, help="worker processes (default: settings, 1)")
    serve.set_defaults(func=_serve)
    doc = sub.add_parser("openapi", help="write the OpenAPI document")
    doc.add_argument("--output", "-o", default=None, help="file to write (default: stdout)")
    doc.set_defaults(func=_openapi)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
