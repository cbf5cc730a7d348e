"""The service modules the build compiles with Cython (``setup.py`` reads this file).

The request pipeline's per-request Python (parsing checks, plans, running them, encoding) in
the plain, synchronous modules of ``app/service``; routes and middlewares stay interpreted
(frameworks inspect their coroutine functions). Kept free of imports: read before any build.
"""

from __future__ import annotations

APP_COMPILED: tuple[str, ...] = (
    "app.service.encode",
    "app.service.evaluate",
    "app.service.execute",
    "app.service.jsonbody",
    "app.service.plan",
    "app.service.tensors",
)
