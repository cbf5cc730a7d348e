"""Expressions in Python syntax, tokenised and parsed by our own Pratt parser.

User text never reaches Python's evaluator (no eval/exec/compile, no ast): the
grammar is small and ASCII-only, and size, token count and nesting depth are
checked before parsing starts. The result is a tree of ``Expr`` nodes that the
planner resolves against the op registry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .errors import ExpressionError, LimitExceeded

# -- tree -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Expr:
    col: int  # 1-based column where the construct starts


@dataclass(frozen=True)
class Num(Expr):
    value: int | float | bool | None


@dataclass(frozen=True)
class Str(Expr):
    value: str


@dataclass(frozen=True)
class Name(Expr):
    id: str


@dataclass(frozen=True)
class Dotted(Expr):
    """``torch.sum``, ``torch.nn.functional.softmax``, ``F.relu``: a path to an op."""

    parts: tuple[str, ...]


@dataclass(frozen=True)
class BinOp(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Unary(Expr):
    op: str
    operand: Expr


@dataclass(frozen=True)
class Attr(Expr):
    value: Expr
    name: str


@dataclass(frozen=True)
class Call(Expr):
    func: Expr  # Name, Dotted or Attr (a method call)
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class Slice(Expr):
    lower: Expr | None
    upper: Expr | None
    step: Expr | None


@dataclass(frozen=True)
class EllipsisLit(Expr):
    pass


@dataclass(frozen=True)
class Index(Expr):
    value: Expr
    items: tuple[Expr, ...]  # Slice, EllipsisLit, Num(None) or expressions


@dataclass(frozen=True)
class ListLit(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class TupleLit(Expr):
    items: tuple[Expr, ...]


# -- tokens ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    kind: str  # "num", "name", "str", "op", "end"
    text: str
    col: int
    value: Any = field(default=None, compare=False)


_OPS = ("**", "//", "==", "!=", "<=", ">=", "...", "+", "-", "*", "/", "%", "@", "(", ")", "[", "]",
        ",", ":", ".", "=", "<", ">")
_KEYWORDS = {"True": True, "False": False, "None": None}
_FORBIDDEN_WORDS = {"lambda", "import", "for", "in", "if", "else", "and", "or", "not", "is", "def",
                    "class", "yield", "await", "async", "with", "while", "return", "del", "global",
                    "nonlocal", "assert", "raise", "try", "except", "finally", "from", "as", "pass"}


def tokenize(text: str, max_tokens: int) -> list[Token]:
    """Split an expression into tokens; any character outside the grammar is an error."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        col = i + 1
        if c in " \t":
            i += 1
            continue
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            j = i
            while j < n and (text[j].isdigit() or text[j] == "_"):
                j += 1
            is_float = False
            if j < n and text[j] == "." and not text.startswith("...", j):
                is_float = True
                j += 1
                while j < n and text[j].isdigit():
                    j += 1
            if j < n and text[j] in "eE":
                k = j + 1
                if k < n and text[k] in "+-":
                    k += 1
                if k < n and text[k].isdigit():
                    is_float = True
                    j = k
                    while j < n and text[j].isdigit():
                        j += 1
            raw = text[i:j].replace("_", "")
            if len(raw) > 40:
                raise ExpressionError(f"number too long at column {col}", column=col)
            value: Any = float(raw) if is_float else int(raw)
            if is_float and not math.isfinite(value):
                raise ExpressionError(f"number out of range at column {col}", column=col)
            tokens.append(Token("num", text[i:j], col, value))
            i = j
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            if word in _FORBIDDEN_WORDS:
                raise ExpressionError(f"'{word}' is not allowed in an expression (column {col})", column=col)
            tokens.append(Token("name", word, col))
            i = j
        elif c in "'\"":
            j = text.find(c, i + 1)
            if j < 0:
                raise ExpressionError(f"unterminated string starting at column {col}", column=col)
            body = text[i + 1 : j]
            if "\\" in body:
                raise ExpressionError(f"escapes are not allowed in strings (column {col})", column=col)
            tokens.append(Token("str", text[i : j + 1], col, body))
            i = j + 1
        else:
            for op in _OPS:
                if text.startswith(op, i):
                    tokens.append(Token("op", op, col))
                    i += len(op)
                    break
            else:
                raise ExpressionError(f"unexpected character {c!r} at column {col}", column=col)
        if len(tokens) > max_tokens:
            raise LimitExceeded(
                f"expression has more than {max_tokens} tokens (limit max_expr_tokens={max_tokens})", column=col
            )
    tokens.append(Token("end", "", n + 1))
    return tokens


