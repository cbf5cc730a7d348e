"""Resource limits, checked on shapes in the plan before anything is allocated."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import LimitExceeded, Loc


def _numel(shape: Iterable[int]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


@dataclass(frozen=True)
class Limits:
    """The limits one request must fit in (see ``app.config.Settings`` for defaults)."""

    max_rank: int = 8
    max_dim_size: int = 10_000_000
    max_tensor_elements: int = 10_000_000
    max_total_elements: int = 50_000_000
    max_response_elements: int = 20_000_000
    max_nodes: int = 1_000
    max_backward_steps: int = 64
    max_expr_length: int = 10_000
    max_expr_tokens: int = 2_000
    max_expr_depth: int = 64
    max_inline_depth: int = 32
    max_flops: float = 2e10

    def check_tensor(self, shape: Iterable[int], loc: Loc) -> None:
        """One tensor's rank, dimension sizes and element count."""
        shape = tuple(shape)
        if len(shape) > self.max_rank:
            raise LimitExceeded(f"tensor has rank {len(shape)}; the limit (max_rank) is {self.max_rank}", loc)
        for s in shape:
            if s > self.max_dim_size:
                raise LimitExceeded(
                    f"dimension of size {s}; the limit (max_dim_size) is {self.max_dim_size}", loc
                )
        n = _numel(shape)
        if n > self.max_tensor_elements:
            raise LimitExceeded(
                f"tensor of shape {list(shape)} has {n:.3g} elements; the limit (max_tensor_elements) is "
                f"{self.max_tensor_elements:.3g}",
                loc,
            )

    def check_node(self, shape: Iterable[int], loc: Loc, label: str) -> None:
        """A node's output, with the node named."""
        try:
            self.check_tensor(shape, loc)
        except LimitExceeded as exc:
            raise LimitExceeded(f"{label}: {exc.detail}", loc) from None

    def check_node_flops(self, flops: float, loc: Loc, label: str) -> None:
        """One node's estimated work."""
        if flops > self.max_flops:
            raise LimitExceeded(f"{label} needs {flops:.3g} FLOPs; the limit (max_flops) is {self.max_flops:.3g}", loc)

    def check_plan(self, held: int, flops: float, metas: dict[str, Any], outputs: list[str], n_nodes: int,
                   n_steps: int) -> None:
        """Whole-request totals: node and step counts, elements held and reported, work."""
        if n_nodes > self.max_nodes:
            raise LimitExceeded(f"{n_nodes} nodes; the limit (max_nodes) is {self.max_nodes}", ("nodes",))
        if n_steps > self.max_backward_steps:
            raise LimitExceeded(
                f"{n_steps} backward steps; the limit (max_backward_steps) is {self.max_backward_steps}", ("backward",)
            )
        if held > self.max_total_elements:
            raise LimitExceeded(
                f"the graph holds about {held:.3g} elements with gradients; the limit "
                f"(max_total_elements) is {self.max_total_elements:.3g}",
                (),
            )
        if flops > self.max_flops:
            raise LimitExceeded(
                f"the request needs about {flops:.3g} FLOPs with its backward pass; the limit (max_flops) is "
                f"{self.max_flops:.3g}",
                (),
            )
        reported = sum(2 * _numel(metas[n].shape) for n in outputs if metas.get(n) is not None)
        if reported > self.max_response_elements:
            raise LimitExceeded(
                f"the response would carry {reported:.3g} elements; the limit (max_response_elements) is "
                f"{self.max_response_elements:.3g}",
                ("outputs",),
            )
