"""gather, scatter, scatter_add, index_select and take_along_dim against PyTorch: values, dtypes, grad_fn
names, first and second derivatives (``check``), PyTorch's words for what it refuses (``run_snippet``),
and finite differences of second order (``gradgradcheck``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

import engine

from .oracle import FLOATS, T, check, run_snippet


@dataclass(frozen=True)
class Ix(T):
    """An index tensor spec with given values (never requires grad)."""

    values: Any = None

    def array(self, salt: int) -> np.ndarray:
        return np.array(self.values, dtype=self.dtype).reshape(self.shape)


def ix(values: Any, dtype: str = "int64") -> Ix:
    a = np.asarray(values)
    return Ix(tuple(a.shape), dtype, "int", False, 0, a.tolist())


def rand_index(shape: tuple[int, ...], high: int, seed: int = 0, dtype: str = "int64") -> Ix:
    """Values in [0, high), repeats allowed."""
    return ix(np.random.default_rng(seed).integers(0, high, shape), dtype)


def distinct_index(input_shape: tuple[int, ...], shape: tuple[int, ...], dim: int, seed: int = 0,
                   dtype: str = "int64") -> Ix:
    """An index for scatter: along dim, no position written twice (PyTorch's scatter is nondeterministic there)."""
    d = dim % len(input_shape)
    full = list(shape)
    full[d] = input_shape[d]
    perm = np.argsort(np.random.default_rng(seed).random(full), axis=d)
    return ix(perm[tuple(slice(0, n) for n in shape)], dtype)


# -- gather ---------------------------------------------------------------------------------------

GATHER_CASES = [
    ((5,), 0, (7,), 5),
    ((5,), -1, (3,), 5),
    ((3, 4), 0, (2, 4), 3),
    ((3, 4), 1, (3, 6), 4),
    ((3, 4), 1, (2, 2), 4),  # smaller than the input but along dim
    ((3, 4), -2, (5, 1), 3),
    ((2, 3, 4), 1, (2, 5, 3), 3),
    ((2, 3, 4), -1, (1, 2, 6), 4),
    ((2, 3, 4), 0, (2, 1, 4), 2),
    ((3, 4), 1, (0, 2), 4),  # empty index
    ((3, 4), 0, (2, 0), 3),
    ((), 0, (), 1),  # 0-d: one element
    ((), -1, (3,), 1),
    ((4,), 0, (), 4),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim,ishape,high", GATHER_CASES)
def test_gather(shape: Any, dim: int, ishape: Any, high: int, dtype: str) -> None:
    check("gather", T(shape, dtype), dim, rand_index(ishape, high, seed=len(ishape)))
    check("gather", T(shape, dtype), dim, rand_index(ishape, high, seed=1, dtype="int32"), method=True)


def test_gather_keywords_and_integer_input() -> None:
    check("gather", T((3, 4)), dim=1, index=rand_index((3, 2), 4))
    check("gather", T((3, 4)), 1, rand_index((3, 2), 4), sparse_grad=False)
    check("gather", T((3, 4), "int64", "int"), 0, rand_index((2, 4), 3))


# -- scatter, scatter_add ---------------------------------------------------------------------------

SCATTER_CASES = [
    ((5,), 0, (3,)),
    ((5,), -1, (5,)),
    ((3, 4), 0, (2, 4)),
    ((3, 4), 1, (3, 2)),
    ((3, 4), 1, (2, 2)),  # smaller than the input
    ((3, 4), -2, (3, 1)),
    ((2, 3, 4), 1, (2, 2, 3)),
    ((2, 3, 4), -1, (1, 3, 4)),
    ((3, 4), 1, (0, 2)),  # empty index
    ((), 0, ()),
    ((), 0, (1,)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim,ishape", SCATTER_CASES)
def test_scatter(shape: Any, dim: int, ishape: Any, dtype: str) -> None:
    index = distinct_index(shape or (1,), ishape or (1,), dim)
    index = ix(index.array(0).reshape(ishape)) if not ishape else index
    check("scatter", T(shape, dtype), dim, index, T(ishape, dtype, seed=1))
    check("scatter", T(shape, dtype), dim, index, 2.5, method=True)
    check("scatter", T(shape, dtype), dim, index, -1)
    check("scatter", T(shape, dtype), dim, index, src=T(ishape, dtype, seed=2), method=True)
    check("scatter", T(shape, dtype), dim, ix(index.array(0), "int32"), T(ishape, dtype, seed=3))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim,ishape", SCATTER_CASES)
def test_scatter_add(shape: Any, dim: int, ishape: Any, dtype: str) -> None:
    high = (shape or (1,))[dim]
    index = rand_index(ishape, high, seed=3)  # repeats accumulate
    check("scatter_add", T(shape, dtype), dim, index, T(ishape, dtype, seed=1))
    check("scatter_add", T(shape, dtype), dim, index, T(ishape, dtype, seed=2), method=True)
    check("scatter_add", T(shape, dtype), dim, rand_index(ishape, high, 4, "int32"), src=T(ishape, dtype, seed=2))


def test_scatter_src_only_or_input_only_requires_grad() -> None:
    index = distinct_index((3, 4), (2, 4), 0)
    check("scatter", T((3, 4), grad=False), 0, index, T((2, 4), seed=1))
    check("scatter", T((3, 4)), 0, index, T((2, 4), seed=1, grad=False))
    check("scatter_add", T((3, 4), grad=False), 0, index, T((2, 4), seed=1))
    check("scatter", T((3, 4), "int64", "int"), 0, index, 7)
    check("scatter_add", T((3, 4), "int64", "int"), 0, index, T((2, 4), "int64", "int"))


# -- index_select ---------------------------------------------------------------------------------

INDEX_SELECT_CASES = [
    ((5,), 0, (7,)),
    ((5,), -1, ()),
    ((3, 4), 0, (5,)),
    ((3, 4), 1, (2,)),
    ((3, 4), -1, (6,)),
    ((2, 3, 4), 1, (4,)),
    ((2, 3, 4), 2, (3,)),
    ((2, 3, 4), 0, (0,)),  # empty index
    ((), 0, (1,)),
    ((), -1, ()),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim,ishape", INDEX_SELECT_CASES)
def test_index_select(shape: Any, dim: int, ishape: Any, dtype: str) -> None:
    high = (shape or (1,))[dim]
    check("index_select", T(shape, dtype), dim, rand_index(ishape, high, seed=5))
    check("index_select", T(shape, dtype), dim, rand_index(ishape, high, 6, "int32"), method=True)
    check("index_select", T(shape, dtype), dim=dim, index=rand_index(ishape, high, seed=7))


# -- take_along_dim ---------------------------------------------------------------------------------

TAKE_CASES = [
    ((5,), (3,), None, 5),
    ((3, 4), (2, 3), None, 12),  # the flattened input
    ((3, 4), (), None, 12),
    ((), (2,), None, 1),
    ((3, 4), (3, 2), 1, 4),
    ((3, 4), (1, 2), 1, 4),  # broadcast
    ((3, 1), (3, 5), 1, 1),
    ((3, 4), (5, 4), -2, 3),
    ((2, 3, 4), (2, 1, 4), 1, 3),
    ((2, 1, 4), (1, 5, 1), 1, 1),  # both broadcast
    ((2, 3, 4), (1, 3, 0), -1, 4),  # empty
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,ishape,dim,high", TAKE_CASES)
def test_take_along_dim(shape: Any, ishape: Any, dim: Any, high: int, dtype: str) -> None:
    check("take_along_dim", T(shape, dtype), rand_index(ishape, high, seed=8), dim)
    check("take_along_dim", T(shape, dtype), rand_index(ishape, high, seed=9), dim=dim, method=True)


def test_take_along_dim_wraps_indices_along_a_dim() -> None:
    # PyTorch 2.13 takes the indices modulo the dim's size along a dim (and checks bounds without one)
    check("take_along_dim", T((3, 4)), ix([[-1, 4], [7, -6], [0, 3]]), 1)
    check("take_along_dim", T((3, 4)), ix([[-1, 5, 3, 3]]), 0)
    check("take_along_dim", T((3, 4)), ix([[-1]]), -1)


def test_take_along_dim_int32_indices_flattened() -> None:
    check("take_along_dim", T((3, 4)), rand_index((5,), 12, 1, "int32"))


# -- PyTorch's words ------------------------------------------------------------------------------

SNIPPETS = {
    # gather
    "gather_out_of_bounds": "torch.gather(torch.ones(2, 3), 1, torch.tensor([[0, 5]]))",
    "gather_negative": "torch.gather(torch.ones(2, 3), 1, torch.tensor([[-1]]))",
    "gather_out_of_bounds_dim0": "torch.gather(torch.ones(2, 3), 0, torch.tensor([[2]]))",
    "gather_float_index": "torch.gather(torch.ones(2, 3), 1, torch.tensor([[0.]]))",
    "gather_bool_index": "torch.gather(torch.ones(2, 3), 1, torch.tensor([[True]]))",
    "gather_rank": "torch.gather(torch.ones(2, 3), 1, torch.tensor([0]))",
    "gather_rank_0d": "torch.gather(torch.ones(2, 3), 1, torch.tensor(1))",
    "gather_too_large": "torch.gather(torch.ones(2, 3), 0, torch.tensor([[0, 1, 1, 0]]))",
    "gather_too_large_3d": "torch.gather(torch.ones(2, 3, 4), 1, torch.zeros(3, 5, 1, dtype=torch.long))",
    "gather_dim_range": "torch.gather(torch.ones(2, 3), 2, torch.tensor([[0]]))",
    "gather_dim_first": "torch.gather(torch.ones(2, 3), 5, torch.tensor([[0.]]))",
    "gather_dim_float": "torch.gather(torch.ones(2, 3), 1.0, torch.tensor([[0]]))",
    "gather_dim_bool": "torch.gather(torch.ones(2, 3), True, torch.tensor([[0]]))",
    "gather_dim_str": "torch.gather(torch.ones(2, 3), 'a', torch.tensor([[0]]))",
    "gather_index_list": "torch.gather(torch.ones(2, 3), 1, [[0]])",
    "gather_too_many": "torch.gather(torch.ones(2, 3), 1, torch.tensor([[0]]), True)",
    "gather_missing": "torch.gather(torch.ones(2, 3), 1)",
    "gather_method_dim": "torch.ones(2, 3).gather(torch.tensor([[0]]), 1)",
    "gather_method_keyword": "print(torch.ones(2, 3).gather(1, index=torch.tensor([[0]])))",
    "gather_empty_anything": "print(torch.gather(torch.ones(2, 3), 1, torch.zeros(2, 0)),"
                             " torch.gather(torch.ones(2, 3), 1, torch.zeros(2, 0, 5, dtype=torch.long)))",
    "gather_0d": "print(torch.gather(torch.tensor(2.), 0, torch.tensor([0, 0])),"
                 " torch.gather(torch.tensor(2.), 0, torch.tensor([1])))",
    "gather_empty_dim": "torch.gather(torch.zeros(2, 0), 1, torch.zeros(2, 1, dtype=torch.long))",
    "gather_integers": "print(torch.gather(torch.arange(6).reshape(2, 3), 1, torch.tensor([[2, 0], [1, 1]])))",
    "gather_backward_repeats": "x = torch.ones(2, 3, requires_grad=True)\n"
                               "y = x.gather(1, torch.tensor([[0, 0, 0], [2, 1, 2]])); y.sum().backward()\n"
                               "print(y.grad_fn.name(), x.grad)",
    "gather_index_written": "x = torch.ones(2, 3, requires_grad=True); i = torch.tensor([[0, 1]])\n"
                            "y = x.gather(1, i); i.add_(1); y.sum().backward()",
    "gather_input_written": "x = torch.ones(2, 3, requires_grad=True); y = x * 1\n"
                            "z = y.gather(1, torch.tensor([[0, 1]])); y.mul_(2); z.sum().backward()",
    "gather_second_order_names": "x = torch.ones(2, 3, requires_grad=True, dtype=torch.float64)\n"
                                 "v = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)\n"
                                 "(g,) = torch.autograd.grad(x.gather(1, torch.tensor([[0, 0], [1, 2]])), x, v,"
                                 " create_graph=True)\n"
                                 "print(g.grad_fn.name(), g)\n"
                                 "(h,) = torch.autograd.grad((g * g).sum(), v); print(h)",
    # scatter
    "scatter_src": "print(torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0, 1], [2, 0]]), torch.ones(2, 2)))",
    "scatter_value": "x = torch.zeros(2, 3, requires_grad=True)\n"
                     "print(torch.scatter(x, 1, torch.tensor([[0, 1]]), 5.),"
                     " x.scatter(1, torch.tensor([[2]]), value=7))",
    "scatter_value_keyword_backward": "x = torch.zeros(2, 3, requires_grad=True)\n"
                                      "y = torch.scatter(x, dim=1, index=torch.tensor([[0, 2]]), value=-1)\n"
                                      "(y * torch.arange(6.).reshape(2, 3)).sum().backward(); print(y, x.grad)",
    "scatter_bool_value": "print(torch.zeros(2, 3).bool().scatter(1, torch.tensor([[0]]), 2),"
                          " torch.zeros(2, 3).long().scatter(1, torch.tensor([[0]]), 2.5))",
    "scatter_complex_value": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0]]), 1 + 2j)",
    "scatter_int_overflow": "torch.scatter(torch.zeros(2, 3).int(), 1, torch.tensor([[0]]), 10 ** 12)",
    "scatter_huge_int": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0]]), 10 ** 40)",
    "scatter_out_of_bounds": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[5]]), torch.ones(1, 1))",
    "scatter_value_out_of_bounds": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[-1]]), 1.)",
    "scatter_float_index": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0.]]), torch.ones(1, 1))",
    "scatter_dtype_first": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0.]]), torch.ones(1, 1).double())",
    "scatter_src_dtype": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0]]), torch.ones(1, 1).double())",
    "scatter_src_dtype_empty_index": "torch.scatter(torch.zeros(2, 3), 1, torch.zeros(2, 0), torch.ones(1).double())",
    "scatter_src_integer": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0]]), torch.ones(1, 1).long())",
    "scatter_self_rank": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([0]), torch.ones(1))",
    "scatter_src_rank": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0]]), torch.ones(2, 3, 4))",
    "scatter_src_0d": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0]]), torch.tensor(5.))",
    "scatter_src_fewer_dims": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0]]), torch.ones(5))",
    "scatter_too_large": "torch.scatter(torch.zeros(2, 3), 0, torch.tensor([[0, 1, 1, 0]]), torch.ones(3, 4))",
    "scatter_larger_than_src": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0, 0, 0, 0]]), torch.ones(1, 3))",
    "scatter_value_too_large": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0], [1], [0]]), 1.)",
    "scatter_dim_range": "torch.scatter(torch.zeros(2, 3), -3, torch.tensor([[0]]), torch.ones(1, 1))",
    "scatter_dim_float": "torch.scatter(torch.zeros(2, 3), 1.0, torch.tensor([[0]]), torch.ones(1, 1))",
    "scatter_missing_src": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0]]))",
    "scatter_list_src": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0]]), [1.])",
    "scatter_list_index": "torch.scatter(torch.zeros(2, 3), 1, [[0]], torch.ones(1, 1))",
    "scatter_src_number_keyword": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0]]), src=5.)",
    "scatter_value_tensor_keyword": "torch.scatter(torch.zeros(2, 3), 1, torch.tensor([[0]]), value=torch.ones(1, 1))",
    "scatter_method_missing": "torch.zeros(2, 3).scatter(1, torch.tensor([[0]]))",
    "scatter_empty_index": "print(torch.scatter(torch.zeros(2, 3), 1, torch.zeros(2, 0, 5, dtype=torch.long),"
                           " torch.ones(5)))",
    "scatter_0d": "print(torch.scatter(torch.tensor(1.), 0, torch.tensor([0]), torch.tensor([5.])),"
                  " torch.scatter(torch.zeros(3), 0, torch.tensor(2), torch.tensor(1.)))",
    "scatter_src_larger_backward": "x = torch.zeros(2, 3, requires_grad=True)\n"
                                   "s = torch.ones(3, 4, requires_grad=True)\n"
                                   "y = torch.scatter(x, 1, torch.tensor([[0, 1], [2, 0]]), s)\n"
                                   "print(y.grad_fn.name()); y.sum().backward()",
    "scatter_src_larger_input_only": "x = torch.zeros(2, 3, requires_grad=True); s = torch.ones(3, 4)\n"
                                     "y = torch.scatter(x, 1, torch.tensor([[0, 1], [2, 0]]), s)\n"
                                     "y.sum().backward(); print(x.grad)",
    "scatter_index_written": "x = torch.zeros(2, 3, requires_grad=True); i = torch.tensor([[0, 1]])\n"
                             "y = x.scatter(1, i, 2.); i.add_(1); y.sum().backward()",
    "scatter_input_written": "x = torch.zeros(2, 3, requires_grad=True); y = x * 1\n"
                             "z = y.scatter(1, torch.tensor([[0, 1]]), 2.); y.mul_(2); z.sum().backward()\n"
                             "print(x.grad)",
    # scatter_add
    "scatter_add_repeats": "x = torch.zeros(2, 3, requires_grad=True); s = torch.arange(1., 5).reshape(1, 4)\n"
                           "s.requires_grad_(); y = torch.scatter_add(x, 1, torch.tensor([[0, 0, 2, 0]]), s)\n"
                           "print(y, y.grad_fn.name()); (y * torch.arange(6.).reshape(2, 3)).sum().backward()\n"
                           "print(x.grad, s.grad)",
    "scatter_add_number": "torch.scatter_add(torch.zeros(2, 3), 1, torch.tensor([[0]]), 5.)",
    "scatter_add_value_keyword": "torch.scatter_add(torch.zeros(2, 3), 1, torch.tensor([[0]]), value=2.)",
    "scatter_add_too_many": "torch.scatter_add(torch.zeros(2, 3), 1, torch.tensor([[0]]), torch.ones(1, 1), 'a')",
    "scatter_add_float_index": "torch.scatter_add(torch.zeros(2, 3), 1, torch.tensor([[0.]]), torch.ones(1, 1))",
    "scatter_add_out_of_bounds": "torch.scatter_add(torch.zeros(2, 3), 1, torch.tensor([[3]]), torch.ones(1, 1))",
    "scatter_add_too_large": "torch.scatter_add(torch.zeros(2, 3), 1, torch.tensor([[0, 0, 0, 0, 0]]),"
                             " torch.ones(3, 4))",
    "scatter_add_dim_float": "torch.scatter_add(torch.zeros(2, 3), 1.0, torch.tensor([[0]]), torch.ones(1, 1))",
    "scatter_add_list_index": "torch.scatter_add(torch.zeros(2, 3), 1, [[0]], torch.ones(1, 1))",
    "scatter_add_missing": "torch.scatter_add(torch.zeros(2, 3), 1, torch.tensor([[0]]))",
    "scatter_add_src_larger_backward": "s = torch.ones(3, 4, requires_grad=True)\n"
                                       "y = torch.zeros(2, 3).scatter_add(1, torch.tensor([[0, 1], [2, 0]]), s)\n"
                                       "y.sum().backward()",
    "scatter_add_src_dtype": "torch.scatter_add(torch.zeros(2, 3), 1, torch.tensor([[0]]), torch.ones(1, 1).double())",
    # index_select
    "index_select_vector": "torch.index_select(torch.ones(3, 4), 1, torch.tensor([[3]]))",
    "index_select_float": "torch.index_select(torch.ones(3, 4), 1, torch.tensor([3.]))",
    "index_select_empty_float": "torch.index_select(torch.ones(3), 0, torch.tensor([]))",
    "index_select_bool": "torch.index_select(torch.ones(3, 4), 1, torch.tensor([True]))",
    "index_select_dim1_bounds": "torch.index_select(torch.ones(3, 4), 1, torch.tensor([0, 4]))",
    "index_select_dim1_negative": "torch.index_select(torch.ones(3, 4), 1, torch.tensor([-1]))",
    "index_select_dim0_bounds": "torch.index_select(torch.ones(3, 4), 0, torch.tensor([5]))",
    "index_select_1d_bounds": "torch.index_select(torch.arange(5.), 0, torch.tensor([-1]))",
    "index_select_3d_last_bounds": "torch.index_select(torch.ones(2, 3, 4), 2, torch.tensor([4]))",
    "index_select_3d_middle_bounds": "torch.index_select(torch.ones(2, 3, 4), 1, torch.tensor([3]).int())",
    "index_select_empty_self": "print(torch.index_select(torch.zeros(2, 0, 4), 0, torch.tensor([1])).shape)\n"
                               "torch.index_select(torch.zeros(2, 0, 4), 0, torch.tensor([3]))",
    "index_select_empty_axis": "torch.index_select(torch.zeros(2, 0, 4), 1, torch.tensor([1]))",
    "index_select_empty_1d": "print(torch.index_select(torch.zeros(0), 0, torch.tensor([], dtype=torch.long)))\n"
                             "torch.index_select(torch.zeros(0), 0, torch.tensor([0]))",
    "index_select_scalar_count": "torch.index_select(torch.tensor(1.), 0, torch.tensor([0, 0]))",
    "index_select_scalar_empty": "torch.index_select(torch.tensor(1.), 0, torch.tensor([], dtype=torch.long))",
    "index_select_scalar_bounds": "torch.index_select(torch.tensor(1.), 0, torch.tensor([1]))",
    "index_select_dim_range": "torch.index_select(torch.tensor(1.), 1, torch.tensor([0]))",
    "index_select_dim_first": "torch.index_select(torch.zeros(3), 3, torch.tensor([[0]]).float())",
    "index_select_dim_float": "torch.index_select(torch.ones(3, 4), 1.0, torch.tensor([0]))",
    "index_select_list": "torch.index_select(torch.ones(3, 4), 1, [0])",
    "index_select_missing": "torch.index_select(torch.ones(3, 4), 1)",
    "index_select_bools": "print(torch.zeros(3, 2).bool().index_select(0, torch.tensor([2, 0])))",
    "index_select_backward": "x = torch.ones(3, 2, requires_grad=True)\n"
                             "y = x.index_select(0, torch.tensor([2, 2, 0]))\n"
                             "(y * torch.arange(6.).reshape(3, 2)).sum().backward(); print(y.grad_fn.name(), x.grad)",
    "index_select_index_written": "x = torch.ones(3, requires_grad=True); i = torch.tensor([0])\n"
                                  "y = x.index_select(0, i); i.add_(1); y.sum().backward()",
    "index_select_input_written": "x = torch.ones(3, requires_grad=True); y = x * 1\n"
                                  "z = y.index_select(0, torch.tensor([0])); y.mul_(2); z.sum().backward()\n"
                                  "print(x.grad)",
    # take_along_dim
    "take_rank": "torch.take_along_dim(torch.ones(3, 4), torch.tensor([0, 2]), 1)",
    "take_int32": "torch.take_along_dim(torch.ones(3, 4), torch.tensor([[0]]).int(), 1)",
    "take_float": "torch.take_along_dim(torch.ones(3, 4), torch.tensor([[0.]]), 1)",
    "take_bool": "torch.take_along_dim(torch.ones(3, 4), torch.tensor([[True]]), 1)",
    "take_dim_range": "torch.take_along_dim(torch.ones(3, 4), torch.tensor([[0]]), 2)",
    "take_broadcast": "torch.take_along_dim(torch.ones(3, 4), torch.tensor([[0, 1], [1, 0]]), 1)",
    "take_broadcast_other": "torch.take_along_dim(torch.ones(3, 4), torch.tensor([[0, 1, 0], [1, 0, 0]]), 0)",
    "take_0d_dim": "torch.take_along_dim(torch.tensor(2.), torch.tensor(0), 0)",
    "take_empty_dim": "torch.take_along_dim(torch.zeros(2, 0), torch.tensor([[0]]), 1)",
    "take_empty_both": "print(torch.take_along_dim(torch.zeros(2, 0), torch.zeros(2, 0, dtype=torch.long), 1))",
    "take_flat_bounds": "torch.take_along_dim(torch.ones(3, 4), torch.tensor([0, 12]))",
    "take_flat_negative": "torch.take_along_dim(torch.ones(3, 4), torch.tensor([[-1]]))",
    "take_flat_float": "torch.take_along_dim(torch.ones(3, 4), torch.tensor([[0.]]))",
    "take_flat_int32": "print(torch.take_along_dim(torch.arange(6.).reshape(2, 3), torch.tensor([[5]]).int()))",
    "take_flat_not_viewable": "torch.take_along_dim(torch.zeros(2, 3).t(), torch.tensor([[0, 1], [1, 0]]))",
    "take_flat_index_not_viewable": "torch.take_along_dim(torch.zeros(2, 3), torch.tensor([[0, 1], [1, 0]]).t())",
    "take_dim_float": "torch.take_along_dim(torch.ones(3, 4), torch.tensor([[0]]), 1.5)",
    "take_dim_bool": "torch.take_along_dim(torch.ones(3, 4), torch.tensor([[0]]), True)",
    "take_list": "torch.take_along_dim(torch.ones(3, 4), [[0]], 1)",
    "take_dim_none": "print(torch.take_along_dim(torch.arange(12.).reshape(3, 4), torch.tensor([[0, 3]]), None))",
    "take_wrap": "x = torch.arange(12.).reshape(3, 4).requires_grad_()\n"
                 "y = torch.take_along_dim(x, torch.tensor([[4], [-1], [9]]), 1); print(y, y.grad_fn.name())\n"
                 "y.sum().backward(); print(x.grad)",
    "take_broadcast_backward": "x = torch.arange(4.).reshape(1, 4).requires_grad_()\n"
                               "y = torch.take_along_dim(x, torch.tensor([[0], [3], [3]]), 1); print(y)\n"
                               "y.sum().backward(); print(x.grad)",
    # (refused as PyTorch refuses it; PyTorch names the broadcast view it saved, the engine the input)
    "take_input_written": "x = torch.ones(3, 4, requires_grad=True); y = x * 1\n"
                          "z = torch.take_along_dim(y, torch.tensor([[0, 1]]), 1); y.mul_(2)\n"
                          "try:\n    z.sum().backward()\nexcept RuntimeError as e:\n    print(str(e)[:60])",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_as_pytorch(name: str) -> None:
    assert run_snippet(engine, SNIPPETS[name]) == run_snippet(torch, SNIPPETS[name])


