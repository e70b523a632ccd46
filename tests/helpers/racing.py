"""Real threads released at once by a barrier, for the race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def race(count: int, action: Callable[[int], object]) -> list[object]:
    """Run ``action(i)`` in ``count`` threads that start together; the outcomes by index.

    An exception is an outcome like any other (the test judges it). Each thread closes
    its database connections, as a request thread would.
    """
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = action(index)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test judges
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
