"""Indexing by tensor along one dim: gather, scatter, scatter_add, index_select, take_along_dim.

Each is one registry entry whose index is a tensor input (an int64 or int32 tensor: it never
requires grad, it gets no gradient; the node saves it, so a write into it in place before
backward is refused as PyTorch refuses it). The checks are PyTorch's, in its order and words
(``ScatterGatherChecks.h``, ``index_select_out_cpu_``), run by the dtype rule, which sees the
index's dtype; the bounds of the index's values are checked by the forward.

The gradients are PyTorch's and written with these ops, so they are differentiable again:
gather's is ``scatter_add`` into zeros (``ScatterAddBackward0``), whose own is a gather;
scatter's input gets ``grad.scatter(dim, index, 0)`` (``ScatterBackward1``) and its src
``grad.gather(dim, index)``, as scatter_add's src does (its input gets ``grad`` itself);
index_select's is an ``index_add`` into zeros (``IndexAddBackward0``, the private op
``_index_select_backward``), whose own is an index_select. As in PyTorch, a src larger than
the index gets a gradient of the index's shape, which autograd refuses ("returned an invalid
gradient"). ``take_along_dim`` is PyTorch's composite: with a dim, the input and indices
broadcast (but along the dim) and the indices wrap modulo the dim's size (PyTorch 2.13 does so
and checks no bound there); without one, a gather from the flattened input (``view(-1)``).

A 0-d input or index counts as 1-d of size 1, as in PyTorch. The in-place forms (``scatter_``,
``scatter_add_``) run these entries through ``engine.inplace`` (a number as src positionally: the
``value=`` keyword is the function's and the method's route, which the in-place path does not take).
"""

from __future__ import annotations

from typing import Any

from ..dtypes import dtype as DType
from ..dtypes import int32, int64
from ..errors import (
    ArgumentError,
    AutogradError,
    DTypeError,
    IndexError_,
    NoOverloadError,
    ShapeError,
    type_name,
)
from ._helpers import as_index, is_tensor_like, normalize_dim, numel, sum_to
from .indexing import _scatter_add
from .masking import _NUMBER, _fill_value
from .registry import call, defop

Shape = tuple[int, ...]


def _tensor_arg(opname: str, name: str, position: int, value: Any) -> None:
    if not is_tensor_like(value):
        raise ArgumentError(
            f"{opname}(): argument '{name}' (position {position}) must be Tensor, not {type_name(value)}"
        )


def _int_arg(opname: str, name: str, position: int, value: Any) -> int:
    # (a 0-d tensor only, as PyTorch's parser)
    index = None if is_tensor_like(value) and value.ndim else as_index(value)
    if index is None:
        raise ArgumentError(f"{opname}(): argument '{name}' (position {position}) must be int, not {type_name(value)}")
    return index


def _sizes(shape: Shape) -> str:
    return f"[{', '.join(map(str, shape))}]"


def _nonempty(shape: Shape) -> Shape:
    """PyTorch's ``ensure_nonempty``: a 0-d tensor counts as 1-d of size 1."""
    return tuple(shape) if shape else (1,)


def _gather_checks(opname: str, s: Shape, index: Shape, index_dtype: DType | None, dim: int) -> int:
    """PyTorch's gather meta function: the dim, the index's dtype, its rank and sizes (none for an empty
    index); the dim, wrapped."""
    d = normalize_dim(dim, len(s))
    if not numel(index):
        return d
    if index_dtype is not None and index_dtype not in (int64, int32):
        raise DTypeError(f"{opname}(): Expected dtype int32/int64 for index")
    s1, i1 = _nonempty(s), _nonempty(index)
    if len(s1) != len(i1):
        raise ShapeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(len(s1)):
        if k != d and i1[k] > s1[k]:
            raise ShapeError(
                f"Size does not match at dimension {k} expected index {_sizes(index)} to be no larger than self "
                f"{_sizes(s)} apart from dimension {d}"
            )
    return d


