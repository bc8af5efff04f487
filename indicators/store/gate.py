"""Many processes on one DuckDB file: when each may open it, and how the others learn of a write.

DuckDB lets one process open a database file read-write, or any number of processes open it
read-only, never both at once. So no process holds the file between operations (the app
included): a read opens it read-only, shared by every thread of the process reading at that
moment, and closes it soon after the last of them is done (at once when a writer waits); a
write opens it read-write, alone, and closes it after its commit. Two lock files beside the database order them across processes
(`flock`, released by the kernel when a process dies, even by `kill -9`):

- `<db>.lock`: held shared while the file is open read-only, exclusively while a write runs;
- `<db>.queue`: a writer holds it exclusively while it waits for its turn, and every read passes
  through it shared, so a stream of readers (twenty viewers of the overview) never keeps an
  import out: new reads wait for the writer, which waits for the reads already running.

`<db>.version` is the data version: a writer replaces it (atomically, by rename) once it holds
the file and before it changes anything, so a process that filled its caches under another
version knows they may be old (`data_version`). Waits are bounded (`INDICATORS_LOCK_TIMEOUT`
seconds, 60 by default); giving up raises StoreError, one Vietnamese sentence.

Audit events written by a check inside a read (a refused upload, a denied page) are kept and
written by a short write when the read ends: a read never needs the file read-write.
"""
from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from indicators.store import pg
from indicators.store.connection import ON_CONFLICT, StoreError, connect, database_path, lock_timeout

_LOG = logging.getLogger(__name__)


def _side(db: Path, suffix: str) -> Path:
    return db.with_name(db.name + suffix)


def target(path: str | os.PathLike | None = None) -> str | Path:
    """What a command or the app works on: the argument (a file, or a postgresql:// URL), else
    $INDICATORS_DATABASE_URL (PostgreSQL, store.pg), else the DuckDB file (database_path)."""
    if path is not None and pg.is_url(path):
        return str(path)
    if path is None and os.environ.get("INDICATORS_DATABASE_URL"):
        return os.environ["INDICATORS_DATABASE_URL"]
    return database_path(path)


def describe(path: str | os.PathLike | None = None) -> str:
    """The database as a person may be shown it (a URL without its password)."""
    where = target(path)
    return pg.shown(where) if isinstance(where, str) else str(where)


def exists(path: str | os.PathLike | None = None) -> bool:
    """Whether the database has been built (for PostgreSQL: it holds the localities)."""
    where = target(path)
    if isinstance(where, str):
        with reading(where) as con:
            return con.execute("select count(*) from locality").fetchone()[0] > 0
    return where.exists()


def version_path(db: Path) -> Path:
    return _side(db, ".version")


@dataclass(frozen=True)
class Versions:
    """What the version file says: `last`, the token of the last write of any kind (the data
    version); `everything`, the token of the last write that may change anything; `scopes`, the
    token of the last write confined to each scope (a province's reported values: "p:<code>")
    since then. A cached read that depends on one province only is keyed on `everything` and that
    province's token, so an upload to another province leaves it standing."""
    last: str
    everything: str
    scopes: dict[str, str]

    def of(self, scopes: Iterable[str]) -> str:
        return self.everything + "".join(f"|{s}={self.scopes.get(s, '')}" for s in sorted(scopes))

    def text(self) -> str:
        return "".join([f"{self.last}\n", f"g {self.everything}\n",
                        *(f"s {s} {t}\n" for s, t in sorted(self.scopes.items()))])


def _parse(text: str) -> Versions:
    """The version file (one token alone: the format before scopes, a write of everything)."""
    lines = text.split("\n")
    last = lines[0].strip() or "0"
    everything, scopes = last, {}
    for line in lines[1:]:
        parts = line.split()
        if len(parts) == 2 and parts[0] == "g":
            everything = parts[1]
        elif len(parts) == 3 and parts[0] == "s":
            scopes[parts[1]] = parts[2]
    return Versions(last, everything, scopes)


def versions(path: str | os.PathLike | None = None) -> Versions:
    """The database's versions (see Versions). They change before every write, and only then;
    reading them costs a small file read, not an open of the database. PostgreSQL keeps no scopes:
    there every write is a write of everything."""
    where = target(path)
    if isinstance(where, str):
        version = pg.store(where).data_version()
        return Versions(version, version, {})
    file = version_path(where)
    try:
        seen = os.stat(file)
    except FileNotFoundError:
        return _NO_VERSION
    # Every page loader asks, several times a run: a stat, and a read only when the file was
    # replaced (bump_version writes a new file and renames it over the old one). A file changed
    # in the last second is read anyway: a freed inode may come back with a coarse clock's
    # same modification time.
    stamp = (seen.st_ino, seen.st_mtime_ns, seen.st_size)
    known = _versions_read.get(file)
    if known is not None and known[0] == stamp and time.time_ns() - seen.st_mtime_ns > 1_000_000_000:
        return known[1]
    try:
        read = _parse(file.read_text(encoding="ascii"))
    except FileNotFoundError:
        return _NO_VERSION
    _versions_read[file] = (stamp, read)
    return read


