"""Backpressure: at most N computations at once, a short bounded queue, 503 beyond it."""

from __future__ import annotations

import asyncio
from types import TracebackType

from .service.errors import Overloaded


class Admission:
    """Admits up to ``limit`` computations; up to ``queue`` more wait at most ``wait_s``."""

    def __init__(self, limit: int, queue: int, wait_s: float) -> None:
        self.limit = limit
        self.queue = queue
        self.wait_s = wait_s
        self.running = 0
        self.waiting = 0
        self._sem: asyncio.Semaphore | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.limit)
        return self._sem

    def slot(self) -> Admission:
        """Hold a computation slot for the body of an ``async with``; 503 when none comes soon.

        The admission object is its own context manager (a slot carries no state of its own):
        measured, ``@asynccontextmanager`` cost ~4 µs more a request.
        """
        return self

    async def __aenter__(self) -> None:
        sem = self._semaphore()
        if sem.locked():
            if self.waiting >= self.queue:
                raise Overloaded(
                    f"{self.running} computations running and {self.waiting} queued (limits max_concurrency="
                    f"{self.limit}, max_queue={self.queue}); retry shortly"
                )
            self.waiting += 1
            try:
                await asyncio.wait_for(sem.acquire(), self.wait_s)
            except TimeoutError:
                raise Overloaded(f"no computation slot within {self.wait_s:g} s; retry shortly") from None
            finally:
                self.waiting -= 1
        else:
            await sem.acquire()
        self.running += 1

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.running -= 1
        self._semaphore().release()
