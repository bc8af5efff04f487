"""PostgreSQL as the system of record, with the analytics in DuckDB inside each process.

`INDICATORS_DATABASE_URL=postgresql://…` (or `--db postgresql://…`) makes PostgreSQL hold every
table the DuckDB file holds: accounts, catalogue, plans, targets and their history, uploads,
observations, audit. Each process keeps an in-memory DuckDB replica of those tables, built by
the same migrations; every query of the product (queries/**.sql, the scorecard) runs on it
unchanged. Why (docs/ARCHITECTURE.md, "PostgreSQL", has the measurements): the scorecard is DuckDB SQL that runs
in ~0.1-0.3 s on the national dataset in DuckDB, and fetching a table from PostgreSQL into Arrow
through ADBC is fast enough to keep a replica current by upload.

- The PostgreSQL schema is made from the replica's catalogue after the migrations (same
  columns, types and primary keys); `store_version` holds the data version, which every write
  increments in its own transaction.
- A read first compares the version with the replica's (one round trip); when another process
  wrote, the replica catches up: small tables are reloaded, observations and audit events are
  fetched past the last upload / event id the replica holds (both only ever grow).
- A write takes a PostgreSQL advisory lock (one writer at a time, across every process and
  machine; the wait is bounded like the file's), catches the replica up, runs the product's
  own write code on the replica, then sends what changed (rows added, changed or deleted by
  primary key) to PostgreSQL in ONE transaction with the version increment. A failure there
  leaves PostgreSQL as it was and the replica is rebuilt from it.
- Derived tables (the overview's caches) exist only in the replicas: each process recomputes
  them after catching up (hooks registered by progress.scorecard). The writing process refreshes
  its own after the push (after_write), before its write ends: the others see an upload without
  waiting for that.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator

import duckdb
import pyarrow as pa

from indicators.store.connection import StoreError, _migrations, lock_timeout, migrate

# Tables computed from the others in each process, never stored in PostgreSQL.
DERIVED = ("current_observation", "current_series", "current_observation_upload", "scorecard_cache",
           "scorecard_cache_state")
# Tables that only grow, fetched past the largest key the replica holds.
GROWING = {"observation": "upload_id", "audit_event": "event_id"}
# Tables no cached page shows (the audit log and the admin pages read them uncached): their
# writes leave the data version alone, so a sign-in does not make every process recompute.
VOLATILE = ("audit_event", "web_session", "server_secret", "sign_in_throttle")
_LOG = logging.getLogger(__name__)
LOCK_KEY = 0x1D_2030   # pg_advisory_lock key of the writers
AFTER_SYNC: list[Callable[[duckdb.DuckDBPyConnection], None]] = []   # progress.scorecard registers its refresh

_PG_TYPES = {"VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "DOUBLE": "double precision",
             "BOOLEAN": "boolean", "TIMESTAMP": "timestamp", "DATE": "date", "SMALLINT": "smallint",
             "FLOAT": "real", "HUGEINT": "numeric"}


def is_url(target) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def brin_index(table: str) -> str:
    """The BRIN index on a growing table's key (see _ensure_schema)."""
    return f"{table}_{GROWING[table]}_brin"


def shown(url: str) -> str:
    """The URL without its password, for messages."""
    head, _, tail = url.partition("://")
    if "@" in tail:
        auth, _, rest = tail.rpartition("@")
        tail = auth.split(":")[0] + ":***@" + rest if ":" in auth else tail
    return f"{head}://{tail}"


