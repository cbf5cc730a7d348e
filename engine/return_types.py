"""``torch.return_types``: the named pairs ops such as ``max(input, dim)``, ``sort`` and ``topk`` return.

Each is a tuple (it unpacks and indexes as one) with its fields by name, and prints as PyTorch's.
"""

from __future__ import annotations

from typing import Any


class _Pair(tuple):  # type: ignore[type-arg]
    """``(values, indices)``, readable by name."""

    __slots__ = ()
    n_fields = 2
    n_sequence_fields = 2

    def __new__(cls, values: Any, indices: Any) -> _Pair:
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self) -> Any:
        return self[0]

    @property
    def indices(self) -> Any:
        return self[1]

    def __repr__(self) -> str:
        return f"torch.return_types.{type(self).__name__}(\nvalues={self[0]!r},\nindices={self[1]!r})"


class max(_Pair):  # noqa: N801, A001 - named as PyTorch's
    __slots__ = ()


class min(_Pair):  # noqa: N801, A001 - named as PyTorch's
    __slots__ = ()


class sort(_Pair):  # noqa: N801 - named as PyTorch's
    __slots__ = ()


class topk(_Pair):  # noqa: N801 - named as PyTorch's
    __slots__ = ()
