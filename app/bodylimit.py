"""Request-body size limit, enforced while the body streams in (Content-Length or chunked).

Starlette has no limit of its own. The check happens in ``receive``, and the 413 is
answered here, so no handler (nor FastAPI's body parsing, which would turn the error
into a 400) ever sees an oversized body.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import send_problem
from .service.errors import LimitExceeded


class BodyTooLarge(LimitExceeded):
    """Raised inside ``receive`` when the body passes the limit (a 413 wherever it surfaces)."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await self._reject(send, declared)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(
                        f"request body is over the limit (max_body_bytes) of {limit} bytes (read {seen} so far)"
                    )
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(send, seen)

    async def _reject(self, send: Send, size: int) -> None:
        what = f"{size} bytes" if size >= 0 else "an unreadable Content-Length"
        await send_problem(send, 413, "limit-exceeded", "Request over a limit",
                           f"request body of {what} is over the limit (max_body_bytes) of {self.max_bytes} bytes",
                           headers={"Connection": "close"})
