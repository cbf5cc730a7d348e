"""engine: a reverse-mode autograd library with PyTorch's API and semantics, on NumPy/CuPy.

``import engine as torch`` runs PyTorch's gradient tutorial unchanged.
"""

from __future__ import annotations

import builtins

from . import autograd, cuda, linalg, nn, return_types
from . import inplace as _inplace
from . import ops as _ops  # noqa: F401 - imported for its registrations (every op)
from ._bind import attach_methods, public_functions
from ._compiled import COMPILED, build_info, warn_if_stale
from .autograd import enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled
from .backend import device
from .creation import (
    Generator,
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    initial_seed,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import bool_ as bool  # noqa: A004, F401 - torch.bool
from .dtypes import dtype, float16, float32, float64, get_default_dtype, int32, int64, promote_types, set_default_dtype
from .dtypes import result_type as _result_type
from .errors import (
    ArgumentError,
    AutogradError,
    DeviceError,
    DTypeError,
    EngineError,
    ShapeError,
    UnsupportedError,
)
from .ops.registry import REGISTRY, DeadlineExceeded
from .printing import set_printoptions
from .tensor import Size, Tensor

__version__ = "0.1.0"

half, float, double = float16, float32, float64  # noqa: A001 - torch's aliases
int, long = int32, int64  # noqa: A001

attach_methods()
_inplace.attach(Tensor)
_torch_fns, _functional_fns = public_functions()
_SHADOWED = ("abs", "pow", "sum", "max", "min", "round")  # torch.X where Python has a builtin X
globals().update({k: v for k, v in _torch_fns.items() if k not in globals() or k in _SHADOWED})
nn.functional.__dict__.update(_functional_fns)
positive = Tensor.positive  # type: ignore[attr-defined]  # torch.positive(x): the tensor itself

warn_if_stale(COMPILED)


def result_type(tensor1: object, tensor2: object) -> dtype:
    """``torch.result_type``: the dtype an arithmetic op on the two would produce."""
    return _result_type(tensor1, tensor2)


def is_tensor(obj: object) -> builtins.bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> builtins.int:
    return input.numel()


__all__ = [
    "REGISTRY", "ArgumentError", "AutogradError", "DeadlineExceeded", "DTypeError", "DeviceError",
    "EngineError", "Generator", "ShapeError", "Size", "Tensor", "UnsupportedError", "arange",
    "as_tensor", "build_info", "autograd", "cuda", "device", "linalg", "return_types", "dtype", "empty",
    "empty_like",
    "enable_grad", "eye",
    "float16", "float32", "float64", "from_numpy", "full", "full_like", "get_default_dtype",
    "inference_mode", "initial_seed", "int32", "int64", "is_grad_enabled", "is_inference_mode_enabled",
    "is_tensor", "linspace", "manual_seed", "nn",
    "no_grad", "numel", "ones", "ones_like", "positive", "promote_types", "rand", "rand_like", "randn",
    "randn_like", "result_type", "set_default_dtype", "set_grad_enabled", "set_printoptions", "tensor",
    "zeros", "zeros_like",
    *sorted(_torch_fns),
]
