"""How many page scripts run at once in this process.

Streamlit runs each session's script in its own thread; in one process they share one
interpreter lock, so fifty runs at once do not finish sooner than one after another — each
takes fifty times as long, and the switching between them costs CPU of its own. A run takes a
slot before it starts and gives it back when it ends (or stops for a newer rerun); the others
wait, idle, in arrival order. `INDICATORS_RUN_SLOTS` sets the number (default 2: one run on
the interpreter while another waits for the database or a worker process); 0 turns it off.
"""
from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator


def _slots() -> int:
    try:
        return max(0, int(os.environ.get("INDICATORS_RUN_SLOTS", "1")))
    except ValueError:
        return 1


_SLOTS = _slots()
_GATE = threading.BoundedSemaphore(_SLOTS) if _SLOTS else None
_HELD = threading.local()   # .held: this thread's run holds a slot


@contextlib.contextmanager
def run_slot() -> Iterator[None]:
    """Hold one of the process's run slots for the duration of a page run."""
    if _GATE is None:
        yield
        return
    _GATE.acquire()
    _HELD.held = True
    try:
        yield
    finally:
        _HELD.held = False
        _GATE.release()


@contextlib.contextmanager
def released() -> Iterator[None]:
    """Give this run's slot back while it waits outside the interpreter, and take one again
    (in turn) after. Without a slot (the command line, a test), nothing happens."""
    if _GATE is None or not getattr(_HELD, "held", False):
        yield
        return
    _HELD.held = False
    _GATE.release()
    try:
        yield
    finally:
        _GATE.acquire()
        _HELD.held = True