def _scatter_checks(s: Shape, self_dtype: DType, index: Shape, index_dtype: DType | None, src: Any, dim: int) -> int:
    """PyTorch's ``scatter_meta_impl``: the dim, the dtypes (words of ``scatter`` for scatter_add too), then
    the ranks and sizes (none for an empty index); the dim, wrapped. ``src``: a tensor (or meta), or None."""
    d = normalize_dim(dim, len(s))
    if numel(index) and index_dtype is not None and index_dtype not in (int64, int32):
        raise DTypeError("scatter(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype is not self_dtype:
        raise DTypeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if not numel(index):
        return d
    s1, i1 = _nonempty(s), _nonempty(index)
    if len(s1) != len(i1):
        raise ShapeError("Index tensor must have the same number of dimensions as self tensor")
    wrong = any(k != d and i1[k] > s1[k] for k in range(len(s1)))
    if src is not None:
        src_shape = tuple(src.shape)
        if not wrong:
            for k in range(len(s1)):
                size = 1 if not src_shape else src_shape[normalize_dim(k, len(src_shape))]
                if i1[k] > size:
                    wrong = True
                    break
        if len(_nonempty(src_shape)) != len(i1):
            raise ShapeError("Index tensor must have the same number of dimensions as src tensor")
        if wrong:
            raise ShapeError(
                f"Expected index {_sizes(index)} to be no larger than self {_sizes(s)} apart from dimension {d} "
                f"and to be no larger size than src {_sizes(src_shape)}"
            )
    elif wrong:
        raise ShapeError(
            f"Expected index {_sizes(index)} to be no larger than self {_sizes(s)} apart from dimension {d}"
        )
    return d


# -- the work on arrays -----------------------------------------------------------------------------

def _along_key(xp: Any, index: Any, d: int) -> tuple[Any, ...]:
    """The NumPy key that reads ``a[..., index[i, j, k], ...]`` (index at dim ``d``, positions elsewhere)
    for each position of ``index`` (which has ``a``'s rank, no larger than ``a`` but along ``d``)."""
    n = index.ndim
    key: list[Any] = []
    for k in range(n):
        if k == d:
            key.append(index)
        else:
            shape = [1] * n
            shape[k] = index.shape[k]
            key.append(xp.arange(index.shape[k]).reshape(shape))
    return tuple(key)


def _bounds(xp: Any, index: Any, d: int, size: int) -> None:
    """PyTorch's scatter/gather kernels' check: every index in ``[0, size)``, the first that is not named."""
    bad = (index < 0) | (index >= size)
    if bool(bad.any()):
        v = int(index.reshape(-1)[int(xp.argmax(bad.reshape(-1)))])
        raise ShapeError(f"index {v} is out of bounds for dimension {d} with size {size}")


def _as_nonempty(a: Any) -> Any:
    return a.reshape(1) if a.ndim == 0 else a


def _gather_fwd(xp: Any, input: Any, index: Any, dim: Any, *, sparse_grad: bool = False) -> Any:
    d = normalize_dim(dim, input.ndim)
    if not index.size:
        return xp.empty(index.shape, dtype=input.dtype)
    a, i = _as_nonempty(input), _as_nonempty(index)
    _bounds(xp, i, d, a.shape[d])
    return a[_along_key(xp, i, d)].reshape(index.shape)


def _scatter_into(xp: Any, input: Any, index: Any, src: Any, dim: Any, add: bool, number: bool = False) -> Any:
    out = input.copy()
    if not index.size:
        return out
    d = normalize_dim(dim, input.ndim)
    o, i = _as_nonempty(out), _as_nonempty(index)
    _bounds(xp, i, d, o.shape[d])
    if not number:  # a tensor's values, the part the index covers
        src = _as_nonempty(src)[tuple(slice(0, n) for n in i.shape)]
    key = _along_key(xp, i, d)
    if add:
        _scatter_add(xp, o, key, src)
    else:
        o[key] = src
    return out


# -- gather ---------------------------------------------------------------------------------------

def _gather_dtype(input: Any, index: Any, dim: Any, *, sparse_grad: bool = False) -> tuple[None, DType]:
    _tensor_arg("gather", "input", 1, input)
    d = _int_arg("gather", "dim", 2, dim)
    _tensor_arg("gather", "index", 3, index)
    if not isinstance(sparse_grad, bool):
        raise ArgumentError(f"gather(): argument 'sparse_grad' must be bool, not {type_name(sparse_grad)}")
    _gather_checks("gather", tuple(input.shape), tuple(index.shape), index.dtype, d)
    return None, input.dtype


def _gather_shape(s: Shape, index: Shape, dim: Any, *, sparse_grad: bool = False) -> Shape:
    _gather_checks("gather", s, index, None, _int_arg("gather", "dim", 2, dim))
    return tuple(index)


def _zeros_like_shape(g: Any, shape: Shape) -> Any:
    from ..creation import zeros

    return zeros(tuple(shape), dtype=g.dtype, device=g.device)


def _gather_grad(g: Any, out: Any, x: Any, index: Any, dim: Any, sparse_grad: bool = False) -> Any:
    # PyTorch's gather_backward: grad.new_zeros(self's sizes).scatter_add_(dim, index, grad)
    return call(_SCATTER_ADD, (_zeros_like_shape(g, tuple(x.shape)), dim, index, g), {})


_GATHER = defop(
    name="gather", forward=_gather_fwd, inputs=("input", "index"), order=("input", "dim", "index"),
    method="gather", shape=_gather_shape, dtype=_gather_dtype, saves="inputs", reads=((0, 1), ()),
    vjp=(_gather_grad, None), grad_fn="GatherBackward0",
    doc="input read along dim at index (int64 or int32; no larger than input but along dim): "
    "out[i][j] = input[index[i][j]][j] for dim 0. The gradient is added back into zeros (scatter_add). "
    "sparse_grad is accepted; the gradient is dense.",
)


# -- scatter, scatter_add ------------------------------------------------------------------------

_SCATTER_OVERLOADS = (
    "(Tensor input, int dim, Tensor index, Tensor src, *, Tensor out = None)",
    "(Tensor input, int dim, Tensor index, Tensor src, *, str reduce, Tensor out = None)",
    "(Tensor input, int dim, Tensor index, Number value, *, Tensor out = None)",
    "(Tensor input, int dim, Tensor index, Number value, *, str reduce, Tensor out = None)",
)


def _scatter_dtype(input: Any, index: Any, src: Any, dim: Any) -> tuple[None, DType]:
    number = isinstance(src, _NUMBER) and not is_tensor_like(src)
    d = None if is_tensor_like(dim) and dim.ndim else as_index(dim)
    if not (is_tensor_like(input) and is_tensor_like(index) and (is_tensor_like(src) or number)) or d is None:
        raise NoOverloadError("scatter() received an invalid combination of arguments")
    _checks(input, index, None if number else src, d)
    if number:
        _fill_value(src, input.dtype)  # (PyTorch's words for a value the dtype cannot hold)
    return None, input.dtype


def _checks(input: Any, index: Any, src: Any, dim: int) -> int:
    return _scatter_checks(tuple(input.shape), input.dtype, tuple(index.shape), index.dtype, src, dim)


def _scatter_shape(s: Shape, index: Shape, src: Shape, dim: Any) -> Shape:
    d = as_index(dim)
    if d is None:
        raise NoOverloadError("scatter() received an invalid combination of arguments")
    normalize_dim(d, len(s))
    return tuple(s)


def _scatter_fwd(xp: Any, input: Any, index: Any, src: Any, dim: Any) -> Any:
    number = not hasattr(src, "shape")
    if number:  # as the input's dtype holds it
        src = xp.asarray(_fill_value(src, _dtype_of(input)), dtype=input.dtype)
    return _scatter_into(xp, input, index, src, dim, add=False, number=number)


def _dtype_of(a: Any) -> DType:
    from ..dtypes import from_numpy_dtype

    return from_numpy_dtype(a.dtype)


def _src_grad(node: str, g: Any, src: Any, index: Any, dim: Any) -> Any:
    """The src's gradient, ``grad.gather(dim, index)``, of the index's shape: autograd takes it where src's
    shape expands to it (summed back), and refuses it otherwise, in PyTorch's words."""
    r = call(_GATHER, (g, dim, index), {})
    got, expected = tuple(r.shape), tuple(src.shape)
    if got == expected:
        return r
    if len(expected) <= len(got) and all(
        e == n or e == 1 for e, n in zip(expected[::-1], got[::-1], strict=False)
    ):
        return sum_to(r, expected)
    raise AutogradError(
        f"Function {node} returned an invalid gradient at index 1 - got {_sizes(got)} but expected shape "
        f"compatible with {_sizes(expected)}"
    )


def _scatter_grad_input(g: Any, out: Any, x: Any, index: Any, src: Any, dim: Any) -> Any:
    return call(_SCATTER, (g, dim, index, 0), {})  # PyTorch: grad.scatter(dim, index, 0)


def _scatter_grad_src(g: Any, out: Any, x: Any, index: Any, src: Any, dim: Any) -> Any:
    return _src_grad("ScatterBackward0", g, src, index, dim)


def _scatter_name(input: Any, index: Any, src: Any, dim: Any) -> str:
    return "ScatterBackward0" if is_tensor_like(src) else "ScatterBackward1"  # (src, or a number: value)


def _scatter_route(args: tuple[Any, ...], kwargs: dict[str, Any], method: bool) -> Any:
    """``value=`` (PyTorch's name for a number in the src's place) is the src; ``src=`` must be a tensor and
    ``value=`` a number, else PyTorch's parser finds no overload."""
    if "value" not in kwargs and "src" not in kwargs:
        return None
    from .overloads import invalid_combination

    if "value" in kwargs:
        value = kwargs["value"]
        if "src" in kwargs or not isinstance(value, _NUMBER) or is_tensor_like(value):
            raise NoOverloadError(invalid_combination(_SCATTER, args, kwargs, method))
        rest = {k: v for k, v in kwargs.items() if k != "value"}
        return call(_SCATTER, args, {**rest, "src": value}, method)
    if not is_tensor_like(kwargs["src"]):
        raise NoOverloadError(invalid_combination(_SCATTER, args, kwargs, method))
    return None


_SCATTER = defop(
    name="scatter", forward=_scatter_fwd, inputs=("input", "index", "src"), order=("input", "dim", "index", "src"),
    method="scatter", scalars=True, shape=_scatter_shape, dtype=_scatter_dtype, saves="inputs",
    reads=((1,), (), (1,)), vjp=(_scatter_grad_input, None, _scatter_grad_src), grad_fn=_scatter_name,
    overloads=_SCATTER_OVERLOADS, route=_scatter_route,
    doc="input with src (a tensor of input's dtype, or a number: value=) written along dim at index: "
    "out[index[i][j]][j] = src[i][j] for dim 0 (a position written twice holds either). The input's "
    "gradient is zero where written; src's is the gradient read back at index.",
)


def _scatter_add_dtype(input: Any, index: Any, src: Any, dim: Any) -> tuple[None, DType]:
    _tensor_arg("scatter_add", "input", 1, input)
    d = _int_arg("scatter_add", "dim", 2, dim)
    _tensor_arg("scatter_add", "index", 3, index)
    _tensor_arg("scatter_add", "src", 4, src)
    _checks(input, index, src, d)
    return None, input.dtype


def _scatter_add_shape(s: Shape, index: Shape, src: Shape, dim: Any) -> Shape:
    normalize_dim(_int_arg("scatter_add", "dim", 2, dim), len(s))
    return tuple(s)


def _scatter_add_fwd(xp: Any, input: Any, index: Any, src: Any, dim: Any) -> Any:
    return _scatter_into(xp, input, index, src, dim, add=True)


def _scatter_add_grad_src(g: Any, out: Any, x: Any, index: Any, src: Any, dim: Any) -> Any:
    return _src_grad("ScatterAddBackward0", g, src, index, dim)


_SCATTER_ADD = defop(
    name="scatter_add", forward=_scatter_add_fwd, inputs=("input", "index", "src"),
    order=("input", "dim", "index", "src"), method="scatter_add", shape=_scatter_add_shape, dtype=_scatter_add_dtype,
    saves="inputs", reads=((), (), (1,)), vjp=(lambda g, out, x, index, src, dim: g, None, _scatter_add_grad_src),
    grad_fn="ScatterAddBackward0",
    doc="input with src (a tensor of input's dtype) added along dim at index: out[index[i][j]][j] += src[i][j] "
    "for dim 0, repeats accumulating. The input's gradient is the gradient; src's is it read back at index.",
)


# -- index_select ---------------------------------------------------------------------------------

def _index_select_checks(s: Shape, index: Any, dim: Any) -> int:
    """PyTorch's ``index_select_out_cpu_`` checks before the values: the dim, the index's rank, a 0-d input's
    one index, the index's dtype (``index``: a tensor or meta, or a shape alone)."""
    d = normalize_dim(_int_arg("index_select", "dim", 2, dim), len(s))
    shape = tuple(index.shape) if is_tensor_like(index) else tuple(index)
    if len(shape) > 1:
        raise IndexError_("index_select(): Index is supposed to be a vector")
    if not s and numel(shape) != 1:
        raise ShapeError(f"index_select(): Index to scalar can have only 1 value, got {numel(shape)} value(s)")
    if is_tensor_like(index) and index.dtype not in (int64, int32):
        raise DTypeError("index_select(): Expected dtype int32 or int64 for index")
    return d


def _index_select_dtype(input: Any, index: Any, dim: Any) -> tuple[None, DType]:
    _tensor_arg("index_select", "input", 1, input)
    _int_arg("index_select", "dim", 2, dim)
    _tensor_arg("index_select", "index", 3, index)
    _index_select_checks(tuple(input.shape), index, dim)
    return None, input.dtype


def _index_select_shape(s: Shape, index: Shape, dim: Any) -> Shape:
    d = _index_select_checks(s, index, dim)
    if not s:
        return ()
    return (*s[:d], numel(index), *s[d + 1 :])


def _index_select_fwd(xp: Any, input: Any, index: Any, dim: Any) -> Any:
    d = normalize_dim(dim, input.ndim)
    i = index.reshape(-1)
    n = int(i.shape[0])
    if input.ndim == 0:
        if int(i[0]) != 0:
            raise IndexError_("index out of range in self")
        return input.copy()
    size = input.shape[d]
    out_shape = (*input.shape[:d], n, *input.shape[d + 1 :])
    if input.ndim > 1 and (n == 0 or input.size == 0):
        if n and input.size == 0:
            if size <= 0:
                raise ShapeError("index_select(): self indexing axis dim should be positive")
            _indices_in_range(xp, i, size)
        return xp.zeros(out_shape, dtype=input.dtype)
    if input.ndim > 1 and d == 1:
        _indices_in_range(xp, i, size)
    elif n:
        bad = (i < 0) | (i >= size)
        if bool(bad.any()):
            raise IndexError_("index out of range in self")
    return xp.take(input, i, axis=d)


def _indices_in_range(xp: Any, i: Any, size: int) -> None:
    """PyTorch's ``check_indexarray_range`` (its index_select along dim 1, and of an empty input)."""
    bad = (i < 0) | (i >= size)
    if bool(bad.any()):
        v = int(i[int(xp.argmax(bad))])
        raise ShapeError(f"INDICES element is out of DATA bounds, id={v} axis_dim={size}")


def _index_select_grad(g: Any, out: Any, x: Any, index: Any, dim: Any) -> Any:
    # PyTorch's index_select_backward: zeros(self's sizes).index_add_(dim, index, grad)
    return call(_INDEX_SELECT_BACKWARD, (g, index), {"dim": dim, "shape": tuple(x.shape)})


_INDEX_SELECT = defop(
    name="index_select", forward=_index_select_fwd, inputs=("input", "index"), order=("input", "dim", "index"),
    method="index_select", shape=_index_select_shape, dtype=_index_select_dtype, saves="inputs", reads=((1,), ()),
    vjp=(_index_select_grad, None), grad_fn="IndexSelectBackward0",
    doc="The slices of input along dim at index (a 1-d or 0-d int64/int32 tensor), in its order: repeats "
    "repeat. The gradient is added back into zeros (index_add).",
)


def _index_select_backward_fwd(xp: Any, grad: Any, index: Any, dim: Any, shape: Any) -> Any:
    out = xp.zeros(tuple(shape), dtype=grad.dtype)
    if not shape:
        out[...] = grad
        return out
    d = normalize_dim(dim, len(shape))
    key = (slice(None),) * d + (index.reshape(-1),)
    _scatter_add(xp, out, key, grad)
    return out


_INDEX_SELECT_BACKWARD = defop(
    name="_index_select_backward", forward=_index_select_backward_fwd, inputs=("grad", "index"), namespace="tensor",
    saves="inputs", reads=((1,), ()), shape=lambda g, index, dim, shape: tuple(shape),
    dtype=lambda g, index, dim, shape: (None, g.dtype),
    vjp=(lambda h, out, g, index, dim, shape: call(_INDEX_SELECT, (h, dim, index), {}), None),
    grad_fn="IndexAddBackward0",
    doc="The gradient of index_select: grad added into zeros of the input's shape along dim at index.",
)


# -- take_along_dim -------------------------------------------------------------------------------

def _broadcast_pair(a: Shape, b: Shape) -> Shape:
    """PyTorch's ``infer_size``, its words naming ``a`` tensor a."""
    n = max(len(a), len(b))
    out = []
    for k in range(n):
        i, j = k - n + len(a), k - n + len(b)
        x = a[i] if i >= 0 else 1
        y = b[j] if j >= 0 else 1
        if x != y and x != 1 and y != 1:
            raise ShapeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {k}"
            )
        out.append(y if x == 1 else x)
    return tuple(out)


