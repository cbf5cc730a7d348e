"""Grad mode and per-thread execution state.

The state is per thread (not global) and per asyncio task, so concurrent requests in a
service never see each other's ``no_grad`` or deadline; a new thread starts with grad
mode on, as in PyTorch.
``no_grad``, ``enable_grad`` and ``set_grad_enabled`` work as context managers and
as decorators (``@no_grad`` and ``@no_grad()``, generator functions included).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Generator
from contextvars import ContextVar
from types import TracebackType
from typing import Any, TypeVar

import numpy as np

from ..errors import type_name

F = TypeVar("F", bound=Callable[..., Any])


# (grad mode, deadline) in one context variable, as NumPy keeps its error state: per thread (a new
# thread starts from the default, grad mode on, as in PyTorch) and per asyncio task (a task's
# ``no_grad`` is its own). Ops read it once each (``mode()``: a fraction of what an attribute of a
# ``threading.local`` costs). The deadline is time.monotonic() after which ops raise DeadlineExceeded.
_MODE: ContextVar[tuple[bool, Any]] = ContextVar("engine_mode", default=(True, None))
mode = _MODE.get  # () -> (grad_enabled, deadline)
set_mode = _MODE.set  # ((grad_enabled, deadline)) -> a token for reset_mode
reset_mode = _MODE.reset


class _State:
    """``STATE.grad_enabled`` and ``STATE.deadline``: this thread's (task's) mode, read and set."""

    __slots__ = ()

    @property
    def grad_enabled(self) -> bool:
        return bool(_MODE.get()[0])

    @grad_enabled.setter
    def grad_enabled(self, enabled: bool) -> None:
        _MODE.set((enabled, _MODE.get()[1]))

    @property
    def deadline(self) -> Any:
        return _MODE.get()[1]

    @deadline.setter
    def deadline(self, deadline: Any) -> None:
        _MODE.set((_MODE.get()[0], deadline))


STATE = _State()


# PyTorch never warns about inf/nan results, so the engine's array work runs with NumPy's
# float warnings (divide by zero, invalid, overflow, underflow) off. NumPy >= 2 keeps that
# state in a context variable: setting it directly costs a fraction of ``np.errstate``, and
# it is scoped (per thread and task), so the caller's own NumPy settings are untouched.
try:
    from numpy._core._ufunc_config import _extobj_contextvar as ERRSTATE  # type: ignore[attr-defined]
    from numpy._core._ufunc_config import _make_extobj  # type: ignore[attr-defined]

    QUIET: Any = _make_extobj(all="ignore")
except (ImportError, AttributeError, TypeError):  # NumPy 1.x: np.errstate, slower but the same
    ERRSTATE = None
    QUIET = None


def quiet_enter() -> Any:
    """Silence NumPy's float warnings here; the token goes to ``quiet_exit`` (None: already quiet)."""
    if ERRSTATE is not None:
        return None if ERRSTATE.get() is QUIET else ERRSTATE.set(QUIET)
    cm = np.errstate(all="ignore")
    cm.__enter__()
    return cm


def quiet_exit(token: Any) -> None:
    """Restore what ``quiet_enter`` changed."""
    if token is None:
        return
    if ERRSTATE is not None:
        ERRSTATE.reset(token)
    else:
        token.__exit__(None, None, None)


def is_grad_enabled() -> bool:
    """Whether ops record the graph for autograd in this thread."""
    return STATE.grad_enabled


def _decorate(make: Callable[[], Any], fn: F) -> F:
    """Run ``fn`` (each step of it, for a generator function) inside a fresh context ``make()``."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            gen = fn(*args, **kwargs)
            try:
                with make():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with make():
                            gen.close()
                        raise
                    except BaseException as exc:  # noqa: BLE001 - forwarded into the generator
                        with make():
                            response = gen.throw(exc)
                    else:
                        with make():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value

        return generator  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with make():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class _GradMode:
    """Context manager and decorator that sets grad mode, restoring it after."""

    enabled: bool

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        # ``@no_grad`` without parentheses decorates directly, as PyTorch allows
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __init__(self, orig_func: Callable[..., Any] | None = None) -> None:
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        state = STATE
        self._prev.append(state.grad_enabled)
        state.grad_enabled = self.enabled

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        STATE.grad_enabled = self._prev.pop()

    def __call__(self, fn: F) -> F:
        return _decorate(type(self), fn)

    def clone(self) -> _GradMode:
        return type(self)()


class no_grad(_GradMode):  # noqa: N801 - named as torch.no_grad
    """Disable graph recording (``with engine.no_grad():``, ``@engine.no_grad`` or ``@engine.no_grad()``)."""

    enabled = False


class enable_grad(_GradMode):  # noqa: N801 - named as torch.enable_grad
    """Enable graph recording inside a ``no_grad`` block."""

    enabled = True


class set_grad_enabled:  # noqa: N801 - named as torch.set_grad_enabled
    """Set grad mode to ``mode``: at once when called, as PyTorch does; restored on leaving the block.

    Usable as a plain call (``set_grad_enabled(False)``), a context manager and a decorator.
    """

    def __init__(self, mode: bool) -> None:
        if type(mode) is not bool:
            raise TypeError(
                f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not {type_name(mode)}"
            )
        self.enabled = mode
        self.prev = STATE.grad_enabled
        STATE.grad_enabled = mode

    def __repr__(self) -> str:
        return f"torch.autograd.grad_mode.set_grad_enabled(mode={self.enabled})"

    def __enter__(self) -> None:
        STATE.grad_enabled = self.enabled  # applied in __init__ already; again, as PyTorch does

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        STATE.grad_enabled = self.prev

    def __call__(self, fn: F) -> F:
        STATE.grad_enabled = self.prev  # as a decorator it must not change the mode now
        mode = self.enabled
        return _decorate(lambda: set_grad_enabled(mode), fn)

    def clone(self) -> set_grad_enabled:
        return type(self)(self.enabled)


# whether an inference_mode block is in force (its own context variable: no op reads it)
_INFERENCE: ContextVar[bool] = ContextVar("engine_inference_mode", default=False)


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode`` block is in force in this thread (or asyncio task)."""
    return _INFERENCE.get()


class inference_mode:  # noqa: N801 - named as torch.inference_mode
    """PyTorch's inference mode, as far as the engine carries it: grad mode off inside (``mode=False``:
    on, and inference mode off), restored on leaving; a context manager and a decorator
    (``@inference_mode``, ``@inference_mode()``). Tensors made inside are ordinary tensors: PyTorch's
    refusals of using them later in a recorded graph ("Inference tensors cannot be saved for backward")
    are not carried, nor ``Tensor.is_inference()``.
    """

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # (``@inference_mode`` without parentheses decorates directly)
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode
        self._prev: list[tuple[bool, Any]] = []

    def __enter__(self) -> None:
        self._prev.append((STATE.grad_enabled, _INFERENCE.set(bool(self.mode))))
        STATE.grad_enabled = not self.mode

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        grad_enabled, token = self._prev.pop()
        _INFERENCE.reset(token)
        STATE.grad_enabled = grad_enabled

    def __call__(self, fn: F) -> F:
        mode = self.mode
        return _decorate(lambda: inference_mode(mode), fn)

    def clone(self) -> inference_mode:
        return type(self)(self.mode)