def data_version(path: str | os.PathLike | None = None) -> str:
    """The database's data version: it changes before every write, and only then."""
    return versions(path).last


_NO_VERSION = Versions("0", "0", {})
_versions_read: dict[Path, tuple[tuple[int, int, int], Versions]] = {}


def bump_version(db: Path, scopes: Iterable[str] | None = None) -> str:
    """A new data version, before a write. `scopes`: the write changes only what those scopes
    cover (a scope's own token changes, every other one stands); None: it may change anything.
    A scoped bump reads the file first: it is made only inside `writing`, under the write lock."""
    token = f"{time.time_ns()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    if scopes is None:
        new = Versions(token, token, {})
    else:
        try:
            old = _parse(version_path(db).read_text(encoding="ascii"))
        except FileNotFoundError:
            old = Versions(token, token, {})
        new = Versions(token, old.everything, {**old.scopes, **{s: token for s in scopes}})
    final = version_path(db)
    tmp = _side(db, f".version.{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(new.text(), encoding="ascii")
    os.replace(tmp, final)
    return token


class _Flock:
    """One flock on one open file (each has its own: threads of a process exclude each other too)."""

    def __init__(self, path: Path, exclusive: bool, deadline: float, what: str, db: Path):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o664)
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        pause = 0.002
        while True:
            try:
                fcntl.flock(self.fd, mode)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(self.fd)
                    raise StoreError(_busy_message(db, what)) from None
                time.sleep(pause)
                pause = min(pause * 2, WAIT_STEP_S)

    def release(self) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)


def _busy_message(db: Path | str, what: str) -> str:
    waited = lock_timeout()
    shown = f"{waited:.0f}" if waited >= 1 else f"{waited:.1f}".replace(".", ",")
    return (f"Cơ sở dữ liệu {db} đang bận: {what} đã chờ {shown} giây mà một lần ghi khác (nhập số liệu, "
            "quản trị, sao lưu) vẫn chưa xong. Không có gì bị thay đổi; hãy thử lại sau ít phút.")


@dataclass
class _Shared:
    """A process's read-only opening of one database, shared by the threads reading it now and
    kept open for a moment after the last of them (LINGER_S: opening costs 30-45 ms), unless a
    writer is waiting."""
    db: Path
    mutex: threading.RLock = field(default_factory=threading.RLock)
    con: duckdb.DuckDBPyConnection | None = None
    lock: _Flock | None = None
    users: int = 0
    idle_since: float = 0.0
    closer: threading.Thread | None = None

    def release_one(self) -> None:
        with self.mutex:
            self.users -= 1
            if self.users == 0:
                self.idle_since = time.monotonic()
                if self.closer is None or not self.closer.is_alive():
                    self.closer = threading.Thread(target=self._close_when_idle, daemon=True,
                                                   name=f"gate-closer {self.db.name}")
                    self.closer.start()

    def _close_when_idle(self) -> None:
        while True:
            time.sleep(POLL_S)
            with self.mutex:
                if self.con is None:
                    return
                if self.users > 0:
                    continue
                if time.monotonic() - self.idle_since >= LINGER_S or _writer_waiting(self.db):
                    self.close()
                    return

    def close(self) -> None:
        con, lock = self.con, self.lock
        self.con = self.lock = None
        try:
            if con is not None:
                con.close()
        finally:
            if lock is not None:
                lock.release()


LINGER_S = 5.0
# How soon an idle reader notices a waiting writer, and the longest pause between two tries
# of a lock: a write's wait and the next read's are rounded up to these (a commit seen by
# another process 0,1 s sooner than with 50 ms); a try is an open and a flock, microseconds.
POLL_S = 0.01
WAIT_STEP_S = 0.01


def _writer_waiting(db: Path) -> bool:
    """Whether a writer holds the queue (it waits for this process's reads to end)."""
    fd = os.open(_side(db, ".queue"), os.O_RDWR | os.O_CREAT, 0o664)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)   # closing the file drops a lock taken on it


_shared: dict[str, _Shared] = {}
_shared_guard = threading.Lock()
_local = threading.local()


@dataclass
class _Held:
    db: str
    mode: str                      # "read" or "write"
    con: duckdb.DuckDBPyConnection
    deferred: list[Callable[[duckdb.DuckDBPyConnection], None]] = field(default_factory=list)


def _held(db: Path | str) -> _Held | None:
    for held in reversed(getattr(_local, "stack", [])):
        if held.db == str(db):
            return held
    return None


def _push(held: _Held) -> None:
    if not hasattr(_local, "stack"):
        _local.stack = []
    _local.stack.append(held)


def _pop() -> None:
    _local.stack.pop()


def in_read() -> bool:
    """Whether this thread is inside a read (its connection is read-only)."""
    stack = getattr(_local, "stack", [])
    return bool(stack) and stack[-1].mode == "read"


