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
    # Where "auto" runs (a routing policy rather than a limit, kept here so one object travels):
    default_device: str = "auto"  # "cpu" keeps auto requests off the GPU
    gpu_min_elements: int = 1_000_000  # auto sends plans holding at least this many elements to the GPU

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

    def check_work(self, what: str, passes: float, per_pass: float, loc: Loc = ()) -> None:
        """Repeated passes over one graph (a Jacobian's rows, a gradient check's evaluations): their total work."""
        total = passes * per_pass
        if total > self.max_flops:
            raise LimitExceeded(
                f"{what} needs about {total:.3g} FLOPs ({passes:.3g} passes × {per_pass:.3g} FLOPs each); "
                f"the limit (max_flops) is {self.max_flops:.3g}",
                loc,
            )

    def check_verify(self, n_inputs: int, out_numel: int, forward_flops: float, order: int, loc: Loc = ()) -> None:
        """A gradient check: 2 × numel(inputs) forward passes (central differences) and one backward pass
        (about 2 forwards) per output element; order 2 repeats that on the first derivative (about 3
        forwards per evaluation, numel(inputs) outputs). The Jacobians compared are held twice."""
        passes = 2 * n_inputs + 2 * out_numel
        elements = 2 * n_inputs * out_numel
        if order == 2:
            passes += 3 * (2 * n_inputs + 2 * n_inputs)
            elements += 2 * n_inputs * n_inputs
        self.check_work("the gradient check", passes, max(forward_flops, 1.0), loc)
        if elements > self.max_total_elements:
            raise LimitExceeded(
                f"the gradient check holds about {elements:.3g} Jacobian elements for {n_inputs} input and "
                f"{out_numel} output elements; the limit (max_total_elements) is {self.max_total_elements:.3g}",
                loc,
            )
