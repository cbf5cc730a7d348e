"""Arithmetic ops against PyTorch: values, first and second derivatives, grad_fn, dtypes."""

from __future__ import annotations

import pytest

from .oracle import BINARY_SHAPES, FLOATS, T, check


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", BINARY_SHAPES)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_binary(name: str, shapes: tuple, dtype: str) -> None:
    a, b = shapes
    check(name, T(a, dtype), T(b, dtype, domain="nonzero" if name == "div" else "real"))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", BINARY_SHAPES)
def test_pow_tensor_tensor(shapes: tuple, dtype: str) -> None:
    check("pow", T(shapes[0], dtype, "positive"), T(shapes[1], dtype))


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5, 0, 1])
def test_pow_scalar_exponent(exponent: float) -> None:
    check("pow", T((2, 3), "float64", "positive"), exponent)


@pytest.mark.parametrize("base", [2.0, 0.5, 0.0])
def test_pow_scalar_base(base: float) -> None:
    check("pow", base, T((3,), "float64", "positive"))
