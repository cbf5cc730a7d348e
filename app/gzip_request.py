"""``Content-Encoding: gzip`` request bodies, inflated with the body limit applied to the result.

A small gzip body can inflate to gigabytes (a zip bomb), so inflation stops at the limit
and answers 413; the handler sees a plain body and never the encoding.
"""

from __future__ import annotations

import zlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import send_problem


class GzipRequestMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        encoding = next((v for k, v in headers if k == b"content-encoding"), None)
        if encoding is None or encoding.strip().lower() == b"identity":
            await self.app(scope, receive, send)
            return
        if encoding.strip().lower() != b"gzip":
            await send_problem(send, 415, "unsupported-media-type", "Unsupported media type",
                              f"Content-Encoding {encoding.decode('latin-1')[:40]!r} is not supported (gzip is)")
            return
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        parts: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            more = message.get("more_body", False)
            try:
                chunk = inflater.decompress(message.get("body", b""), self.max_bytes + 1 - size)
            except zlib.error:
                await send_problem(send, 400, "malformed-body", "Malformed body", "the gzip body could not be inflated")
                return
            size += len(chunk)
            parts.append(chunk)
            if size > self.max_bytes or inflater.unconsumed_tail:
                await send_problem(send, 413, "limit-exceeded", "Request over a limit",
                                  "the inflated request body is over the limit (max_body_bytes) of "
                                  f"{self.max_bytes} bytes")
                return
        body = b"".join(parts)
        new_headers = [(k, v) for k, v in headers if k not in (b"content-encoding", b"content-length")]
        new_headers.append((b"content-length", str(len(body)).encode()))
        sent = False

        async def inflated_receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app({**scope, "headers": new_headers}, inflated_receive, send)
