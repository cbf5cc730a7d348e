"""The expression parser: Python's precedence, errors with columns, and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.service import expr as E
from app.service.errors import ExpressionError, LimitExceeded


def parse(text: str) -> E.Expr:
    return E.parse(text, max_length=10_000, max_tokens=2_000, max_depth=64)


def test_precedence_like_python() -> None:
    t = parse("-x**2")
    assert isinstance(t, E.Unary) and isinstance(t.operand, E.BinOp) and t.operand.op == "**"
    t = parse("2**3**2")
    assert isinstance(t, E.BinOp) and isinstance(t.right, E.BinOp) and t.right.op == "**"
    t = parse("a + b * c")
    assert isinstance(t, E.BinOp) and t.op == "+" and isinstance(t.right, E.BinOp)
    t = parse("a - b - c")
    assert isinstance(t, E.BinOp) and isinstance(t.left, E.BinOp) and t.left.op == "-"
    t = parse("2**-x")
    assert isinstance(t, E.BinOp) and isinstance(t.right, E.Unary)
    t = parse("w.T @ x")
    assert isinstance(t, E.BinOp) and t.op == "@" and isinstance(t.left, E.Attr)


def test_calls_methods_indexing() -> None:
    t = parse("torch.nn.functional.softmax(z, dim=0)")
    assert isinstance(t, E.Call) and isinstance(t.func, E.Dotted) and t.func.parts[-1] == "softmax"
    assert t.kwargs[0][0] == "dim"
    t = parse("y.mean(dim=(0, 1), keepdim=True)")
    assert isinstance(t, E.Call) and isinstance(t.func, E.Attr)
    t = parse("x[:, 1:3, ..., None, ::2]")
    assert isinstance(t, E.Index) and len(t.items) == 5


@pytest.mark.parametrize(
    ("text", "col"),
    [("x +* 2", 4), ("x;y", 2), ("a < b < c", 7), ("x.__class__", 3), ("lambda: 1", 1), ("f(x", 4), ("x[1", 4),
     ("'abc", 1), ("x.", 3), ("(", 2), ("1e999", 1)],
)
def test_errors_name_the_column(text: str, col: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert info.value.extra["column"] == col, info.value.detail


def test_limits_before_parsing() -> None:
    with pytest.raises(LimitExceeded):
        E.parse("x+" * 6000 + "x", max_length=10_000, max_tokens=2_000, max_depth=64)
    with pytest.raises(LimitExceeded):
        E.parse("(" * 100 + "x" + ")" * 100, max_length=10_000, max_tokens=2_000, max_depth=64)
    with pytest.raises(LimitExceeded):
        E.parse("x" * 20_000, max_length=10_000, max_tokens=2_000, max_depth=64)


ALPHABET = "xyz_012.e+-*/%@()[]:,= '\"<>!abcTN." + "\t"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_fuzz_only_our_errors(text: str) -> None:
    try:
        parse(text)
    except (ExpressionError, LimitExceeded):
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_fuzz_any_unicode(text: str) -> None:
    try:
        parse(text)
    except (ExpressionError, LimitExceeded):
        pass
