"""GET /playground: a page to try requests in the browser (static HTML and JS, no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse

from ..examples import EVALUATE_EXAMPLES

router = APIRouter()
STATIC = Path(__file__).resolve().parent.parent / "static"


@router.get("/playground", include_in_schema=False)
async def playground() -> FileResponse:
    return FileResponse(STATIC / "playground.html", media_type="text/html")


@router.get("/playground/examples.json", include_in_schema=False)
async def examples() -> JSONResponse:
    """The request examples of POST /v1/evaluate (the tutorial's first), for the page's buttons."""
    return JSONResponse([{"name": name, "summary": ex["summary"], "value": ex["value"]}
                         for name, ex in EVALUATE_EXAMPLES.items()])
