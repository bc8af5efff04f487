"""The overview and the locality page on approved figures only: a value counts when its
locality × period is approved (period_approval), and not before; every other figure is the
same as with all reported figures."""
from __future__ import annotations

import pytest

from indicators.auth import approval
from indicators.progress import scorecard as sc
from indicators.progress.locality import locality_progress
from indicators.store import gate
from tests.store.test_backends import store, upload   # noqa: F401 — the fixture, on both backends
from tests.store.test_import import add_account


def latest(target, locality, indicator, *, approved_only, stale, province="12"):
    with gate.reading(target) as con:
        assert sc.is_current_fresh(con) != stale
        card = sc.scorecard(con, "province", province, 2030, approved_only=approved_only)
    row = card[(card["locality_code"] == locality) & (card["indicator_code"] == indicator)]
    return row["latest_value"].iloc[0] if len(row) else None


@pytest.mark.parametrize("stale", [False, True])
def test_only_approved_periods_count_when_asked(store, stale):
    with gate.writing(store) as con:
        add_account(con, "canbo-hd", "officer", "09931")
    upload(store, [["12", "bhyt_coverage", "2025", 93.0], ["09931", "bhyt_coverage", "2025", 91.0]], user="admin")
    # stale: committed without refreshing the overview's caches, as a process killed right after
    # its commit leaves them; reads then refresh copies of their own
    upload(store, [["12", "bhyt_coverage", "2026", 95.5]], user="admin", refresh_cache=not stale)
    with gate.writing(store) as con:
        approval.submit(con, "12", "2025", "canbo-lc")
        approval.approve(con, "12", "2025", "admin")
        approval.submit(con, "09931", "2025", "canbo-hd")   # submitted, not approved
    assert latest(store, "12", "bhyt_coverage", approved_only=False, stale=stale) == 95.5
    assert latest(store, "12", "bhyt_coverage", approved_only=True, stale=stale) == 93.0   # 2026 not approved
    # Xã Hưng Đạo (Hà Nội, 01): submitted only
    assert pd_isnull(latest(store, "09931", "bhyt_coverage", approved_only=True, stale=stale, province="01"))
    assert latest(store, "09931", "bhyt_coverage", approved_only=False, stale=stale, province="01") == 91.0
    with gate.reading(store) as con:
        every = locality_progress(con, "12").observations
        approved = locality_progress(con, "12", approved_only=True).observations
    assert {"2025", "2026"} <= set(every[every["indicator_code"] == "bhyt_coverage"]["period"])
    assert set(approved[approved["indicator_code"] == "bhyt_coverage"]["period"]) == {"2025"}


def pd_isnull(value) -> bool:
    import pandas as pd
    return value is None or pd.isna(value)
