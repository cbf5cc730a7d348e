"""The Tensor: an array, its dtype, and its place in the autograd graph."""

from __future__ import annotations

import builtins
import copy
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, SupportsIndex

import numpy as np

from . import backend, dtypes
from ._warnings import warn as _warn
from .autograd import engine as _autograd_engine
from .autograd import hooks, versions
from .autograd.engine import backward as _backward
from .autograd.node import Node
from .dtypes import dtype as DType
from .errors import ArgumentError, AutogradError, DTypeError, IndexError_, ValueError_, type_name
from .ops import registry
from .ops._helpers import normalize_dim
from .ops.strided import address, strided_index

FLOAT_ONLY_GRAD = "Only Tensors of floating point and complex dtype can require gradients"
NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't "
    "be populated during autograd.backward(). If you indeed want the .grad field to be populated for a "
    "non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, "
    "make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more "
    "information."
)
# c10's names: a gradient's dtype as its C++ type, the tensor's as its ScalarType
_CPP_TYPE = {"float16": "c10::Half", "float32": "float", "float64": "double", "int32": "int",
             "int64": "long int", "bool": "bool"}


def _leaf_error(requires_grad: bool) -> AutogradError:
    return AutogradError(
        "you can only change requires_grad flags of leaf variables."
        + (
            ""
            if requires_grad
            else " If you want to use a computed variable in a subgraph that doesn't "
            "require differentiation use var_no_grad = var.detach()."
        )
    )


class Size(tuple):  # type: ignore[type-arg]
    """``torch.Size``: a tuple of ints that prints as PyTorch prints it."""

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(map(str, self))}])"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


