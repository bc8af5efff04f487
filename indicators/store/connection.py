"""The embedded DuckDB store: where the database lives, opening it, numbered migrations.

Starting the app or running `init-db` again never drops or rewrites user data: migrations
are applied once each, in order, and recorded in `schema_migration`.
"""
from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

import duckdb

from indicators.paths import DATA_DIR
DEFAULT_DB = DATA_DIR / "health.duckdb"


# What closes this process's idle openings of a file (store.gate registers itself).
ON_CONFLICT: list = []


class StoreError(RuntimeError):
    """A database problem explained in Vietnamese, safe to show to a person."""


def database_path(path: str | os.PathLike | None = None) -> Path:
    """The database file: the argument, else $INDICATORS_DB, else data/health.duckdb."""
    if path:
        return Path(path)
    env = os.environ.get("INDICATORS_DB")
    return Path(env) if env else DEFAULT_DB


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database file (creating its folder), with migrations applied unless read-only."""
    db = database_path(path)
    if read_only and not db.exists():
        raise StoreError(f"Chưa có cơ sở dữ liệu {db}. Hãy chạy: python -m indicators init-db")
    if str(db) != ":memory:":
        db.parent.mkdir(parents=True, exist_ok=True)
    try:
        try:
            con = duckdb.connect(str(db), read_only=read_only)
        except duckdb.ConnectionException:
            # This process keeps the file open read-only for a moment after a read (store.gate):
            # close that opening if no read uses it, and try once more.
            for close_idle in ON_CONFLICT:
                close_idle(db)
            con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            # Another process (the app, an import) holds the file for writing.
            raise StoreError(
                f"Không mở được cơ sở dữ liệu {db}: tệp đang được một tiến trình khác sử dụng "
                f"(ứng dụng hoặc một lệnh nhập dữ liệu). Hãy đóng tiến trình đó rồi thử lại."
            ) from exc
        raise StoreError(f"Không mở được cơ sở dữ liệu {db}: {exc}") from exc
    if not read_only:
        migrate(con)
    elif _behind(con):
        con.close()
        raise StoreError(f"Cơ sở dữ liệu {db} được tạo bởi một phiên bản cũ hơn và cần cập nhật cấu trúc; hãy "
                         f"chạy: python -m indicators init-db --db {db} (mọi số liệu đã có được giữ nguyên).")
    return con


def _behind(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a database opened read-only lacks migrations this version's queries need."""
    try:
        return schema_version(con) < _migrations()[-1][0]
    except duckdb.CatalogException:
        return True


def _migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file indicators/store/migrations/NNN_name.sql, in order."""
    found = []
    for entry in resources.files("indicators.store.migrations").iterdir():
        m = re.fullmatch(r"(\d{3})_(\w+)\.sql", entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection, upto: int | None = None) -> list[int]:
    """Apply the migrations not yet recorded (up to version `upto`, when given), each in its own
    transaction; return those applied."""
    con.execute(
        "create table if not exists schema_migration ("
        " version integer primary key, name text not null,"
        " applied_at timestamp not null default current_timestamp)"
    )
    done = {row[0] for row in con.execute("select version from schema_migration").fetchall()}
    applied = []
    for version, name, sql in _migrations():
        if version in done or (upto is not None and version > upto):
            continue
        con.execute("begin transaction")
        try:
            con.execute(sql)
            con.execute("insert into schema_migration (version, name) values ($v, $n)",
                        {"v": version, "n": name})
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        applied.append(version)
    return applied


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied (0 for an empty database)."""
    row = con.execute("select coalesce(max(version), 0) from schema_migration").fetchone()
    return int(row[0])


DEFAULT_LOCK_TIMEOUT_S = 60.0


def lock_timeout() -> float:
    """Seconds a read or a write waits for its turn ($INDICATORS_LOCK_TIMEOUT, default 60), on a
    DuckDB file (store.gate) and on PostgreSQL (store.pg)."""
    try:
        return max(0.1, float(os.environ.get("INDICATORS_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT_S)))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT_S
