"""Benchmark: time to build the meeting deck of Lai Châu (12), renderer start included.

Lai Châu's deck is the budgeted "10-slide deck": a title slide, its 9 chart slides and the
status table (11 slides in all). Each run starts Chromium once, renders every chart and
writes the .pptx to memory, as `deck --locality 12` does. Budget: ≤ 10 s on 2 cores.
"""
from __future__ import annotations

import io
import os
import statistics
import sys
import time

from indicators.present.deck import build_deck
from indicators.present.render import ChromiumMissing
from indicators.store.connection import connect

BENCH_LOCALITY = "12"


def deck_runs(db_path: str | os.PathLike | None = None, repeats: int = 3) -> tuple[list[float], int]:
    """Seconds of each of `repeats` deck builds, and the deck's slide count."""
    con = connect(db_path, read_only=True)
    try:
        runs, n_slides = [], 0
        for _ in range(max(1, repeats)):
            buffer = io.BytesIO()
            start = time.perf_counter()
            info = build_deck(con, BENCH_LOCALITY, buffer)
            runs.append(time.perf_counter() - start)
            n_slides = info.n_slides
    finally:
        con.close()
    return runs, n_slides


def bench_deck(db_path: str | os.PathLike | None = None, repeats: int = 3) -> dict:
    """{'deck_10_slides_s': median seconds} for `python -m indicators bench`; the database is
    `db_path`, else $INDICATORS_DB, else data/health.duckdb. Without Chromium the key is absent
    (the other benchmarks still run) and the reason is printed to stderr."""
    try:
        runs, _ = deck_runs(db_path, repeats)
    except ChromiumMissing as exc:
        print(f"deck_10_slides_s: {exc}", file=sys.stderr)
        return {}
    return {"deck_10_slides_s": statistics.median(runs)}
