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


def queued_newcomer(pacing, order: list) -> threading.Thread:
    """A run arriving now: started, and returned once it waits in the queue for a slot; it
    appends "newcomer" to `order` when it runs."""
    def newcomer():
        with pacing.run_slot():
            order.append("newcomer")

    thread = threading.Thread(target=newcomer, daemon=True)
    thread.start()
    while not pacing._GATE.arriving:
        threading.Event().wait(0.01)
    return thread


def test_a_run_back_from_a_wait_goes_before_the_runs_not_yet_started(pacing):
    """An upload's preview comes back from the sheet reader: it takes the next slot, before the
    runs that arrived while it waited (its officer has been waiting longest)."""
    order, in_wait, back_from_wait = [], threading.Event(), threading.Event()

    def previewing():
        with pacing.run_slot():
            with pacing.released():
                in_wait.set()
                back_from_wait.wait(10)
            order.append("preview")

    a = threading.Thread(target=previewing)
    a.start()
    assert in_wait.wait(10)
    with pacing.run_slot():            # the slot the preview gave back
        b = queued_newcomer(pacing, order)
        back_from_wait.set()
        while not pacing._GATE.returning:   # the preview now waits too, for this run to end
            threading.Event().wait(0.01)
    a.join(10)
    b.join(10)
    assert order == ["preview", "newcomer"]


def test_a_read_computed_without_the_slot_and_asked_again_by_the_run_holding_it_ends(pacing, seeded_db):
    """A cached read gives the slot back while the database works (pacing.computing). Another
    run then holds the slot and asks for the same value: it waits for the first run's
    computation, which must finish and take the slot after, not wait for it inside the cache."""
    from indicators.web import data   # its loaders use this pacing module (reloaded in place)
    data.ensure_database(data.db_key())   # opened once (which writes its first version): one key for both runs
    go, computing = threading.Event(), threading.Event()

    def slow(con, x):
        computing.set()
        assert go.wait(10)
        return con.execute("select $x * 2", {"x": x}).fetchone()[0]

    load = data._cached(slow, depends=data.SHARED)
    results, holding = [], threading.Event()

    def run(took: threading.Event | None = None):
        with pacing.run_slot():
            if took is not None:
                took.set()
            results.append(load(21))

    first = threading.Thread(target=run, daemon=True)
    first.start()
    assert computing.wait(10)        # computing, without the slot
    second = threading.Thread(target=run, args=(holding,), daemon=True)
    second.start()
    assert holding.wait(10)          # holds the slot, and asks for the value being computed
    go.set()
    first.join(20)
    second.join(20)
    assert not first.is_alive() and not second.is_alive(), "the two runs wait for each other"
    assert results == [42, 42]


def test_the_rerun_a_run_asks_for_goes_before_the_runs_not_yet_started(pacing):
    """An upload's commit ends with st.rerun(): the page its officer waits for is that rerun (in
    the same thread), so it takes the next slot before the viewers who arrived meanwhile."""
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException
    order, go = [], threading.Event()

    def committing():
        with pytest.raises(RerunException):
            with pacing.run_slot():
                assert go.wait(10)
                raise RerunException(None)
        with pacing.run_slot():   # Streamlit's rerun, in the same thread
            order.append("rerun")

    a = threading.Thread(target=committing)
    a.start()
    while not pacing._GATE.free == 0:
        threading.Event().wait(0.01)
    b = queued_newcomer(pacing, order)
    go.set()
    a.join(10)
    b.join(10)
    assert order == ["rerun", "newcomer"]


def test_a_slot_kept_for_a_rerun_that_never_comes_goes_to_the_next_run(pacing):
    """The session closed between the run and its rerun: the others are not kept waiting."""
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException
    pacing.RERUN_HOLD_S = 2.0   # (0,25 s in the app) long enough to see it kept on a busy machine
    order: list = []
    with pytest.raises(RerunException):
        with pacing.run_slot():
            newcomer = queued_newcomer(pacing, order)
            raise RerunException(None)
    assert order == []                                      # kept for the rerun…
    newcomer.join(10)
    assert order == ["newcomer"]                            # …which never comes: handed on