_LONG_NAME = {"int32": "Int", "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double",
              "bool": "Bool", "int8": "Char", "int16": "Short", "uint8": "Byte"}


def _take_plan(s: Shape, index: Shape, index_dtype: DType | None, dim: Any) -> tuple[int | None, Shape, Shape]:
    """PyTorch's take_along_dim checks: (the dim or None, the input's and the indices' broadcast shapes)."""
    if dim is None:
        _gather_checks("gather", (numel(s),), (numel(index),), index_dtype, 0)
        return None, (numel(s),), (numel(index),)
    d0 = _int_arg("take_along_dim", "dim", 3, dim)
    if len(s) != len(index):
        raise ShapeError(
            "torch.take_along_dim(): input and indices should have the same number of dimensions, but got "
            f"{len(s)} dimensions for input, and {len(index)} dimensions for indices"
        )
    if index_dtype is not None and index_dtype is not int64:
        raise DTypeError(
            f"torch.take_along_dim(): dtype of indices should be Long but got {_LONG_NAME.get(index_dtype.name)}"
        )
    if not s:
        raise IndexError_(f"Dimension specified as {d0} but tensor has no dimensions")
    d = normalize_dim(d0, len(s))
    self_sizes = list(s)
    self_sizes[d] = index[d]
    index_shape = _broadcast_pair(tuple(self_sizes), index)
    index_sizes = list(index)
    index_sizes[d] = s[d]
    input_shape = _broadcast_pair(tuple(index_sizes), s)
    return d, input_shape, index_shape


