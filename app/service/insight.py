"""Extras a response can carry beyond the contract: gradient verification, diagnostics, the graph.

``extend`` is called once per finished evaluation; each feature adds its own fields and
costs nothing when the request did not ask for it.
"""

from __future__ import annotations

from typing import Any

from .execute import CancelToken, Result
from .limits import Limits
from .plan import Plan


def extend(plan: Plan, result: Result, response: dict[str, Any], limits: Limits | None = None,
           token: CancelToken | None = None) -> None:
    """Add the requested extras to ``response`` (in place).

    ``limits`` and ``token`` (the request's, where the caller has them) bound the extra work.
    """
    request = plan.request
    if request is None:
        return
    from . import diagnose

    diagnose.grad_reasons(plan, result, response["tensors"])
    diagnostics = diagnose.non_finite(plan, result, (result.forward_ms + result.backward_ms) / 1e3, token)
    if diagnostics is not None:
        response["diagnostics"] = diagnostics
    if "graph" in request.include:
        from .graph import build

        response["graph"] = build(plan, result)
    if request.verify:
        from .verify import verify_evaluation

        response.update(verify_evaluation(plan, result, limits, token))
