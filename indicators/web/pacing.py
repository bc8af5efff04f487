"""How many page scripts run at once in this process.

Streamlit runs each session's script in its own thread; in one process they share one
interpreter lock, so fifty runs at once do not finish sooner than one after another — each
takes fifty times as long, and the switching between them costs CPU of its own. A run takes a
slot before it starts and gives it back when it ends (or stops for a newer rerun); the others
wait, idle, in arrival order. `INDICATORS_RUN_SLOTS` sets the number (default 1: a run waiting
for the database, the sheet reader or Chromium gives its slot back meanwhile); 0 turns it off.
"""
from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Iterator


def _slots() -> int:
    try:
        return max(0, int(os.environ.get("INDICATORS_RUN_SLOTS", "1")))
    except ValueError:
        return 1


class _Slots:
    """`n` slots handed to waiting runs in arrival order, except that a run coming back from a
    wait outside the interpreter (released) goes before the runs not yet started: it is already
    part way through, and its person is already waiting. A freed slot is handed to the next
    waiter directly (no crowd of threads woken to race for it). A run ending in a rerun (st.rerun
    after an upload's commit, a click during a run) keeps its slot for the rerun, which Streamlit
    starts at once in the same thread, for at most RERUN_HOLD_S."""

    def __init__(self, n: int) -> None:
        self.lock = threading.Lock()
        self.free = n
        self.returning: deque[threading.Event] = deque()
        self.arriving: deque[threading.Event] = deque()
        self.kept_for: int | None = None   # the thread whose rerun a slot is kept for

    def take(self, *, returning: bool = False) -> None:
        with self.lock:
            if self.kept_for == threading.get_ident():
                self.kept_for = None
                return
            if self.free:   # a free slot means nobody waits
                self.free -= 1
                return
            handed = threading.Event()
            (self.returning if returning else self.arriving).append(handed)
        handed.wait()

    def give(self, *, for_rerun: bool = False) -> None:
        with self.lock:
            if for_rerun and self.kept_for is None and (self.returning or self.arriving):
                self.kept_for = owner = threading.get_ident()
                timer = threading.Timer(RERUN_HOLD_S, self._expire, args=(owner,))
                timer.daemon = True
                timer.start()
                return
            self._hand_over()

    def _expire(self, owner: int) -> None:
        with self.lock:
            if self.kept_for == owner:   # the rerun did not come (the session closed)
                self.kept_for = None
                self._hand_over()

    def _hand_over(self) -> None:
        waiting = self.returning or self.arriving
        if waiting:
            waiting.popleft().set()
        else:
            self.free += 1


RERUN_HOLD_S = 0.25


_SLOTS = _slots()
_GATE = _Slots(_SLOTS) if _SLOTS else None
_HELD = threading.local()   # .held: this thread's run holds a slot


@contextlib.contextmanager
def run_slot() -> Iterator[None]:
    """Hold one of the process's run slots for the duration of a page run."""
    if _GATE is None or getattr(_HELD, "held", False):
        yield
        return
    _GATE.take()
    _HELD.held = True
    rerun = False
    try:
        yield
    except BaseException as exc:
        # st.rerun() (after an upload's commit, a sign-in), or a click during the run: the rerun,
        # in this same thread, continues what its person is waiting for (_Slots.give).
        rerun = type(exc).__name__ == "RerunException"
        raise
    finally:
        if _HELD.held:
            _GATE.give(for_rerun=rerun)
        _HELD.held = _HELD.owed = False


@contextlib.contextmanager
def released() -> Iterator[None]:
    """Give this run's slot back while it waits outside the interpreter (the database, the
    sheet reader, Chromium), and take one again after, before the runs not yet started. Without
    a slot (the command line, a test, or already released), nothing happens."""
    if _GATE is None or not getattr(_HELD, "held", False):
        yield
        return
    _HELD.held = False
    _GATE.give()
    try:
        yield
    finally:
        _GATE.take(returning=True)
        _HELD.held = True


@contextlib.contextmanager
def computing(*, in_database: bool) -> Iterator[None]:
    """Around a cached read's computation (web.data, web.views). The outermost one that reads
    the database (`in_database`) gives the run's slot back for the read: DuckDB works outside
    the interpreter, so another run goes on meanwhile. The slot is taken back by take_back(),
    after the cache call: Streamlit holds a lock per cached value while it is computed, which a
    run holding the slot may wait for; taking the slot inside it could wait for ever."""
    depth = getattr(_HELD, "depth", 0)
    _HELD.depth = depth + 1
    if in_database and depth == 0 and _GATE is not None and getattr(_HELD, "held", False):
        _HELD.held, _HELD.owed = False, True
        _GATE.give()
    try:
        yield
    finally:
        _HELD.depth = depth


def take_back() -> None:
    """After a cached call: take back the slot its computation gave (before runs not started)."""
    if getattr(_HELD, "owed", False) and getattr(_HELD, "depth", 0) == 0:
        _HELD.owed = False
        _GATE.take(returning=True)
        _HELD.held = True