def defer(write: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
    """Run `write(con)` in a write of its own when this thread's read ends (store.audit uses it)."""
    _local.stack[-1].deferred.append(write)


@contextlib.contextmanager
def reading(path: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the database opened read-only, for one operation; inside a write of the
    same thread, a cursor of that write's connection (it sees the write's own rows)."""
    db = target(path)
    held = _held(db)
    if held is not None:
        cur = held.con.cursor()
        try:
            yield cur
        finally:
            cur.close()
        return
    if isinstance(db, str):   # PostgreSQL: the process's replica, caught up first
        store = pg.store(db)
        store.sync()
        cur, done = store.replica.cursor(), None
    else:
        cur, done = _open_file_read(db)
    entry = _Held(str(db), "read", cur)
    _push(entry)
    try:
        yield cur
    finally:
        _pop()
        cur.close()
        if done is not None:
            done()
        _flush(db, entry.deferred)


def _open_file_read(db: Path) -> tuple[duckdb.DuckDBPyConnection, Callable[[], None]]:
    """A cursor of this process's read-only opening of the file (opened after waiting for any
    writer), and what to call when the read is over."""
    if not db.exists():
        raise StoreError(f"Chưa có cơ sở dữ liệu {db}. Hãy chạy: python -m indicators init-db")
    deadline = time.monotonic() + lock_timeout()
    _Flock(_side(db, ".queue"), False, deadline, "việc đọc số liệu", db).release()
    with _shared_guard:
        shared = _shared.setdefault(str(db), _Shared(db))
    with shared.mutex:
        if shared.con is None:
            lock = _Flock(_side(db, ".lock"), False, deadline, "việc đọc số liệu", db)
            try:
                shared.con = connect(db, read_only=True)
            except BaseException:
                lock.release()
                raise
            shared.lock = lock
        shared.users += 1
        return shared.con.cursor(), shared.release_one


def close_idle(path: str | os.PathLike | None = None) -> None:
    """Close this process's read-only opening now if no read uses it (before a file is replaced
    or removed; tests)."""
    with _shared_guard:
        shared = _shared.get(str(target(path)))
    # Reentrant: the caller may be a read of this thread opening the file (store.connection
    # retries after a conflict), which holds the mutex already. Otherwise wait for the closer
    # thread's or a read's brief hold of it: failing to get it would fail the caller's open.
    if shared is not None and shared.mutex.acquire(timeout=lock_timeout()):
        try:
            if shared.users == 0:
                shared.close()
        finally:
            shared.mutex.release()


ON_CONFLICT.append(close_idle)


@atexit.register
def _close_all_at_exit() -> None:
    """Close every read-only opening still lingering (LINGER_S) when the process exits, while the
    interpreter is whole: left to the interpreter's own teardown, a DuckDB database with its
    worker threads was destroyed mid-shutdown and aborted the process ("terminate called without
    an active exception", exit status 134) after a command or a test run had succeeded."""
    with _shared_guard:
        shareds = list(_shared.values())
    for shared in shareds:
        if shared.mutex.acquire(timeout=1):
            try:
                shared.close()
            except Exception:   # noqa: BLE001 — exiting anyway; nothing left to protect
                pass
            finally:
                shared.mutex.release()


def _flush(db: Path, deferred: list) -> None:
    if not deferred:
        return
    try:
        with writing(db, bump=False) as con:
            for write in deferred:
                write(con)
    except Exception:   # noqa: BLE001 — the read itself succeeded; say so in the server log
        _LOG.exception("audit events kept during a read could not be written")


@contextlib.contextmanager
def writing(path: str | os.PathLike | None = None, *, bump: bool = True,
            scopes: Iterable[str] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database opened read-write by this thread alone, migrated, for one write; other
    processes' reads and writes wait (bounded) until it is closed. `bump=False` for a write no
    cached read shows (audit events only); `scopes` for a write confined to them (bump_version).
    Transactions are the caller's, as with `connect`."""
    db = target(path)
    held = _held(db)
    if held is not None:
        if held.mode == "write":
            yield held.con
            return
        raise RuntimeError("a write inside a read of the same thread would wait for itself")
    if isinstance(db, str):   # PostgreSQL: one writer at a time by an advisory lock (store.pg)
        with pg.store(db).writing(lock_timeout(), lambda: _busy_message(pg.shown(db), "lần ghi này")) as con:
            _push(_Held(db, "write", con))
            try:
                yield con
            finally:
                _pop()
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout()
    queue = _Flock(_side(db, ".queue"), True, deadline, "lần ghi này", db)
    try:
        lock = _Flock(_side(db, ".lock"), True, deadline, "lần ghi này", db)
        try:
            if bump or not version_path(db).exists():
                bump_version(db, scopes if bump else None)
            con = connect(db)
            _push(_Held(str(db), "write", con))
            try:
                yield con
            finally:
                _pop()
                con.close()
        finally:
            lock.release()
    finally:
        queue.release()