class Tensor:
    """A multi-dimensional array with PyTorch's autograd semantics.

    Build one with ``engine.tensor`` or a factory (``ones``, ``randn``, ...). Ops are
    available as functions (``engine.add``) and as methods (``x.add``) where PyTorch
    has the method.
    """

    # every tensor sets the slots; the rarely set attributes live in the instance dict (made on
    # first use), their defaults here, so that making a tensor (every op does) stores four fields
    __slots__ = ("_data", "_dtype", "_rg", "grad_fn", "__dict__", "__weakref__")
    __array_priority__ = 1000  # so numpy scalars defer to our reflected operators

    _data: Any
    _dtype: DType
    _rg: bool
    grad_fn: Node | None
    _grad: Tensor | None = None
    _retains_grad: bool = False
    _accumulator: Any = None  # a weak reference to its AccumulateGrad node, once asked for
    _vc: list[Any] | None = None  # its version counter, once one is needed (autograd.versions)
    _base: Tensor | None = None  # a view's base (the tensor it shares memory with, itself no view), as PyTorch's
    _no_grad_view: bool = False  # a view made in no_grad mode (an in-place op on it is not recorded)
    _views: list[Any] | None = None  # a base's views made in grad mode, weakly (an in-place write rebases them)
    _multi_output: str | None = None  # a piece of split/unbind ("Output 1 of Split"), "" a view of one
    _backward_hooks: dict[int, Any] | None = None  # register_hook's, by handle id (autograd.hooks)

    if TYPE_CHECKING:  # the op methods and operators are attached from the registry (engine._bind)
        def __getattr__(self, name: str) -> Any: ...
        def __getitem__(self, key: Any) -> Tensor: ...

    @classmethod
    def _wrap(cls, data: Any, dtype: DType, node: Node | None) -> Tensor:
        t = object.__new__(cls)
        t._data = data
        t._dtype = dtype
        t._rg = node is not None
        t.grad_fn = node
        return t

    # -- description ----------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of one dimension."""
        if dim is None:
            return self.shape
        return self._data.shape[normalize_dim(dim, self.ndim)]

    @property
    def ndim(self) -> int:
        return int(self._data.ndim)

    def dim(self) -> int:
        return int(self._data.ndim)

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self) -> DType:
        return self._dtype

    @property
    def device(self) -> backend.device:
        return backend.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def is_floating_point(self) -> bool:
        return self._dtype.is_floating_point

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return int(self._data.shape[0])

    # -- autograd surface -------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if type(value) is not bool:
            raise AutogradError("requires_grad must be a bool")
        if self.grad_fn is not None:
            raise _leaf_error(value)
        if value and not self._dtype.is_floating_point:
            raise DTypeError("only Tensors of floating point and complex dtype can require gradients")
        self._rg = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self (a no-op on a non-leaf asked for True)."""
        if type(requires_grad) is not bool:
            raise TypeError(
                "requires_grad_(): argument 'requires_grad' (position 1) must be bool, "
                f"not {type_name(requires_grad)}"
            )
        if self.grad_fn is not None:
            if not requires_grad:
                raise _leaf_error(False)
            return self
        if requires_grad and not self._dtype.is_floating_point:
            raise DTypeError("only Tensors of floating point dtype can require gradients")
        self._rg = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient (leaves, and non-leaves after ``retain_grad()``)."""
        g = self._grad
        if g is None and self.grad_fn is not None and not self._retains_grad:
            _warn(NON_LEAF_GRAD_WARNING)
        return g

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type {type_name(value)}"
                )
            if value is self:
                raise AutogradError("can't assign Variable as its own grad")
            if value._dtype is not self._dtype:
                raise AutogradError(
                    f"attempting to assign a gradient with dtype '{_CPP_TYPE[value._dtype.name]}' to a tensor "
                    f"with grad_dtype '{self._dtype._short}'. The gradient must match the tensor's grad_dtype "
                    "(defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a "
                    "specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the "
                    "dtypes of a tensor and its gradient may break downstream systems that assume they match."
                )
            if value._data.shape != self._data.shape:
                raise AutogradError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of size "
                    f"'{list(self._data.shape)}'. Please ensure that the gradient and the tensor are the same size"
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        """Whether ``retain_grad()`` made this non-leaf keep its ``.grad``."""
        return self._retains_grad

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (a no-op on a leaf)."""
        if not self._rg:
            raise AutogradError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        hooks.watch(self)
        self._retains_grad = True

    def register_hook(self, hook: Any) -> Any:
        """Run ``hook(grad)`` on this tensor's gradient in backward; a tensor it returns replaces the gradient.

        Returns a handle whose ``remove()`` unregisters it (``torch.Tensor.register_hook``)."""
        return hooks.register(self, hook)

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Tensor | Sequence[Tensor] | None = None,
    ) -> None:
        """Accumulate the gradient of this tensor into the leaves' ``.grad`` (``torch.Tensor.backward``)."""
        _backward(self, gradient, retain_graph, create_graph, None, inputs)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data (and its version counter), outside the graph."""
        t = Tensor._wrap(self._data, self._dtype, None)
        t._vc = versions.counter(self)
        return t

    @property
    def _version(self) -> builtins.int:
        """How many in-place ops changed this tensor's data (PyTorch's version counter)."""
        return versions.version(self)

    def detach_(self) -> Tensor:
        """Detach this tensor from the graph in place (it becomes a leaf); a view refuses, as in PyTorch."""
        if self._base is not None:
            raise AutogradError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) "
                "for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and "
                "hence detach_() cannot be called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self.grad_fn = None
        self._rg = False
        self._retains_grad = False
        return self

    # -- conversion -------------------------------------------------------------------
    def item(self) -> Any:
        """The one element as a Python number."""
        if self._data.size != 1:
            raise AutogradError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        """The data as (nested) Python lists of numbers."""
        return backend.to_numpy(self._data).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array, shared where possible (refused when it requires grad)."""
        if self._rg and not force:
            raise AutogradError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        if self.device.type != "cpu" and not force:
            raise TypeError(
                "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host "
                "memory first."
            )
        return backend.to_numpy(self._data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Move to a device and/or convert to a dtype: ``x.to('cuda')``, ``x.to(engine.float64)``."""
        target_dtype = kwargs.pop("dtype", None)
        target_device = kwargs.pop("device", None)
        for a in args:
            if isinstance(a, DType) or a in (builtins.float, builtins.int, builtins.bool):
                target_dtype = a
            elif isinstance(a, Tensor):
                target_dtype, target_device = a.dtype, a.device
            else:
                target_device = a
        out = self
        if target_dtype is not None and dtypes.to_dtype(target_dtype) is not self._dtype:
            out = registry.call(registry.REGISTRY["_to_copy"], (out,), {"dtype": dtypes.to_dtype(target_dtype)})
        if target_device is not None and backend.device(target_device) != self.device:
            out = registry.call(registry.REGISTRY["_to_copy"], (out,), {"device": backend.device(target_device)})
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def type_as(self, other: Tensor) -> Tensor:
        _tensor_argument("type_as", other)
        return self.to(other.dtype)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def type(self, dtype: Any = None, non_blocking: builtins.bool = False) -> Any:
        """With no dtype, PyTorch's legacy type name (``'torch.FloatTensor'``); else this tensor in that
        dtype (a dtype, or a legacy name: ``x.type('torch.DoubleTensor')``)."""
        cuda = self.device.type == "cuda"
        if dtype is None:
            return dtypes.legacy_type(self._dtype, cuda)
        if isinstance(dtype, str):
            by_name = {dtypes.legacy_type(d, on): (d, on) for d in dtypes.ALL for on in (False, True)}
            if dtype not in by_name:
                raise ValueError_(f"invalid type: '{dtype}'")
            d, on = by_name[dtype]
            return self.to(dtype=d, device="cuda" if on else "cpu")
        if not isinstance(dtype, DType):
            raise ValueError_(f"invalid type: '{getattr(dtype, '__name__', dtype)}'")
        return self.to(dtype)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    # -- Python protocol -----------------------------------------------------------------
    def __repr__(self) -> str:
        from .printing import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __bool__(self) -> builtins.bool:  # (builtins: the methods bool/int/float shadow them here)
        if self._data.size != 1:
            many = "no values" if self._data.size == 0 else "more than one value"
            raise AutogradError(f"Boolean value of Tensor with {many} is ambiguous")
        return bool(self._data.reshape(()).item())

    def __float__(self) -> builtins.float:
        if self._rg:
            _warn(
                "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                "Consider using tensor.detach() first.",
            )
        return float(self._scalar())

    def __int__(self) -> builtins.int:
        return int(self._scalar())

    def _scalar(self) -> Any:
        if self._data.size != 1:
            raise ValueError_("only one element tensors can be converted to Python scalars")
        return self.item()

    def __index__(self) -> builtins.int:
        if self._dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self) -> builtins.int:
        return id(self)

    def __deepcopy__(self, memo: dict[Any, Any]) -> Tensor:
        """A copy with its own memory and a copy of its ``.grad``; views copied in one ``deepcopy`` call
        stay views of their base's copy, as PyTorch's (which copies each storage once)."""
        if self.grad_fn is not None:
            raise AutogradError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at "
                "the moment.  If you were attempting to deepcopy a module, this may be because of a "
                "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001"
            )
        base = self._base
        data = None
        if base is not None and base.grad_fn is None:
            new_base = copy.deepcopy(base, memo)
            index = strided_index(base._data, self._data)
            if index is not None:
                data = _view_at(new_base._data, index)
        t = Tensor._wrap(self._data.copy() if data is None else data, self._dtype, None)
        t._rg = self._rg
        if data is not None:
            registry.register_view(new_base, t)
        if self._grad is not None:
            t._grad = copy.deepcopy(self._grad, memo)
        return t

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        """Pickled as PyTorch pickles a tensor: its values, dtype and requires_grad (a non-leaf comes back
        a leaf; no ``.grad``, no graph); ``copy.copy`` shares the memory."""
        return _rebuild, (self._data, self._dtype.name, self._rg)

    @property
    def data(self) -> Tensor:
        """This tensor's data outside the graph (as ``detach()``, but with a version counter of its own,
        as PyTorch's: writes through it are not caught by backward's check)."""
        return Tensor._wrap(self._data, self._dtype, None)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type_name(value)}")
        self._data = value._data
        self._dtype = value._dtype

    def new_tensor(self, data: Any, dtype: DType | None = None, requires_grad: builtins.bool = False) -> Tensor:
        from .creation import tensor

        return tensor(data, dtype=dtype or self.dtype, device=self.device, requires_grad=requires_grad)

    # ``x.new_zeros(2, 3)``: a factory with this tensor's dtype and device (unless given), as PyTorch's
    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: builtins.bool = False) -> Tensor:
        from .creation import _filled

        # (not ``zeros``: its negative-size words are its own)
        return _filled(size, 0, dtype or self._dtype, device or self.device, requires_grad, "new_zeros")

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: builtins.bool = False) -> Tensor:
        from .creation import ones

        return ones(*size, dtype=dtype or self._dtype, device=device or self.device, requires_grad=requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: builtins.bool = False) -> Tensor:
        from .creation import empty

        return empty(*size, dtype=dtype or self._dtype, device=device or self.device, requires_grad=requires_grad)

    def new_full(self, size: Sequence[builtins.int], fill_value: Any, dtype: Any = None, device: Any = None,
                 requires_grad: builtins.bool = False) -> Tensor:
        from .creation import full

        return full(size, fill_value, dtype=dtype or self._dtype, device=device or self.device,
                    requires_grad=requires_grad)

    # ``x.view_as(y)``, ...: the op with the other tensor's shape
    def view_as(self, other: Tensor) -> Tensor:
        _tensor_argument("view_as", other)
        return registry.call(registry.REGISTRY["view"], (self, tuple(other.shape)), {})

    def reshape_as(self, other: Tensor) -> Tensor:
        _tensor_argument("reshape_as", other)
        return registry.call(registry.REGISTRY["reshape"], (self, tuple(other.shape)), {})

    def expand_as(self, other: Tensor) -> Tensor:
        _tensor_argument("expand_as", other)
        return registry.call(registry.REGISTRY["expand"], (self, tuple(other.shape)), {})

    def stride(self, dim: builtins.int | None = None) -> Any:
        """The steps, in elements, between neighbours along each dim (one dim's with ``dim``), as PyTorch
        reports them: a tensor's own memory is row-major (a dim of size 1 or 0 steps as if it had size 1);
        a view steps through its base's memory as its array does."""
        a = self._data
        if self._base is None and a.flags.c_contiguous:
            steps: list[builtins.int] = []
            step = 1
            for n in reversed(a.shape):
                steps.append(step)
                step *= max(int(n), 1)
            strides = tuple(reversed(steps))
        else:  # (a dim of size 1 that NumPy steps by 0, None's or a broadcast's, PyTorch steps as unsqueeze does)
            own = [int(s) // a.itemsize for s in a.strides]
            for d in range(a.ndim - 1, -1, -1):
                if a.shape[d] == 1 and own[d] == 0:
                    own[d] = own[d + 1] * int(a.shape[d + 1]) if d + 1 < a.ndim else 1
            strides = tuple(own)
        if dim is None:
            return strides
        if not a.ndim:
            raise IndexError_(f"Dimension specified as {dim} but tensor has no dimensions")
        return strides[normalize_dim(dim, a.ndim)]

    def _is_view(self) -> builtins.bool:
        """Whether this tensor is a view of another (shares its memory: ``_base``), as PyTorch's."""
        return self._base is not None

    def storage_offset(self) -> builtins.int:
        """Where a view starts in its base's memory, in elements (0 for a tensor that is no view)."""
        base = self._base
        if base is None:
            return 0
        return (address(self._data) - address(base._data)) // self._data.itemsize

    def is_contiguous(self) -> builtins.bool:
        """Whether the elements lie in memory in row-major order without gaps (as ``contiguous()`` makes them)."""
        return builtins.bool(self._data.flags.c_contiguous)


_new_object = object.__new__


def _tensor_argument(method: str, other: Any) -> None:
    """PyTorch's refusal of a non-tensor ``other`` for ``x.view_as(other)`` and its kin."""
    if not isinstance(other, Tensor):
        raise ArgumentError(f"{method}(): argument 'other' (position 1) must be Tensor, not {type_name(other)}")


def _rebuild(data: Any, dtype_name: str, requires_grad: bool) -> Tensor:
    """A pickled tensor, unpickled (``Tensor.__reduce_ex__``)."""
    t = Tensor._wrap(data, dtypes.BY_NAME[dtype_name], None)
    t._rg = requires_grad
    return t


def _view_at(base: Any, index: Any) -> Any:
    """The view of C-contiguous ``base`` whose elements are at flat positions ``index`` (a strided
    view's positions, as ``ops.strided.strided_index`` gives them)."""
    if not base.flags.c_contiguous or not index.size:
        return None
    offset = int(index.reshape(-1)[0])
    strides = tuple(
        0 if n < 2 else int(index[(0,) * k + (1,) + (0,) * (index.ndim - k - 1)]) - offset
        for k, n in enumerate(index.shape)
    )
    return np.lib.stride_tricks.as_strided(base.reshape(-1)[offset:], index.shape,
                                           tuple(s * base.itemsize for s in strides))


def wrap(data: Any, dtype: DType, node: Node | None) -> Tensor:
    """``Tensor._wrap`` as a plain function, for the hot path (ops and backward)."""
    t = _new_object(Tensor)
    t._data = data
    t._dtype = dtype
    t._rg = node is not None
    t.grad_fn = node
    return t


registry._Tensor = Tensor
registry._wrap = wrap
_autograd_engine._late_imports()  # binds Tensor there, and calibrates it once, at import (no thread race)
