"""Where an evaluation runs: admission, then on the event loop (tiny plans) or a worker thread.

Tiny plans cost less to run than a thread hop; big ones must not stall the event loop
(health checks and metrics keep answering). A client that goes away cancels its run at
the next op boundary, which frees its slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from .service.evaluate import finish, plan_request
from .service.execute import CancelToken
from .service.jsonbody import parse_body

T = TypeVar("T")


async def run_evaluation(request: Request, body: bytes) -> bytes:
    """Parse, plan and run one request; returns the response body."""
    state = request.app.state
    settings = state.settings
    async with state.admission.slot():
        if len(body) <= settings.inline_body_bytes:
            doc = parse_body(body, settings.max_json_depth)
            plan = plan_request(doc, state.limits)
        else:
            doc = await run_in_threadpool(parse_body, body, settings.max_json_depth)
            plan = await run_in_threadpool(plan_request, doc, state.limits)
        token = CancelToken(settings.time_limit_s)
        verify = plan.request is not None and plan.request.verify
        if plan.held_elements <= settings.inline_elements and not verify:
            outcome = finish(plan, token)
        else:
            outcome = await in_thread_until_disconnect(request, finish, plan, token=token)
    request.scope["state"].get("access", {}).update(nodes=outcome.nodes, elements=outcome.elements)
    state.metrics.observe_evaluation(outcome.forward_s, outcome.backward_s, outcome.elements)
    return outcome.body


async def in_thread_until_disconnect(request: Request, fn: Callable[..., T], *args: Any, token: CancelToken) -> T:
    """Run ``fn(*args, token)`` in a worker thread; a client that goes away cancels it via ``token``."""
    work = asyncio.ensure_future(run_in_threadpool(fn, *args, token))

    async def watch() -> None:
        while not work.done():
            if await request.is_disconnected():
                token.cancel()
                return
            await asyncio.sleep(0.05)

    watcher = asyncio.ensure_future(watch())
    try:
        return await asyncio.shield(work)
    finally:
        watcher.cancel()
