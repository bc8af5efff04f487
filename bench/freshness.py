"""Freshness on the national dataset: an upload committed through one process, until another
process, which stands for an app process while viewers read, shows it.

`bench_freshness_national(repeats=5, pg_server=None)` returns
- freshness_national_s: on a copy of the national synthetic DuckDB database (bench/synth.py,
  data/synthetic.duckdb, built when missing as bench/scorecard.py does: 2.45 M observations,
  362 k targets), the median of `repeats` rounds;
- freshness_national_pg_s: the same on PostgreSQL (store.pg), the national dataset loaded into
  a fresh database on the server as bench/pg.py loads it (load_national), measured only when a
  server answers (`pg_server`, else bench.pg.server_url());
- detail: each round's breakdown per backend (below), and the setup's seconds (not timed).

One round. This process (an app process serving an officer) commits a commune's realistic
upload: N_INDICATORS indicators × N_PERIODS quarters (the last quarters up to the current one)
= 20 rows of one commune, new values each round, the workbook read and compared by
importer.preview under gate.reading, then importer.commit under gate.writing (caches refreshed
in the write, as the upload page's commit does; the bench admin account is bench/shared.py's
BENCH_ADMIN, made with create_account as bench/shared.py's seed does). The clock starts when the
commit asks for its write (the officer's click on "Nhập", after the preview) and stops when the
watching process has SEEN the new value through the pages' own cached read path, both:
- the national overview's scorecard loader, web.data.scorecard_cells('country', None, 2030)
  (the cell of that commune × indicator: its latest value), and
- the commune's locality page, web.data.progress_of(commune, 2030) (that indicator × the
  current quarter among the page's current values),
each poll starting as every page run starts, with web.data.follow_writes() (the data version
compared; on PostgreSQL that is where the replica catches up and its caches refresh). The
watcher polls every ~5 ms while N_VIEWERS other threads of the same process, viewers of other
pages (the overview at province level through web.views, a province's and another commune's
locality pages, the national completeness), run their own page reads in a loop, a short pause
between two (VIEWER_PAUSE_S: with two viewers about the page runs per second of load_*'s 50
people): the watched figure is measured while viewers read, and they compete for the same
process, its caches and (on DuckDB) the file.

Breakdown per round (detail[...]['rounds'], seconds; 'median' has each one's median):
freshness_s = seen - asked; commit_s (the write asked for until closed: the wait for the
viewers' reads, write_wait_s, the write, the caches' refresh in it, refresh_in_commit_s with
refresh_mode, and the close; on PostgreSQL also the push to PostgreSQL and then the committing
process's own caches' refresh); notice_s (the write asked for until the watcher noticed the
new data version: on DuckDB the start of the poll that found it — a writer changes the version
as it opens the file, and that poll's reads then wait for the write to close,
got_file_after_close_s; on PostgreSQL, whose version changes when the push commits, the start
of the watcher's catch-up, sync_s, of which its caches' refresh, hooks_s, done by whichever of
its threads asked first); follow_s (that poll's follow_writes); read_s (the seeing poll's scorecard and locality reads, scorecard_read_s and
locality_read_s, the wait for the file included); seen_after_commit_returned_s (from
importer.commit returning, as freshness_cross_process_s counts).

`measure_freshness(target, workdir, repeats=…)` runs the rounds on any database (a DuckDB
file or a postgresql:// URL); the test runs it on the small sample database.
`python -m bench.freshness [--repeats N]` prints the keys and the detail as JSON.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.shared import BENCH_ADMIN, READY_TIMEOUT_S, _start_child, _stop_child, fresh_copy

YEAR = 2030                 # the overview's and the locality page's default target year
N_INDICATORS, N_PERIODS = 5, 4
N_VIEWERS = 2
SEEN_TIMEOUT_S = 60.0
POLL_S = 0.005
VIEWER_PAUSE_S = 0.2
NUMERIC_KINDS = ("percent", "per_1000", "per_10000", "years")


# --- what to upload --------------------------------------------------------------------------------

def _quarters(today: dt.date, n: int) -> list[str]:
    """The last `n` quarters up to the one holding `today`, oldest first."""
    from bench.synth import quarters
    return quarters(today)[-n:]


def pick_upload(con, *, year: int = YEAR) -> dict:
    """The commune to upload for and its indicators: the commune with the most overview cells
    (toward `year`) of numeric indicators, its first N_INDICATORS of them; the watched one the
    first whose latest value is not later than the current quarter (so the upload's newest
    value becomes the cell's latest value)."""
    from bench.importing import _RANGES
    from indicators.progress import scorecard as sc
    from indicators.progress.method import period_time

    periods = _quarters(dt.date.today(), N_PERIODS)
    cells = sc.scorecard(con, "country", None, year, columns=(*sc.OVERVIEW_COLUMNS, "latest_period"))
    kinds = con.execute("select locality_code, level, name from locality").df()
    inds = con.execute("select indicator_code, name_vi, unit, value_kind, decimals from indicator "
                       "where value_kind in (select unnest($k)) order by indicator_code",
                       {"k": list(NUMERIC_KINDS)}).df()
    m = cells.merge(kinds, on="locality_code").merge(inds, on="indicator_code")
    m = m[m["level"] == "commune"]
    last = period_time(periods[-1])
    m = m[m["latest_period"].map(lambda p: not isinstance(p, str) or period_time(p) <= last)]
    if m.empty:
        raise RuntimeError("no commune with an overview cell of a numeric indicator to upload for")
    counts = m.groupby("locality_code").size().sort_values(ascending=False, kind="stable")
    best = counts[counts == counts.iloc[0]].index
    # Of the best-covered communes, one in the middle (deterministic; not the first province's first).
    commune = sorted(best)[len(best) // 2]
    mine = m[m["locality_code"] == commune].sort_values("indicator_code").head(N_INDICATORS)
    return {"commune": commune, "name": str(mine["name"].iloc[0]), "periods": periods,
            "indicators": [(r.indicator_code, r.name_vi, r.unit, r.value_kind, int(r.decimals),
                            _RANGES[r.value_kind]) for r in mine.itertuples()],
            "watched": (str(mine["indicator_code"].iloc[0]), periods[-1])}


def upload_workbook(pick: dict, round_no: int, previous: float | None) -> tuple[bytes, float, int]:
    """(workbook bytes, the watched value, rows): the commune's values for its indicators ×
    periods, new each round; the watched value differs from `previous`."""
    from openpyxl import Workbook

    from bench.importing import TEMPLATE_HEADERS
    rng = random.Random(round_no * 7919 + 17)
    wb = Workbook()
    ws = wb.active
    ws.append(TEMPLATE_HEADERS)
    watched_ind, watched_period = pick["watched"]
    watched, rows = None, 0
    for code, name, unit, _kind, decimals, (lo, hi) in pick["indicators"]:
        for period in pick["periods"]:
            value = round(rng.uniform(lo, hi), decimals)
            if (code, period) == (watched_ind, watched_period):
                while previous is not None and value == previous:
                    value = round(rng.uniform(lo, hi), decimals)
                watched = value
            ws.append([pick["commune"], pick["name"], code, name, unit, period, value, None, None, None])
            rows += 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), watched, rows


def commit_upload(target: str | Path, data: bytes, name: str, user: str, rows: int) -> dict:
    """importer.preview under a read, importer.commit under a write (caches refreshed in the
    write, as the upload page commits); wall times of each step and the refresh's seconds."""
    from indicators.excel import importer
    from indicators.store import gate

    with gate.reading(target) as con:
        pv = importer.preview(con, data, name, user)
    if pv.errors:
        raise RuntimeError(f"the freshness workbook was rejected: {[p.message for p in pv.errors][:5]}")
    refresh, modes = [], []
    original = importer.refresh_current_observations

    def timed(con, **kwargs):
        t0 = time.perf_counter()
        try:
            done = original(con, **kwargs)
            modes.append(f"{done.get('mode')}/{done.get('scorecard')}")
            return done
        finally:
            refresh.append(time.perf_counter() - t0)

    importer.refresh_current_observations = timed
    try:
        asked = time.time()
        with gate.writing(target) as con:
            opened = time.time()
            result = importer.commit(con, pv, user, confirm_warnings=True)
            committed = time.time()
        closed = time.time()
    finally:
        importer.refresh_current_observations = original
    if result.n_new + result.n_changed + result.n_unchanged != rows or not result.n_new + result.n_changed:
        raise RuntimeError(f"the freshness upload did not land as {rows} rows: {result.message}")
    return {"asked": asked, "opened": opened, "committed": committed, "closed": closed,
            "refresh_in_commit_s": sum(refresh), "refresh_mode": ",".join(modes), "upload_id": result.upload_id,
            "rows_written": result.n_new + result.n_changed}


# --- the watching process --------------------------------------------------------------------------

def _cell_value(cells, locality: str, indicator: str) -> float | None:
    hit = cells.loc[(cells["locality_code"] == locality) & (cells["indicator_code"] == indicator), "latest_value"]
    return None if hit.empty or hit.isna().all() else float(hit.dropna().iloc[0])


def _page_value(progress, indicator: str, period: str) -> float | None:
    obs = progress.observations
    hit = obs.loc[(obs["indicator_code"] == indicator) & (obs["period"] == period), "value"]
    return float(hit.iloc[-1]) if len(hit) else None


def _viewer(n: int, commune: str, stop: threading.Event, reads: list[int], errors: list[str]) -> None:
    """A viewer of other pages: each 'run' starts with follow_writes, then that page's reads."""
    from indicators.web import data, views
    try:
        provinces = data.provinces()["locality_code"].tolist()
        province = provinces[(7 * n + 3) % len(provinces)]
        others = data.communes_of(province)["locality_code"].tolist()
        other = others[len(others) // 2] if others else province
        pages = [
            lambda: views.overview_cells("province", province, YEAR, False, "both"),
            lambda: data.progress_of(province, YEAR),
            lambda: data.completeness("country", None),
            lambda: data.progress_of(other if other != commune else province, YEAR),
        ]
        i = n
        while not stop.is_set():
            data.follow_writes()
            pages[i % len(pages)]()
            reads[n] += 1
            i += 1
            stop.wait(VIEWER_PAUSE_S)
    except Exception as exc:   # noqa: BLE001 — told to the parent, which fails the measure
        errors.append(f"viewer {n}: {exc!r}")


def _watch(target: str, commune: str, indicator: str, period: str, n_viewers: str, stop_file: str) -> None:
    """Child, an app process on `target`: poll the overview's scorecard loader and the commune's
    locality page through web.data (follow_writes first, as every page run), sleeping POLL_S,
    while `n_viewers` viewer threads read other pages; print a JSON line whenever either value
    changes, with the poll's timings."""
    import logging
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    if target.startswith(("postgresql://", "postgres://")):
        os.environ["INDICATORS_DATABASE_URL"] = target
    else:
        os.environ.pop("INDICATORS_DATABASE_URL", None)
        os.environ["INDICATORS_DB"] = target
    from indicators.store import pg
    from indicators.web import data

    syncs: list[dict] = []   # the replica's catch-ups (PostgreSQL) since the last line printed
    if target.startswith(("postgresql://", "postgres://")):
        original_sync = pg.PgStore.sync
        local = threading.local()   # what this thread's sync did: its hooks' seconds

        def sync(self, *, force: bool = False):
            local.hooks = None
            start, t0 = time.time(), time.perf_counter()
            original_sync(self, force=force)
            if local.hooks is not None:   # this thread caught the replica up (its hooks ran)
                syncs.append({"start": start, "at": time.time(), "sync_s": time.perf_counter() - t0,
                              "hooks_s": local.hooks})

        def timed_hook(hook):
            def run(con):
                t0 = time.perf_counter()
                try:
                    return hook(con)
                finally:
                    local.hooks = (local.hooks or 0.0) + time.perf_counter() - t0
            return run

        pg.PgStore.sync = sync
        pg.AFTER_SYNC[:] = [timed_hook(h) for h in pg.AFTER_SYNC]

    from indicators.store import gate
    main, got = threading.get_ident(), []   # when this thread's reads had their cursor (after any wait)
    opened = gate.reading

    @contextlib.contextmanager
    def timed_reading(*args, **kwargs):
        with opened(*args, **kwargs) as cur:
            if threading.get_ident() == main:
                got.append(time.time())
            yield cur

    gate.reading = timed_reading   # web.data's cached loaders call gate.reading through the module

    def read() -> tuple[float | None, float | None, float, float]:
        got.clear()
        t0 = time.perf_counter()
        cells = data.scorecard_cells("country", None, YEAR, False)
        t1 = time.perf_counter()
        progress = data.progress_of(commune, YEAR)
        t2 = time.perf_counter()
        return _cell_value(cells, commune, indicator), _page_value(progress, indicator, period), t1 - t0, t2 - t1

    data.follow_writes()
    version = data.data_version()
    cell, page, *_ = read()
    stop_viewers, reads, errors = threading.Event(), [0] * int(n_viewers), []
    viewers = [threading.Thread(target=_viewer, args=(n, commune, stop_viewers, reads, errors), daemon=True)
               for n in range(int(n_viewers))]
    for v in viewers:
        v.start()
    time.sleep(0.5)   # the viewers' first reads (their caches) before the first round
    print(json.dumps({"ready": time.time(), "cell": cell, "page": page, "version": version}), flush=True)
    stop = Path(stop_file)
    noticed = None
    polls = 0
    while not stop.exists():
        if errors:
            raise SystemExit("; ".join(errors))
        start = time.time()
        t0 = time.perf_counter()
        data.follow_writes()
        follow = time.perf_counter() - t0
        now = data.data_version()
        if now != version:
            version, noticed = now, {"start": start, "follow_s": follow, "polls": polls}
        seen_cell, seen_page, sc_s, loc_s = read()
        polls += 1
        if (seen_cell, seen_page) != (cell, page):
            print(json.dumps({"seen": time.time(), "cell": seen_cell, "page": seen_page, "poll_start": start,
                              "follow_s": follow, "scorecard_read_s": sc_s, "locality_read_s": loc_s,
                              "got_file": got[0] if got else None, "noticed": noticed,
                              "syncs": list(syncs), "viewer_reads": sum(reads)}), flush=True)
            syncs.clear()
            cell, page, polls = seen_cell, seen_page, 0
        time.sleep(POLL_S)
    stop_viewers.set()
    for v in viewers:
        v.join(30)
    print(json.dumps({"viewer_reads": sum(reads)}), flush=True)


_WATCH_CHILD = "import sys; from bench.freshness import _watch; _watch(*sys.argv[1:])"


# --- one measurement -------------------------------------------------------------------------------

def measure_freshness(target: str | Path, workdir: Path, *, repeats: int = 5, n_viewers: int = N_VIEWERS,
                      user: str = BENCH_ADMIN) -> dict:
    """`repeats` rounds on `target` (a DuckDB file or a postgresql:// URL, holding `user`, an
    admin): {'freshness_s': median, 'rounds': [...], 'pick': ..., 'viewer_reads': ...}."""
    from indicators.progress import scorecard  # noqa: F401 — as in an app process: the replica keeps the overview's caches
    from indicators.store import gate, pg

    target = str(target) if pg.is_url(target) else Path(target)
    with gate.reading(target) as con:
        pick = pick_upload(con)
    indicator, period = pick["watched"]
    stop, err = workdir / "freshness.stop", workdir / "freshness.stderr"
    stop.unlink(missing_ok=True)
    rounds, viewer_reads = [], None
    try:
        with open(err, "w") as stderr:
            proc, lines = _start_child(_WATCH_CHILD, [str(target), pick["commune"], indicator, period,
                                                      str(n_viewers), str(stop)], target, stderr)
            try:
                try:
                    ready = lines.next(READY_TIMEOUT_S * 3, "the watcher's first reads")
                except RuntimeError as exc:
                    raise RuntimeError(f"{exc}: {err.read_text(errors='replace')[-3000:]}") from None
                previous = ready["page"]
                for i in range(repeats):
                    data, value, n_rows = upload_workbook(pick, i, previous)
                    times = commit_upload(target, data, f"xa_{pick['commune']}_{i}.xlsx", user, n_rows)
                    caught_up = []   # the watcher's catch-ups told meanwhile (PostgreSQL)
                    while True:
                        try:
                            seen = lines.next(SEEN_TIMEOUT_S, f"the value {value} on both pages")
                        except RuntimeError as exc:
                            raise RuntimeError(f"{exc}: {err.read_text(errors='replace')[-3000:]}") from None
                        caught_up += seen.get("syncs", [])
                        if seen.get("cell") == value and seen.get("page") == value:
                            break
                    previous = value
                    noticed = seen["noticed"] or {}
                    # PostgreSQL: the watcher's catch-up on this upload (whichever thread did it)
                    sync = next((c for c in caught_up if c["at"] > times["asked"]), {})
                    rounds.append({
                        "freshness_s": seen["seen"] - times["asked"],
                        "commit_s": times["closed"] - times["asked"],
                        "write_wait_s": times["opened"] - times["asked"],
                        "refresh_in_commit_s": times["refresh_in_commit_s"],
                        "refresh_mode": times["refresh_mode"],
                        "notice_s": (sync["start"] if sync else noticed["start"]) - times["asked"]
                                    if sync or noticed else None,
                        "follow_s": noticed.get("follow_s"),
                        "sync_s": sync.get("sync_s"),
                        "hooks_s": sync.get("hooks_s"),
                        "scorecard_read_s": seen["scorecard_read_s"],
                        "locality_read_s": seen["locality_read_s"],
                        "read_s": seen["scorecard_read_s"] + seen["locality_read_s"],
                        "got_file_after_close_s": (seen["got_file"] - times["closed"]
                                                   if seen["got_file"] else None),
                        "seen_after_got_file_s": seen["seen"] - seen["got_file"] if seen["got_file"] else None,
                        "seen_after_commit_returned_s": seen["seen"] - times["committed"],
                        "value": value, "rows": n_rows, "rows_written": times["rows_written"],
                        "upload_id": times["upload_id"]})
                    time.sleep(0.3)
            finally:
                tail = _stop_child(proc, stop, lines, err)
                viewer_reads = next((t["viewer_reads"] for t in reversed(tail) if "ready" not in t
                                     and "seen" not in t), None)
    finally:
        if not isinstance(target, str):
            gate.close_idle(target)
    return {"freshness_s": statistics.median(r["freshness_s"] for r in rounds), "rounds": rounds,
            "pick": {"commune": pick["commune"], "indicators": [i[0] for i in pick["indicators"]],
                     "periods": pick["periods"], "watched": list(pick["watched"])},
            "viewers": n_viewers, "viewer_reads": viewer_reads}


def add_bench_admin(target: str | Path) -> None:
    """BENCH_ADMIN, an admin made by the bootstrap admin (bench/shared.py's seed does the same)."""
    from indicators.auth.admin import BOOTSTRAP_ADMIN, create_account
    from indicators.store import gate
    with gate.writing(target) as con:
        if not con.execute("select count(*) from account where user_name = $u", {"u": BENCH_ADMIN}).fetchone()[0]:
            create_account(con, BOOTSTRAP_ADMIN, BENCH_ADMIN, "Benchmark", "admin")


# --- the national figures --------------------------------------------------------------------------

def national_duckdb(work: Path, *, repeats: int, n_viewers: int = N_VIEWERS) -> dict:
    """freshness on a copy of the national synthetic file (built when missing, migrated when older)."""
    from bench.pg import _national_source
    from indicators.excel.importer import refresh_overview_cache
    from indicators.store import gate
    t0 = time.perf_counter()
    db = fresh_copy(_national_source(work), work / "national.duckdb")
    add_bench_admin(db)
    with gate.writing(db, bump=False) as con:   # as the app's first start (ensure_database) does
        refresh_overview_cache(con)
    setup = time.perf_counter() - t0
    found = measure_freshness(db, work, repeats=repeats, n_viewers=n_viewers)
    found["setup_s"] = setup
    return found


def national_pg(server: str, work: Path, *, repeats: int, n_viewers: int = N_VIEWERS) -> dict:
    """freshness on the national dataset loaded into a fresh PostgreSQL database (bench/pg.py)."""
    from bench.pg import _national_source, fresh_database, load_national
    from indicators.progress import scorecard  # noqa: F401 — this process's replica keeps the overview's caches, as an app's
    from indicators.store import pg
    with fresh_database(server) as url:
        t0 = time.perf_counter()
        load_national(url, _national_source(work))
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        add_bench_admin(url)   # this process's replica: the first sync, caches included
        replica = time.perf_counter() - t0
        try:
            found = measure_freshness(url, work, repeats=repeats, n_viewers=n_viewers)
        finally:
            pg.forget(url)
    found.update(load_s=load, committer_replica_build_s=replica)
    return found


def bench_freshness_national(*, repeats: int = 5, pg_server: str | None = None) -> dict:
    """{'freshness_national_s', 'freshness_national_pg_s' (when a server answers), 'detail'}."""
    from bench.pg import reachable, server_url
    server = pg_server or server_url()
    report: dict = {}
    detail: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench_fresh_") as tmp:
        work = Path(tmp)
        duck = national_duckdb(work, repeats=repeats)
        report["freshness_national_s"] = round(duck["freshness_s"], 3)
        detail["duckdb"] = duck
        (work / "national.duckdb").unlink(missing_ok=True)
        if server and reachable(server):
            found = national_pg(server, work, repeats=repeats)
            report["freshness_national_pg_s"] = round(found["freshness_s"], 3)
            detail["postgresql"] = found
        else:
            detail["postgresql"] = "not measured: no PostgreSQL server answers"
    for part in detail.values():
        if isinstance(part, dict):
            part["median"] = {k: statistics.median(r[k] for r in part["rounds"] if r[k] is not None)
                              for k in part["rounds"][0] if isinstance(part["rounds"][0][k], float)}
    report["detail"] = detail
    return report


if __name__ == "__main__":
    n = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 5
    t_all = time.perf_counter()
    out = bench_freshness_national(repeats=n)
    out["detail"]["bench_s"] = time.perf_counter() - t_all
    print(json.dumps(out, indent=1, default=str))