# -- second derivatives by finite differences -------------------------------------------------------

def _x(*shape: int, seed: int = 0) -> Any:
    return engine.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=engine.float64, requires_grad=True)


def test_gradgradcheck_gather() -> None:
    x = _x(3, 4)
    i = engine.tensor([[0, 0, 3], [2, 1, 1]])
    assert engine.autograd.gradcheck(lambda t: (t.gather(1, i) ** 2).sum(), (x,))
    assert engine.autograd.gradgradcheck(lambda t: (t.gather(1, i) ** 2).sum(), (x,))
    assert engine.autograd.gradgradcheck(lambda t: t.gather(-2, engine.tensor([[2, 0, 1, 1]])), (x,))


def test_gradgradcheck_scatter() -> None:
    x, s = _x(3, 4), _x(2, 3, seed=1)
    i = engine.tensor([[0, 3, 1], [2, 1, 3]])
    assert engine.autograd.gradgradcheck(lambda a, b: engine.scatter(a, 1, i, b) ** 2, (x, s))
    assert engine.autograd.gradgradcheck(lambda a: a.scatter(1, i, 1.5) ** 2, (x,))


def test_gradgradcheck_scatter_add() -> None:
    x, s = _x(3, 4), _x(2, 3, seed=1)
    i = engine.tensor([[0, 0, 1], [2, 0, 0]])
    assert engine.autograd.gradgradcheck(lambda a, b: engine.scatter_add(a, 1, i, b) ** 2, (x, s))