def check_depth(text: str, max_depth: int) -> None:
    """Bound bracket nesting on the raw text, before anything else (deep nesting attacks parsers)."""
    depth = 0
    quote = ""
    for i, c in enumerate(text):
        if quote:
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "([":
            depth += 1
            if depth > max_depth:
                raise LimitExceeded(
                    f"expression nests deeper than {max_depth} brackets (limit max_expr_depth) at column {i + 1}",
                    column=i + 1,
                )
        elif c in ")]":
            depth -= 1


# -- parser ---------------------------------------------------------------------------

_BINARY_BP = {
    "==": 10, "!=": 10, "<": 10, "<=": 10, ">": 10, ">=": 10,
    "+": 20, "-": 20,
    "*": 30, "/": 30, "//": 30, "%": 30, "@": 30,
    "**": 50,
}
_UNARY_BP = 40
_POSTFIX_BP = 60
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}


class _Parser:
    def __init__(self, tokens: list[Token], max_depth: int) -> None:
        self.tokens = tokens
        self.pos = 0
        self.max_depth = max_depth
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> Token:
        t = self.tokens[self.pos]
        self.pos += 1
        return t

    def expect(self, text: str) -> Token:
        t = self.next()
        if t.text != text or t.kind not in ("op",):
            found = "end of expression" if t.kind == "end" else f"'{t.text}'"
            raise ExpressionError(f"expected '{text}' at column {t.col}, found {found}", column=t.col)
        return t

    def parse(self) -> Expr:
        e = self.expr(0)
        t = self.peek()
        if t.kind != "end":
            raise ExpressionError(f"unexpected '{t.text}' at column {t.col}", column=t.col)
        return e

    def expr(self, rbp: int) -> Expr:
        self.depth += 1
        if self.depth > self.max_depth * 4:
            raise LimitExceeded("expression nests too deeply (limit max_expr_depth)", column=self.peek().col)
        left = self.prefix(self.next())
        while True:
            t = self.peek()
            if t.kind != "op":
                if t.kind != "end":
                    raise ExpressionError(f"unexpected '{t.text}' at column {t.col}", column=t.col)
                break
            if t.text in ("(", "[", "."):
                if _POSTFIX_BP <= rbp:
                    break
                left = self.postfix(self.next(), left)
                continue
            bp = _BINARY_BP.get(t.text)
            if bp is None or bp <= rbp:
                break
            self.next()
            if t.text == "**":
                right = self.expr(bp - 1)  # right-associative; the exponent may be unary: 2**-1
            else:
                right = self.expr(bp)
                if t.text in _COMPARISONS and self.peek().text in _COMPARISONS and self.peek().kind == "op":
                    nt = self.peek()
                    raise ExpressionError(f"chained comparisons are not supported (column {nt.col})", column=nt.col)
            left = BinOp(t.col, t.text, left, right)
        self.depth -= 1
        return left

    def prefix(self, t: Token) -> Expr:
        if t.kind == "num":
            return Num(t.col, t.value)
        if t.kind == "str":
            return Str(t.col, t.value)
        if t.kind == "name":
            if t.text in _KEYWORDS:
                return Num(t.col, _KEYWORDS[t.text])
            return Name(t.col, t.text)
        if t.kind == "op":
            if t.text in ("-", "+"):
                return Unary(t.col, t.text, self.expr(_UNARY_BP))
            if t.text == "(":
                if self.peek().text == ")" and self.peek().kind == "op":
                    self.next()
                    return TupleLit(t.col, ())
                first = self.expr(0)
                if self.peek().text == "," and self.peek().kind == "op":
                    items = [first]
                    while self.peek().text == "," and self.peek().kind == "op":
                        self.next()
                        if self.peek().text == ")":
                            break
                        items.append(self.expr(0))
                    self.expect(")")
                    return TupleLit(t.col, tuple(items))
                self.expect(")")
                return first
            if t.text == "[":
                items = self.sequence("]")
                return ListLit(t.col, tuple(items))
        if t.kind == "end":
            raise ExpressionError(f"unexpected end of expression at column {t.col}", column=t.col)
        raise ExpressionError(f"unexpected '{t.text}' at column {t.col}", column=t.col)

    def sequence(self, close: str) -> list[Expr]:
        items: list[Expr] = []
        while not (self.peek().kind == "op" and self.peek().text == close):
            items.append(self.expr(0))
            if self.peek().kind == "op" and self.peek().text == ",":
                self.next()
            elif not (self.peek().kind == "op" and self.peek().text == close):
                t = self.peek()
                raise ExpressionError(f"expected ',' or '{close}' at column {t.col}", column=t.col)
        self.next()
        return items

    def postfix(self, t: Token, left: Expr) -> Expr:
        if t.text == ".":
            name = self.next()
            if name.kind != "name":
                raise ExpressionError(f"expected a name after '.' at column {name.col}", column=name.col)
            if name.text.startswith("_"):
                raise ExpressionError(
                    f"private or dunder attribute '{name.text}' is not allowed (column {name.col})", column=name.col
                )
            if isinstance(left, (Name, Dotted)) and (
                (isinstance(left, Name) and left.id in ("torch", "F", "nn")) or isinstance(left, Dotted)
            ):
                parts = (left.id,) if isinstance(left, Name) else left.parts
                return Dotted(left.col, (*parts, name.text))
            return Attr(name.col, left, name.text)
        if t.text == "(":
            args: list[Expr] = []
            kwargs: list[tuple[str, Expr]] = []
            while not (self.peek().kind == "op" and self.peek().text == ")"):
                a = self.peek()
                if (a.kind == "name" and self.tokens[self.pos + 1].text == "="
                        and self.tokens[self.pos + 1].kind == "op"):
                    self.pos += 2
                    if any(k == a.text for k, _ in kwargs):
                        raise ExpressionError(f"keyword argument '{a.text}' repeated (column {a.col})", column=a.col)
                    kwargs.append((a.text, self.expr(0)))
                else:
                    if kwargs:
                        raise ExpressionError(
                            f"positional argument follows keyword argument (column {a.col})", column=a.col
                        )
                    args.append(self.expr(0))
                if self.peek().kind == "op" and self.peek().text == ",":
                    self.next()
                elif not (self.peek().kind == "op" and self.peek().text == ")"):
                    nt = self.peek()
                    raise ExpressionError(f"expected ',' or ')' at column {nt.col}", column=nt.col)
            self.next()
            if not isinstance(left, (Name, Dotted, Attr)):
                raise ExpressionError(f"only ops and tensor methods can be called (column {t.col})", column=t.col)
            return Call(left.col, left, tuple(args), tuple(kwargs))
        # indexing
        items: list[Expr] = []
        while True:
            items.append(self.index_item())
            if self.peek().kind == "op" and self.peek().text == ",":
                self.next()
                if self.peek().kind == "op" and self.peek().text == "]":
                    break
                continue
            break
        self.expect("]")
        return Index(t.col, left, tuple(items))

    def index_item(self) -> Expr:
        t = self.peek()
        if t.kind == "op" and t.text == "...":
            self.next()
            return EllipsisLit(t.col)
        lower = None if (t.kind == "op" and t.text in (":", "]", ",")) else self.expr(0)
        if not (self.peek().kind == "op" and self.peek().text == ":"):
            if lower is None:
                raise ExpressionError(f"empty index at column {t.col}", column=t.col)
            return lower
        self.next()
        upper = None if (self.peek().kind == "op" and self.peek().text in (":", "]", ",")) else self.expr(0)
        step = None
        if self.peek().kind == "op" and self.peek().text == ":":
            self.next()
            step = None if (self.peek().kind == "op" and self.peek().text in ("]", ",")) else self.expr(0)
        return Slice(t.col, lower, upper, step)


def parse(text: str, *, max_length: int, max_tokens: int, max_depth: int) -> Expr:
    """Parse an expression, checking its size limits before any parsing."""
    if len(text) > max_length:
        raise LimitExceeded(
            f"expression is {len(text)} characters long; the limit (max_expr_length) is {max_length}"
        )
    if not text.isascii():
        col = next(i for i, c in enumerate(text) if not c.isascii()) + 1
        raise ExpressionError(f"non-ASCII character at column {col}", column=col)
    if not text.strip():
        raise ExpressionError("empty expression", column=1)
    check_depth(text, max_depth)
    tokens = tokenize(text, max_tokens)
    return _Parser(tokens, max_depth).parse()