class PgStore:
    """One process's view of one PostgreSQL database: a connection and the replica."""

    def __init__(self, url: str):
        self.url = url
        self.pg = self._connect()
        self.pg_lock = threading.RLock()     # the PostgreSQL connection, one statement at a time
        self.write_lock = threading.Lock()   # one write at a time in this process
        self.sync_lock = threading.Lock()
        self.replace_all = False   # the next push replaces every table (a restore)
        self.reshaped: set[str] = set()   # tables a migration created or changed: the next push replaces them
        self._before: duckdb.DuckDBPyConnection | None = None   # the replica before the write (_snapshot)
        # The replica is built at the migration PostgreSQL is at; the later ones are applied by
        # _upgrade, which sends their effects (new tables, columns, rows) to PostgreSQL.
        applied = self._applied()
        known = [version for version, _, _ in _migrations()]
        unknown = sorted(set(applied) - set(known))
        if unknown:
            raise StoreError(f"Cơ sở dữ liệu PostgreSQL {shown(self.url)} đã được một phiên bản mới hơn của chương "
                             f"trình nâng cấp (bước {unknown[-1]:03d}); phiên bản này chỉ biết tới bước "
                             f"{known[-1]:03d}. Hãy cập nhật chương trình; không có gì bị thay đổi.")
        self._build(upto=max(applied) if applied else None)
        if applied and max(applied) < known[-1]:
            self._upgrade()

    def _build(self, *, upto: int | None) -> None:
        """A new replica at migration `upto` (None: every migration), filled from PostgreSQL."""
        self.replica = duckdb.connect(":memory:")
        migrate(self.replica, upto=upto)
        # At this program's schema: the derived tables exist, the AFTER_SYNC hooks can refresh them.
        self.current = upto is None or upto >= _migrations()[-1][0]
        self.tables = self._replicated()
        self.version: int | None = None
        self.generation: int | None = None
        self.table_versions: dict[str, int] = {}
        # Each table's fingerprint (_fingerprint) in the replica, with the table's version then:
        # while that version is still the table's, the replica's copy is what was hashed, and a
        # write's push need not hash the table as it was before (half of its cost, ~0,06 s).
        self._prints: dict[str, tuple[int | None, tuple]] = {}
        self._ensure_schema()
        self.sync()

    def _applied(self) -> list[int]:
        """The migrations recorded in PostgreSQL ([] for a new database)."""
        exists = self._pg("select to_regclass('schema_migration') is not null as found", fetch=True)
        found = exists["found"][0].as_py() and self._pg("select version from schema_migration", fetch=True)
        with self.pg_lock:
            self.pg.commit()
        return [int(v) for v in found["version"].to_pylist()] if found else []

    def _upgrade(self) -> None:
        """Apply the migrations PostgreSQL has not had, once, as one write: the replica runs them
        and the push sends their new tables and columns, and every table they changed, whole.
        A process that finds them applied meanwhile (by another process) rebuilds its replica."""
        self._lock(time.monotonic() + lock_timeout(), lambda: (
            f"Cơ sở dữ liệu PostgreSQL {shown(self.url)} đang bận (một tiến trình khác đang ghi); "
            "chưa nâng cấp được cấu trúc dữ liệu. Hãy thử lại sau ít phút."))
        try:
            if max(self._applied()) >= _migrations()[-1][0]:
                self.replica.close()
                self._build(upto=None)
                return
            self.sync()
            self._snapshot()
            before = {name: t["columns"] for name, t in self.tables.items()}
            try:
                migrate(self.replica)
                self.tables = self._replicated()
                self._create_tables()   # in the push's PostgreSQL transaction
                self.reshaped = {name for name, t in self.tables.items() if before.get(name) != t["columns"]}
                self._push()
                self.current = True
                self.sync(force=True)   # the derived tables, now there, filled by the AFTER_SYNC hooks
            except BaseException as exc:
                with self.pg_lock:
                    self.pg.rollback()
                self.reshaped = set()
                if self._before is not None:
                    self._before.close()
                    self._before = None
                if isinstance(exc, StoreError):
                    raise
                raise StoreError(f"Không nâng cấp được cấu trúc cơ sở dữ liệu PostgreSQL {shown(self.url)} "
                                 f"({str(exc).splitlines()[0][:200]}); không có gì bị thay đổi.") from exc
        finally:
            self._unlock()

    # --- PostgreSQL ---------------------------------------------------------------------------
    def _connect(self):
        import adbc_driver_postgresql.dbapi as pgdb   # only deployments on PostgreSQL need it
        try:
            return pgdb.connect(self.url)
        except Exception as exc:   # noqa: BLE001 — the driver's own exception types vary
            raise StoreError(f"Không kết nối được cơ sở dữ liệu PostgreSQL {shown(self.url)}: "
                             f"{str(exc).splitlines()[0]}") from exc

    def _pg(self, sql: str, params: tuple = (), *, fetch: bool = False):
        with self.pg_lock:
            try:
                cur = self.pg.cursor()
                try:
                    cur.execute(sql, parameters=params or None)
                    return cur.fetch_arrow_table() if fetch else None
                finally:
                    cur.close()
            except Exception as exc:   # noqa: BLE001 — said in one sentence; the next call reconnects if need be
                self._recover()
                raise StoreError(f"Cơ sở dữ liệu PostgreSQL {shown(self.url)} không trả lời được "
                                 f"({str(exc).splitlines()[0][:200]}); không có gì bị thay đổi. "
                                 "Hãy thử lại; nếu vẫn lỗi, báo quản trị hệ thống.") from exc

    def _recover(self) -> None:
        """After a failed statement: end the transaction, or reconnect if the connection is gone."""
        try:
            self.pg.rollback()
        except Exception:   # noqa: BLE001 — the connection itself is broken
            try:
                self.pg.close()
            except Exception:   # noqa: BLE001
                pass
            try:
                self.pg = self._connect()
            except StoreError:
                pass   # still down: the next call says so again

    def _replicated(self) -> dict[str, dict]:
        """name -> {columns: [(name, duckdb type)], key: [pk columns]} of every stored table."""
        found = {}
        for (name,) in self.replica.execute(
                "select table_name from duckdb_tables() where schema_name = 'main' and not temporary "
                "order by table_name").fetchall():
            if name in DERIVED:
                continue
            cols = self.replica.execute("select column_name, data_type from duckdb_columns() where table_name = $t "
                                        "and schema_name = 'main' order by column_index", {"t": name}).fetchall()
            key = self.replica.execute("select constraint_column_names from duckdb_constraints() where "
                                       "table_name = $t and constraint_type = 'PRIMARY KEY'", {"t": name}).fetchall()
            found[name] = {"columns": cols, "key": list(key[0][0]) if key else []}
        return found

    def _ensure_schema(self) -> None:
        """Create the stored tables (and columns a later migration added) in PostgreSQL; a new
        database also gets the rows the migrations themselves inserted (schema_migration, the
        dataset row), as a DuckDB file does."""
        with self.pg_lock:
            self._pg("select pg_advisory_lock($1)", (LOCK_KEY,))
            try:
                self._pg("create table if not exists store_version (id integer primary key, version bigint not null, "
                         "generation bigint not null default 0)")
                self._pg("insert into store_version values (1, 0, 0) on conflict (id) do nothing")
                # Which tables each version changed: a replica reloads only those.
                self._pg("create table if not exists store_table_version (table_name text primary key, "
                         "version bigint not null)")
                self._create_tables()
                n = self._pg("select count(*) as n from schema_migration", fetch=True)["n"][0].as_py()
                if n == 0:
                    for name in self.tables:
                        self._ingest(name, self.replica.execute(f"select * from {name}").to_arrow_table())
                    self._pg("update store_version set version = version + 1, generation = generation + 1 "
                             "where id = 1")
                self.pg.commit()
            except BaseException:
                self.pg.rollback()
                raise
            finally:
                self._pg("select pg_advisory_unlock($1)", (LOCK_KEY,))
                self.pg.commit()

    def _create_tables(self) -> None:
        """Every table of the replica, and every column a migration added, in PostgreSQL (inside
        the caller's transaction). Renamed, dropped or retyped columns are not handled: no
        migration does that yet."""
        for name, t in self.tables.items():
            cols = ", ".join(f'"{c}" {_PG_TYPES.get(ty, "text")}' for c, ty in t["columns"])
            key = f', primary key ({", ".join(t["key"])})' if t["key"] else ""
            self._pg(f'create table if not exists "{name}" ({cols}{key})')
            have = {r for r in self._pg("select column_name from information_schema.columns "
                                        "where table_name = $1", (name,), fetch=True)["column_name"].to_pylist()}
            for c, ty in t["columns"]:
                if c not in have:
                    self._pg(f'alter table "{name}" add column "{c}" {_PG_TYPES.get(ty, "text")}')
        for name, key in GROWING.items():
            # Catching up fetches past the last key. Rows are only ever appended, in key
            # order, so a BRIN index finds them as a B-tree would, at almost no cost to
            # each insert (a 100,000-row upload: 0,2 s less than with the B-tree of
            # earlier versions). The newest pages, not yet summarised, are always
            # scanned: they hold exactly the rows a catch-up wants; autovacuum
            # summarises each range once it is full.
            if name in self.tables:
                self._pg(f'drop index if exists "{name}_{key}_idx"')
                self._pg(f'create index if not exists "{brin_index(name)}" on "{name}" using brin ("{key}") '
                         'with (autosummarize = on)')

    def _ingest(self, table: str, rows: pa.Table) -> None:
        """Append rows to a PostgreSQL table (COPY underneath), inside the open transaction."""
        if rows.num_rows == 0:
            return
        with self.pg_lock:
            cur = self.pg.cursor()
            try:
                cur.adbc_ingest(table, rows, mode="append")
            finally:
                cur.close()

    def summarize(self, tables=tuple(GROWING)) -> None:
        """Summarise the BRIN indexes of growing tables after rows were loaded in bulk (a
        restore): until then a catch-up would scan the whole table (a second or more nationally)."""
        for name in tables:
            self._pg("select brin_summarize_new_values($1::regclass) as n", (brin_index(name),), fetch=True)
        with self.pg_lock:
            self.pg.commit()

    def data_version(self) -> str:
        """What cached reads are keyed on: changes with every write of a table a page shows
        (and with a restore), not with sessions or audit events. Catches the replica up."""
        self.sync()
        shown = [v for name, v in self.table_versions.items() if name not in VOLATILE]
        return f"{self.generation}.{max(shown, default=0)}"

    def pg_version(self) -> int:
        return self._versions()[0]

    def _versions(self) -> tuple[int, int]:
        """(data version, generation): the generation changes when rows of the growing tables
        were removed or replaced (a restore), which a replica cannot catch up on by key."""
        with self.pg_lock:
            row = self._pg("select version, generation from store_version where id = 1", fetch=True)
            self.pg.commit()   # no snapshot kept open between statements
            return int(row["version"][0].as_py()), int(row["generation"][0].as_py())

    # --- the replica catching up --------------------------------------------------------------
    def sync(self, *, force: bool = False) -> None:
        with self.sync_lock:
            version, generation = self._versions()
            if version == self.version and not force:
                return
            force = force or generation != self.generation
            with self.pg_lock:
                listed = self._pg("select table_name, version from store_table_version", fetch=True).to_pylist()
            table_versions = {r["table_name"]: int(r["version"]) for r in listed}
            con = self.replica.cursor()
            con.execute("begin transaction")
            try:
                for name, t in self.tables.items():
                    cols = ", ".join(f'"{c}"' for c, _ in t["columns"])
                    if not force and table_versions.get(name) == self.table_versions.get(name) \
                            and self.version is not None:
                        continue   # not changed by any write since this replica last caught up
                    self._prints.pop(name, None)
                    grow = None if force else GROWING.get(name)
                    if grow:
                        last = con.execute(f"select coalesce(max({grow}), -1) from {name}").fetchone()[0]
                        rows = self._pg(f'select {cols} from "{name}" where {grow} > $1', (last,), fetch=True)
                    else:
                        con.execute(f"delete from {name}")
                        rows = self._pg(f'select {cols} from "{name}"', fetch=True)
                    if rows.num_rows:
                        con.register("_pg_rows", rows)
                        try:
                            con.execute(f"insert into {name} ({cols}) select {cols} from _pg_rows")
                        finally:
                            con.unregister("_pg_rows")
                if self.current:
                    with self._known(table_versions, generation):
                        for hook in AFTER_SYNC:
                            hook(con)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
            finally:
                con.close()
                with self.pg_lock:
                    self.pg.commit()
            self.version, self.generation = version, generation
            self.table_versions = table_versions

    # --- writing ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def writing(self, timeout: float, busy: Callable[[], str]) -> Iterator[duckdb.DuckDBPyConnection]:
        self._lock(time.monotonic() + timeout, busy)
        try:
            self.sync()
            self._advance_sequences()
            self._snapshot()
            con = self.replica.cursor()
            failed = None
            _writer.pending = []
            try:
                yield con
            except BaseException as exc:   # what the replica committed before it still counts
                failed = exc
                raise
            finally:
                con.close()
                pending, _writer.pending = _writer.pending, None
                try:
                    self._push()
                except BaseException as exc:
                    self.version = None
                    self.sync(force=True)   # the replica again equals PostgreSQL (its hooks run there)
                    if failed is None:
                        if isinstance(exc, StoreError):
                            raise
                        raise StoreError(f"Không ghi được vào cơ sở dữ liệu PostgreSQL {shown(self.url)} "
                                         f"({str(exc).splitlines()[0][:200]}); không có gì bị thay đổi. "
                                         "Hãy thử lại.") from exc
                self._after_push(pending)
        finally:
            self._unlock()

    def _after_push(self, pending: list[Callable[[duckdb.DuckDBPyConnection], None]]) -> None:
        """The work the write put off until it was in PostgreSQL (after_write: the derived caches'
        refresh), each in a replica transaction of its own, before the locks are let go: no other
        write can change the replica meanwhile, and this process's reads wait for it (sync_lock)
        rather than read half-refreshed caches. A failure leaves the caches stale, which reads
        detect (they compute from the data instead); the next read then catches up from scratch."""
        if not pending:
            return
        with self.sync_lock, self._known(self.table_versions, self.generation):
            for work in pending:
                con = self.replica.cursor()
                try:
                    con.execute("begin transaction")
                    work(con)
                    con.execute("commit")
                except Exception:   # noqa: BLE001 — the write itself is in PostgreSQL; say so in the log
                    with contextlib.suppress(Exception):
                        con.execute("rollback")
                    _LOG.exception("the replica's caches could not be refreshed after a write")
                    self.version = None
                finally:
                    con.close()

    @contextlib.contextmanager
    def _known(self, table_versions: dict[str, int], generation: int | None) -> Iterator[None]:
        """While the AFTER_SYNC hooks or a write's after-write work run, the replica's replicated
        tables hold exactly what PostgreSQL held at these versions: table_versions() says so."""
        _caught_up.versions = (self.url, generation, dict(table_versions))
        try:
            yield
        finally:
            _caught_up.versions = None

    def _lock(self, deadline: float, busy: Callable[[], str]) -> None:
        """This process's write lock, then PostgreSQL's advisory lock (every process's writers),
        or StoreError(busy()) at the deadline."""
        if not self.write_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise StoreError(busy())
        try:
            pause = 0.002
            while not self._pg("select pg_try_advisory_lock($1) as ok", (LOCK_KEY,), fetch=True)["ok"][0].as_py():
                if time.monotonic() >= deadline:
                    raise StoreError(busy())
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        except BaseException:
            self.write_lock.release()
            raise

    def _unlock(self) -> None:
        try:
            self._pg("select pg_advisory_unlock($1)", (LOCK_KEY,))
            with self.pg_lock:
                self.pg.commit()
        finally:
            self.write_lock.release()

    def _advance_sequences(self) -> None:
        """Every sequence past the largest id it has given (ids come from the replica that
        writes; the advisory lock makes them unique and increasing across processes)."""
        for seq, table, column in (("upload_id_seq", "upload", "upload_id"), ("audit_event_id_seq", "audit_event", "event_id")):
            last = self.replica.execute(f"select coalesce(max({column}), 0) from {table}").fetchone()[0]
            row = self.replica.execute("select last_value from duckdb_sequences() where sequence_name = $s",
                                       {"s": seq}).fetchone()
            if row is None:
                continue
            current = row[0] or 0
            if current < last:
                self.replica.execute(f"select nextval('{seq}') from range({last - current})").fetchall()

    def _snapshot(self) -> None:
        """Keep the replica as it is before the write: a transaction on a cursor of its own, which
        DuckDB's MVCC keeps seeing the rows as they were while the write commits beside it. Its
        snapshot is fixed by its first read of a table, done here. Nothing is copied: _push
        compares fingerprints and reads the old rows only of the tables the write changed."""
        self._before = self.replica.cursor()
        self._before.execute("begin transaction")
        self._before.execute(f"select count(*) from {next(iter(self.tables))}").fetchall()

    @staticmethod
    def _fingerprint(cur: duckdb.DuckDBPyConnection, name: str, cols: str) -> tuple:
        """(rows, sum of row hashes): equal before and after when the write left the table alone."""
        return cur.execute(f"select count(*), coalesce(sum(hash({cols})::hugeint), 0) from {name}").fetchone()

    def _push(self) -> None:
        """Send what the write changed to PostgreSQL in one transaction, with the new version."""
        con = self.replica.cursor()
        before, self._before = self._before, None
        changes: list[tuple[str, str, object]] = []
        prints: dict[str, tuple] = {}   # the fingerprints of the tables this write changed
        try:
            for name, t in self.tables.items():
                cols = ", ".join(f'"{c}"' for c, _ in t["columns"])
                if self.replace_all or name in self.reshaped:   # growing tables in key order, as BRIN wants
                    self._prints.pop(name, None)
                    order = f" order by {GROWING[name]}" if name in GROWING else ""
                    changes.append(("replace", name, con.execute(f"select {cols} from {name}{order}").to_arrow_table()))
                    continue
                if name in GROWING:
                    key = GROWING[name]
                    last = before.execute(f"select coalesce(max({key}), -1) from {name}").fetchone()[0]
                    added = con.execute(f"select {cols} from {name} where {key} > $1", [last]).to_arrow_table()
                    if added.num_rows:
                        changes.append(("append", name, added))
                    continue
                after = self._fingerprint(con, name, cols)
                known = self._prints.get(name)
                if known is not None and known[0] == self.table_versions.get(name):
                    was = known[1]
                else:
                    was = self._fingerprint(before, name, cols)
                if after == was:
                    self._prints[name] = (self.table_versions.get(name), after)
                    continue
                self._prints.pop(name, None)
                prints[name] = after
                con.register("_before_rows", before.execute(f"select {cols} from {name}").to_arrow_table())
                try:
                    if t["key"]:
                        keys = ", ".join(t["key"])
                        upserts = con.execute(f"select {cols} from {name} except select {cols} from _before_rows"
                                              ).to_arrow_table()
                        deletes = con.execute(f"select {keys} from _before_rows except select {keys} from {name}"
                                              ).to_arrow_table()
                        if deletes.num_rows:
                            changes.append(("delete", name, deletes))
                        if upserts.num_rows:
                            changes.append(("upsert", name, upserts))
                    else:
                        changes.append(("replace", name, con.execute(f"select {cols} from {name}").to_arrow_table()))
                finally:
                    con.unregister("_before_rows")
        finally:
            con.close()
            before.execute("rollback")
            before.close()
        if not changes:
            return
        with self.pg_lock:
            try:
                for kind, name, rows in changes:
                    t = self.tables[name]
                    cols = ", ".join(f'"{c}"' for c, _ in t["columns"])
                    if kind == "append":
                        self._ingest(name, rows)
                    elif kind == "replace":   # truncated, a growing table's pages start again in key order
                        self._pg(f'truncate "{name}"' if name in GROWING else f'delete from "{name}"')
                        self._ingest(name, rows)
                    else:
                        self._pg("drop table if exists _changes")
                        cur = self.pg.cursor()   # pg_lock is held for the whole push
                        try:
                            cur.adbc_ingest("_changes", rows, mode="create", temporary=True)
                        finally:
                            cur.close()
                        keys = ", ".join(f'"{k}"' for k in t["key"])
                        if kind == "delete":
                            self._pg(f'delete from "{name}" where ({keys}) in (select {keys} from _changes)')
                        else:
                            others = [c for c, _ in t["columns"] if c not in t["key"]]
                            update = ", ".join(f'"{c}" = excluded."{c}"' for c in others)
                            self._pg(f'insert into "{name}" ({cols}) select {cols} from _changes '
                                     f'on conflict ({keys}) do ' + (f"update set {update}" if others else "nothing"))
                        self._pg("drop table _changes")
                self._pg("update store_version set version = version + 1, generation = generation + $1 where id = 1",
                         (1 if self.replace_all or self.reshaped else 0,))
                row = self._pg("select version, generation from store_version where id = 1", fetch=True)
                new_version = int(row["version"][0].as_py())
                for name in {name for _, name, _ in changes}:
                    self._pg("insert into store_table_version values ($1, $2) on conflict (table_name) "
                             "do update set version = excluded.version", (name, new_version))
                self.pg.commit()
            except BaseException:
                self.pg.rollback()
                raise
            finally:
                self.replace_all = False
                self.reshaped = set()
            replaced = [name for kind, name, _ in changes if kind == "replace" and name in GROWING]
            if replaced:
                self.summarize(replaced)
        self.version, self.generation = int(row["version"][0].as_py()), int(row["generation"][0].as_py())
        for name in {name for _, name, _ in changes}:
            self.table_versions[name] = self.version
        for name, after in prints.items():
            self._prints[name] = (self.version, after)