def _take_dtype(input: Any, indices: Any, dim: Any = None) -> tuple[None, DType]:
    _tensor_arg("take_along_dim", "input", 1, input)
    _tensor_arg("take_along_dim", "indices", 2, indices)
    if dim is not None:
        _int_arg("take_along_dim", "dim", 3, dim)
    _take_plan(tuple(input.shape), tuple(indices.shape), indices.dtype, dim)
    return None, input.dtype


def _take_shape(s: Shape, indices: Shape, dim: Any = None) -> Shape:
    _, _, index_shape = _take_plan(s, indices, None, dim)
    return index_shape


def _take_fwd(xp: Any, input: Any, indices: Any, dim: Any = None) -> Any:
    d, input_shape, index_shape = _take_plan(tuple(input.shape), tuple(indices.shape), None, dim)
    if d is None:  # input.view(-1).gather(0, indices.view(-1))
        from .shape import _VIEW_ERROR, _viewable

        for a in (input, indices):
            if not _viewable(a, (a.size,)):
                raise ShapeError(_VIEW_ERROR)
        return _gather_fwd(xp, input.reshape(-1), indices.reshape(-1), 0)
    a = xp.broadcast_to(input, input_shape)
    i = xp.broadcast_to(indices, index_shape)
    size = input_shape[d]
    if i.size and not size:
        raise ShapeError("ZeroDivisionError")  # (PyTorch's integer remainder by the dim's size 0)
    return _gather_fwd(xp, a, i % size if i.size else i, d)


def _take_grad(g: Any, out: Any, x: Any, indices: Any, dim: Any = None) -> Any:
    shape = tuple(x.shape)
    d, input_shape, _ = _take_plan(shape, tuple(indices.shape), None, dim)
    if d is None:
        flat = call(_SCATTER_ADD, (_zeros_like_shape(g, input_shape), 0, indices.reshape(-1), g), {})
        return flat.reshape(shape)
    size = input_shape[d]
    wrapped = indices.expand(*g.shape) % size if numel(tuple(g.shape)) else indices.expand(*g.shape)
    r = call(_SCATTER_ADD, (_zeros_like_shape(g, input_shape), d, wrapped, g), {})
    return r if input_shape == shape else sum_to(r, shape)


defop(
    name="take_along_dim", forward=_take_fwd, inputs=("input", "indices"), method="take_along_dim",
    shape=_take_shape, dtype=_take_dtype, saves="inputs", reads=((0, 1), ()), vjp=(_take_grad, None),
    grad_fn="GatherBackward0",
    doc="input read at indices along dim, the two broadcast but along dim and the indices wrapped modulo "
    "the dim's size (int64 indices); without dim, the flattened input at the flattened indices.",
)
