"""Grad mode and per-thread execution state.

The state is per thread (not global), so concurrent requests in a service never
see each other's ``no_grad``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    grad_enabled: bool = True
    deadline: float | None = None  # time.monotonic() after which ops raise DeadlineExceeded


STATE = _State()


def is_grad_enabled() -> bool:
    """Whether ops record the graph for autograd in this thread."""
    return STATE.grad_enabled


class _GradMode:
    """Context manager and decorator that sets grad mode, restoring it after."""

    enabled: bool

    def __init__(self) -> None:
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        self._prev.append(STATE.grad_enabled)
        STATE.grad_enabled = self.enabled

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        STATE.grad_enabled = self._prev.pop()

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):  # noqa: N801 - named as torch.no_grad
    """Disable graph recording (``with engine.no_grad():`` or ``@engine.no_grad()``)."""

    enabled = False


class enable_grad(_GradMode):  # noqa: N801 - named as torch.enable_grad
    """Enable graph recording inside a ``no_grad`` block."""

    enabled = True


class set_grad_enabled(_GradMode):  # noqa: N801 - named as torch.set_grad_enabled
    """Set grad mode to ``mode``; usable as a function, context manager or decorator."""

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self.enabled = bool(mode)
        self._prev.append(STATE.grad_enabled)
        STATE.grad_enabled = self.enabled

    def __enter__(self) -> None:
        pass  # already applied in __init__, as PyTorch does

    def __call__(self, fn: F) -> F:
        STATE.grad_enabled = self._prev.pop()
        mode = self.enabled

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