_writer = threading.local()   # .pending: the work put off by this thread's write (after_write)


_caught_up = threading.local()   # .versions: see PgStore._known


def table_versions(tables) -> tuple | None:
    """Inside a replica's catch-up hooks or a write's after-write work: a key that names the
    content of `tables` in the replica (the database, its generation and each table's version:
    equal keys, equal rows), for work that need not be redone on the same rows; None anywhere
    else (a DuckDB file, a write in progress, a replica not yet caught up)."""
    known = getattr(_caught_up, "versions", None)
    if known is None or known[1] is None or any(t not in known[2] for t in tables):
        return None
    url, generation, versions = known
    return (url, generation, tuple((t, versions[t]) for t in tables))


def in_replica_write() -> bool:
    """Whether this thread is inside a write on a PostgreSQL replica (after_write puts work off)."""
    return getattr(_writer, "pending", None) is not None


def after_write(work: Callable[[duckdb.DuckDBPyConnection], None]) -> bool:
    """Inside a write of this thread on a PostgreSQL replica: run `work(cursor)` once the write
    is in PostgreSQL, in a replica transaction of its own, before the write's locks are let go,
    and return True; elsewhere return False (the caller does the work now). For work on the
    derived tables only (they are never sent to PostgreSQL): other processes then see the write
    without waiting for this process's own caches."""
    pending = getattr(_writer, "pending", None)
    if pending is None:
        return False
    pending.append(work)
    return True


def ready(url: str) -> bool:
    """Whether the database at `url` is built and at this program's last migration, asked with a
    connection of its own (no replica is made): False while init-db is still creating or
    upgrading it, when its tables are not there yet, or when the server does not answer."""
    import adbc_driver_postgresql.dbapi as pgdb
    try:
        with pgdb.connect(url, autocommit=True) as con, con.cursor() as cur:
            cur.execute("select (select max(version) from schema_migration), "
                        "(select count(*) from locality) > 0")
            last, built = cur.fetchone()
    except Exception:   # noqa: BLE001 — no tables yet, no server: not ready
        return False
    return bool(built) and last == _migrations()[-1][0]


_stores: dict[str, PgStore] = {}
_stores_lock = threading.Lock()


def store(url: str) -> PgStore:
    """This process's PgStore for the URL (made on first use)."""
    with _stores_lock:
        found = _stores.get(url)
        if found is None:
            found = _stores[url] = PgStore(url)
        return found


def forget(url: str) -> None:
    """Close this process's connection and replica for the URL (tests that drop a database)."""
    with _stores_lock:
        found = _stores.pop(url, None)
    if found is not None:
        with found.pg_lock:
            found.pg.close()
        found.replica.close()
