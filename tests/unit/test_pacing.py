"""indicators.web.pacing: page runs take a slot, and always give it back — a run stopped by a
newer rerun or an error must not leave every other session of the process waiting."""
from __future__ import annotations

import importlib
import threading

import pytest


@pytest.fixture
def pacing(monkeypatch):
    monkeypatch.setenv("INDICATORS_RUN_SLOTS", "1")
    from indicators.web import pacing
    yield importlib.reload(pacing)
    monkeypatch.delenv("INDICATORS_RUN_SLOTS")
    importlib.reload(pacing)


def test_a_run_waits_for_a_slot_and_gets_it_when_the_other_ends(pacing):
    entered, release = threading.Event(), threading.Event()

    def second():
        with pacing.run_slot():
            entered.set()

    with pacing.run_slot():
        t = threading.Thread(target=second)
        t.start()
        assert not entered.wait(0.3)       # the only slot is taken: the second run waits
    assert entered.wait(10)                # given back: the second run goes
    t.join(10)


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_run_stopped_by_an_exception_gives_its_slot_back(pacing, exc):
    with pytest.raises(type(exc)):
        with pacing.run_slot():
            raise exc
    done = threading.Event()
    threading.Thread(target=lambda: (pacing.run_slot().__enter__(), done.set())).start()
    assert done.wait(10)


def test_a_run_waiting_outside_gives_its_slot_back_meanwhile(pacing):
    """An upload's preview waits for the sheet reader's process: other runs go meanwhile, and
    the run takes a slot again before it goes on."""
    other_ran, back = threading.Event(), threading.Event()

    def other():
        with pacing.run_slot():
            other_ran.set()

    with pacing.run_slot():
        with pacing.released():
            t = threading.Thread(target=other)
            t.start()
            assert other_ran.wait(10)      # ran while this one waited
        t.join(10)
        # holding a slot again: a third run waits until this one ends
        third = threading.Thread(target=lambda: (pacing.run_slot().__enter__(), back.set()))
        third.start()
        assert not back.wait(0.3)
    assert back.wait(10)


def test_released_outside_a_run_does_nothing(pacing):
    with pacing.released():   # the command line, a test: no slot to give back
        pass
    done = threading.Event()
    threading.Thread(target=lambda: (pacing.run_slot().__enter__(), done.set())).start()
    assert done.wait(10)      # still exactly one slot, free


def test_zero_turns_pacing_off(monkeypatch):
    monkeypatch.setenv("INDICATORS_RUN_SLOTS", "0")
    from indicators.web import pacing
    pacing = importlib.reload(pacing)
    try:
        with pacing.run_slot(), pacing.run_slot(), pacing.run_slot():   # nested: never waits
            pass
    finally:
        monkeypatch.delenv("INDICATORS_RUN_SLOTS")
        importlib.reload(pacing)
