"""Fixtures: the ASGI app under test, driven by httpx through ASGITransport."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.main import create_app


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(Settings())


@pytest.fixture(scope="module")
def client(app: Any) -> Iterator[httpx.Client]:
    # httpx's sync client cannot drive an ASGI app; a small sync facade over the async one does.
    import anyio

    class SyncASGI(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            async def go() -> httpx.Response:
                transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
                response = await transport.handle_async_request(request)
                raw = b"".join([chunk async for chunk in response.aiter_raw()])  # still encoded, as sent
                return httpx.Response(response.status_code, headers=response.headers, content=raw)

            return anyio.run(go)

    with httpx.Client(transport=SyncASGI(), base_url="http://testserver") as c:
        yield c


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert a problem+json answer of ``status`` with nothing internal in it; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "loc"} <= body.keys()
    text = response.text
    for leak in ("Traceback", "File \"", "/work/", "site-packages", "<engine.", "object at 0x", "numpy"):
        assert leak not in text, f"internal detail {leak!r} in {text}"
    return body
