"""Extras a response can carry beyond the contract: gradient verification, diagnostics, the graph.

``extend`` is called once per finished evaluation; each feature adds its own fields and
costs nothing when the request did not ask for it.
"""

from __future__ import annotations

from typing import Any

from .execute import Result
from .plan import Plan


def extend(plan: Plan, result: Result, response: dict[str, Any]) -> None:
    """Add the requested extras to ``response`` (in place)."""
    request = plan.request
    if request is None:
        return