def test_gradgradcheck_index_select() -> None:
    x = _x(3, 4)
    assert engine.autograd.gradgradcheck(lambda t: t.index_select(1, engine.tensor([3, 0, 3])) ** 2, (x,))
    assert engine.autograd.gradgradcheck(lambda t: engine.index_select(t, 0, engine.tensor(2)) ** 3, (x,))


def test_gradgradcheck_take_along_dim() -> None:
    x = _x(1, 4)
    i = engine.tensor([[0], [5], [-1]])
    assert engine.autograd.gradgradcheck(lambda t: engine.take_along_dim(t, i, 1) ** 2, (x,))
    assert engine.autograd.gradgradcheck(lambda t: engine.take_along_dim(t, engine.tensor([3, 3, 0])) ** 2, (x,))


def test_in_the_catalogue() -> None:
    from engine.ops.registry import REGISTRY

    assert REGISTRY["gather"].signature() == "gather(input, dim, index, *, sparse_grad=False)"
    assert REGISTRY["scatter"].signature() == "scatter(input, dim, index, src)"
    assert REGISTRY["scatter_add"].signature() == "scatter_add(input, dim, index, src)"
    assert REGISTRY["index_select"].signature() == "index_select(input, dim, index)"
    assert REGISTRY["take_along_dim"].signature() == "take_along_dim(input, indices, dim=None)"


