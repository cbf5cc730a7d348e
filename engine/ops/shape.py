"""Shape ops: reshape, view, expand, squeeze, cat, ... (their gradients reshape back)."""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError
from ._helpers import numel, same_dtype
from .registry import defop


def infer_shape(shape: Any, size: int) -> tuple[int, ...]:
    """Resolve one -1 in a requested shape, with PyTorch's errors."""
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(int(s) for s in shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise ShapeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise ShapeError(f"invalid shape dimension {s}")
    known = numel(s for s in shape if s != -1)
    if unknown:
        if known == 0 or size % known:
            raise ShapeError(f"shape '{list(shape)}' is invalid for input of size {size}")
        return tuple(size // known if s == -1 else s for s in shape)
    if known != size:
        raise ShapeError(f"shape '{list(shape)}' is invalid for input of size {size}")
    return shape


def _reshape(xp: Any, input: Any, shape: Any) -> Any:
    return xp.reshape(input, infer_shape(shape, input.size))


for _name in ("reshape", "view"):
    defop(
        name=_name, forward=_reshape, method=_name, varargs="shape", saves="none",
        namespace="torch" if _name == "reshape" else "tensor",
        shape=lambda s, shape: infer_shape(shape, numel(s)), dtype=same_dtype,
        vjp=(lambda g, out, x, shape: g.reshape(x.shape),), grad_fn="ViewBackward0",
        doc=f"The same data in a new shape (one dim may be -1); {'a method of Tensor' if _name == 'view' else 'torch.reshape'}.",
    )


def expand_shape(s: tuple[int, ...], size: Any) -> tuple[int, ...]:
    """The shape ``expand(size)`` gives (-1 keeps a dim), with PyTorch's errors."""
    size = (size,) if isinstance(size, int) else tuple(size)
    if len(size) < len(s):
        raise ShapeError(
            f"expand(torch.FloatTensor{{[{', '.join(map(str, s))}]}}, size=[{', '.join(map(str, size))}]): "
            f"the number of sizes provided ({len(size)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(s)})"
        )
    lead = len(size) - len(s)
    out = []
    for i, n in enumerate(size):
        if i < lead:
            if n < 0:
                raise ShapeError(
                    f"The expanded size of the tensor ({n}) isn't allowed in a leading, non-existing dimension {i}"
                )
            out.append(int(n))
            continue
        have = s[i - lead]
        if n == -1:
            out.append(have)
        elif have == 1 or have == n:
            out.append(int(n))
        else:
            raise ShapeError(
                f"The expanded size of the tensor ({n}) must match the existing size ({have}) at "
                f"non-singleton dimension {i}.  Target sizes: [{', '.join(map(str, size))}].  "
                f"Tensor sizes: [{', '.join(map(str, s))}]"
            )
    return tuple(out)


def _expand(xp: Any, input: Any, size: Any) -> Any:
    return xp.broadcast_to(input, expand_shape(input.shape, size))


# The gradient of a broadcast is the incoming one: the engine's sum_to sums it back.
defop(
    name="expand", forward=_expand, method="expand", varargs="size", namespace="tensor", saves="none",
    shape=expand_shape, dtype=same_dtype, vjp=(lambda g, out, x, size: g,), grad_fn="ExpandBackward0",
    doc="A broadcast view with dims of size 1 repeated to ``size`` (-1 keeps a dim).",
)
defop(
    name="broadcast_to", forward=_expand, method="broadcast_to",
    saves="none", shape=expand_shape, dtype=same_dtype,
    vjp=(lambda g, out, x, size: g,), grad_fn="ExpandBackward0",
    doc="``input`` broadcast to ``size``, as ``expand``.",
)
