"""The request path's fast paths keep the behaviour of the slow ones they replace."""

from __future__ import annotations

import asyncio
import gc
import re
from typing import Any

import anyio
import httpx
import numpy as np
import pytest
from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.admission import Admission
from app.config import Settings
from app.main import create_app
from app.routes.evaluate import RequestRoute
from app.service.encode import all_finite
from app.service.errors import Overloaded

TUTORIAL = {
    "tensors": {"x": {"data": [1, 1], "requires_grad": True}},
    "nodes": [{"id": "y", "expr": "5 * (x + 1) ** 2"},
              {"id": "o", "op": "mul", "args": [0.5, {"op": "sum", "args": ["y"]}]}],
    "backward": [{"output": "o"}],
}


def test_startup_freezes_what_it_leaves_alive() -> None:
    app = create_app(Settings())
    gc.unfreeze()
    assert gc.get_freeze_count() == 0

    async def go() -> None:
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 10_000  # modules, the app, the warm-up's caches

    anyio.run(go)


def test_request_route_calls_the_endpoint_as_is() -> None:
    router = APIRouter(route_class=RequestRoute)

    async def ok(request: Request) -> Response:
        return Response(b"{}", media_type="application/json")

    router.post("/ok")(ok)

    async def with_param(request: Request, n: int) -> Response:
        return Response(b"{}")

    with pytest.raises(TypeError, match="RequestRoute needs"):
        router.post("/bad")(with_param)


@pytest.mark.parametrize("n", [1, 2, 16, 17, 1000])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_all_finite_on_both_sides_of_the_size_switch(n: int, dtype: Any) -> None:
    a = np.arange(n, dtype=dtype).reshape(-1, 1) if n % 2 == 0 else np.arange(n, dtype=dtype)
    assert all_finite(a)
    for bad in (np.nan, np.inf, -np.inf):
        b = a.copy()
        b.flat[n - 1] = bad
        assert not all_finite(b)
    assert all_finite(np.array(3.0, dtype=dtype)) and not all_finite(np.array(np.nan, dtype=dtype))
    assert all_finite(np.zeros((0, 3), dtype=dtype))


def test_admission_slot_is_released_after_an_error_and_refuses_beyond_the_queue() -> None:
    admission = Admission(limit=1, queue=0, wait_s=0.05)

    async def go() -> None:
        with pytest.raises(ValueError):
            async with admission.slot():
                assert admission.running == 1
                raise ValueError("boom")
        assert admission.running == 0
        async with admission.slot():
            with pytest.raises(Overloaded, match="max_queue=0"):
                async with admission.slot():
                    pass
        assert admission.running == 0 and admission.waiting == 0

    asyncio.run(go())


def test_metrics_count_every_request_by_route_method_and_status() -> None:
    app = create_app(Settings())

    async def go() -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            for _ in range(3):
                assert (await c.post("/v1/evaluate", json=TUTORIAL)).status_code == 200
            wrong_type = await c.post("/v1/evaluate", content=b"{}", headers={"content-type": "text/plain"})
            assert wrong_type.status_code == 415
            return (await c.get("/metrics")).text

    text = anyio.run(go)

    def count(status: str) -> float:
        pattern = rf'^gs_requests_total\{{(?=[^}}]*route="/v1/evaluate")(?=[^}}]*status="{status}")[^}}]*\}} (\S+)$'
        match = re.search(pattern, text, re.M)
        assert match, text
        return float(match.group(1))

    assert count("200") == 3 and count("415") == 1
    assert re.search(r'^gs_request_seconds_count\{route="/v1/evaluate"\} 4\.0$', text, re.M), text


# -- flat lists of numbers for float tensors: array.array instead of NumPy's discovery ----------------

_FLAT_LISTS = {
    "floats": [0.1, -2.5, 1e-30, 3.4e38, 1e300, -0.0, 7.0],
    "small ints": [1, -2, 3, 2**53 - 1],
    "ints past 2**53": [2**60 + 2**36 + 1, 3],  # NumPy rounds int64 -> float32 once; via a double, twice
    "mixed": [1, 2.5, 2**60 + 2**36 + 1],
    "bools": [True, False],
    "bools and floats": [True, 2.5],
    "empty": [],
    "one": [0.3],
}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("case", list(_FLAT_LISTS))
def test_flat_number_lists_convert_as_numpy_does(case: str, dtype: str) -> None:
    from app.service.tensors import array_from_data

    data = _FLAT_LISTS[case]
    with np.errstate(over="ignore"):
        want = np.asarray(data).astype(np.dtype(dtype), copy=False)
    got = array_from_data(data, dtype, ("tensors", "x"))
    assert got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes()


@pytest.mark.parametrize("data", [["NaN", 1.0], [1.0, None], [[1.0], [2.0]], [10**400, 1.0], [1.0, "x"]])
def test_flat_lists_that_are_not_plain_numbers_take_numpys_path(data: list) -> None:
    """Strings, nulls, nesting and huge ints fall back: the same values or the same located errors."""
    from app.service.errors import ServiceError
    from app.service.tensors import _flat_floats, array_from_data

    assert _flat_floats(data, np.dtype(np.float32)) is None
    try:
        array_from_data(data, "float32", ("tensors", "x"))
    except ServiceError as exc:
        assert exc.loc == ("tensors", "x")