# -- stride() and storage_offset() ----------------------------------------------------------------

STRIDE_SNIPPETS = {
    "contiguous": "for x in (torch.zeros(2, 3, 4), torch.zeros(2, 1, 3), torch.zeros(2, 0, 3), torch.tensor(3.)):\n"
                  "    print(x.stride(), x.storage_offset())",
    "views": "x = torch.arange(24.).reshape(2, 3, 4)\n"
             "for v in (x.transpose(0, 2), x.permute(1, 2, 0), x[1], x[:, 1:, ::2], x[:, 1], x.narrow(2, 1, 2),\n"
             "          x.unsqueeze(1), x.unsqueeze(-1), x[None], x[..., None], x.view(6, 4), x.flatten(), x.mT,\n"
             "          x.unbind(1)[1], x.chunk(2, 2)[1], torch.zeros(1, 3).expand(4, 3),\n"
             "          torch.zeros(3).expand(1, 3),\n"
             "          torch.zeros(3).expand(2, 1, 3), torch.zeros(2, 1, 3).squeeze(1), x[1, None]):\n"
             "    print(v.stride(), v.storage_offset(), v.stride(-1), v.stride(0))",
    "results": "x = torch.arange(24.).reshape(2, 3, 4)\n"
               "for v in (x.transpose(0, 2).exp(), x * 2, x.sum(1), x.transpose(0, 2).contiguous(), x[[1, 0]],\n"
               "          x.transpose(0, 1).reshape(3, 8), torch.zeros(3, 4) @ torch.zeros(4, 5)):\n"
               "    print(v.stride(), v.storage_offset())",
    "zero_dim_refused": "torch.tensor(3.).stride(0)",
    "dim_out_of_range": "torch.zeros(2, 3).stride(2)",
}


@pytest.mark.parametrize("name", sorted(STRIDE_SNIPPETS))
def test_strides_as_pytorch(name: str) -> None:
    assert run_snippet(engine, STRIDE_SNIPPETS[name]) == run_snippet(torch, STRIDE_SNIPPETS[name])


# the in-place forms (engine.inplace runs the same entries): values, and recorded on a tensor and through a view
INPLACE_SNIPPETS = [
    "x = torch.zeros(2, 3); i = torch.tensor([[0, 1, 2], [2, 0, 1]])\n"
    "print(x.scatter_(1, i, torch.arange(6.).reshape(2, 3)), x.scatter_(1, i, 5.0))",
    "x = torch.zeros(2, 3); i = torch.tensor([[0, 0, 2], [2, 0, 1]]); print(x.scatter_add_(1, i, torch.ones(2, 3)))",
    "w = torch.ones(2, 3, requires_grad=True); x = w * 1; i = torch.tensor([[0, 1, 2], [2, 0, 1]])\n"
    "s = torch.arange(6.).reshape(2, 3).requires_grad_(); x.scatter_(1, i, s)\n"
    "(x * torch.arange(6.).reshape(2, 3)).sum().backward(); print(x.grad_fn.name(), w.grad, s.grad)",
    "w = torch.ones(2, 3, requires_grad=True); x = w * 1; i = torch.tensor([[0, 1, 2], [2, 0, 1]])\n"
    "x[0].scatter_add_(0, i[0], torch.ones(3)); (x * torch.arange(6.).reshape(2, 3)).sum().backward()\n"
    "print(x.grad_fn.name(), w.grad)",
    "w = torch.ones(3, requires_grad=True); w.scatter_(0, torch.tensor([0]), 2.0)",
]


@pytest.mark.parametrize("code", INPLACE_SNIPPETS)
def test_in_place_scatter_as_pytorch(code: str) -> None:
    assert run_snippet(engine, code) == run_snippet(torch, code)
