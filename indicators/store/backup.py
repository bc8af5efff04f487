"""Backup and restore: the whole database as one zip file, taken at one point in time.

A backup is written during one read of store.gate: no write can run while a read is held, so
every table comes from the same moment even while the app serves and an import waits. The zip
holds `manifest.json` (format, schema version, data version, when, row counts per table) and
one Parquet file per table of the main schema, schema_migration and the overview's derived
caches included.

The caches (current_observation, current_series and current_observation_upload, the uploads
they reflect) are restored as they were: the snapshot is consistent, so they agree with the restored
observations, and this module, being in store/, may not import progress/ to recompute them. The
`restore` command also runs the refresh in its audit write; it does nothing when the caches
were current, which is the usual case.

A restore checks the file first, builds the restored database in a temporary file beside the
target, and only then, during one write of store.gate (the app and other commands wait), moves
the existing file aside as `<db>.before-restore-<YYYYmmdd-HHMMSS>` and puts the new one in place.
Any refusal leaves the target as it was.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb

from indicators.store import gate
from indicators.store.connection import StoreError, _migrations, connect, schema_version
from indicators.text import fmt

FORMAT = 1
TOOL = "indicators"
MANIFEST = "manifest.json"
MAX_TOTAL_BYTES = 4 * 1024 ** 3    # uncompressed; a national synthetic backup holds ~0.1 GB
MAX_RATIO = 200                    # uncompressed / compressed, per file (Parquet is compressed already)
# The accounts `init-db` creates: auth.admin.BOOTSTRAP_ADMIN (store may not import auth).
INIT_DB_ACCOUNTS = ("quantri",)

_MEMBER = re.compile(r"manifest\.json|[a-z_][a-z0-9_]*\.parquet")
_TABLE = re.compile(r"[a-z_][a-z0-9_]*")


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'main' and not temporary order by table_name").fetchall()]


def _sql_text(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def backup(db_path: str | os.PathLike | None, out_file: str | os.PathLike) -> dict:
    """Write the database `db_path` to the zip `out_file` (replaced only once complete); return
    {'path', 'bytes', 'tables': {table: rows}, 'schema_version', 'data_version', 'created_at'}."""
    db, out = gate.target(db_path), Path(out_file)
    if not gate.exists(db):
        raise StoreError(f"Chưa có cơ sở dữ liệu {db}: không có gì để sao lưu.")
    partial = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as work:
            with gate.reading(db) as con:
                con.execute("begin transaction")
                counts = {}
                for table in _tables(con):   # names from the catalogue, quoted all the same
                    counts[table] = con.execute(f'select count(*) from "{table}"').fetchone()[0]
                    target = _sql_text(Path(work) / f"{table}.parquet")
                    con.execute(f'copy (select * from "{table}") to {target} (format parquet, compression zstd)')
                manifest = {"format": FORMAT, "tool": TOOL, "schema_version": schema_version(con),
                            "data_version": gate.data_version(db),
                            "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                            "tables": counts}
                con.execute("commit")
            # The read is over: the app and imports carry on while the zip is written.
            with zipfile.ZipFile(partial, "w") as z:
                z.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2),
                           compress_type=zipfile.ZIP_DEFLATED)
                for table in counts:
                    z.write(Path(work) / f"{table}.parquet", f"{table}.parquet")
            os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"Không ghi được bản sao lưu {out}: {exc.strerror or exc}.") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return {**manifest, "path": str(out), "bytes": out.stat().st_size}


def _bad(src: Path, why: str) -> StoreError:
    return StoreError(f"Không khôi phục được từ {src}: {why}. Cơ sở dữ liệu không bị thay đổi.")


def _unpack(src: Path, work: Path) -> dict:
    """Check the zip and extract its Parquet files into `work`; return the manifest."""
    try:
        with zipfile.ZipFile(src) as z:
            infos = z.infolist()
            names = [i.filename for i in infos]
            if len(set(names)) != len(names) or not all(_MEMBER.fullmatch(n) for n in names):
                raise _bad(src, "tệp zip chứa tên tệp lạ (thư mục, “..” hoặc trùng tên), không phải bản sao lưu "
                                "của công cụ này")
            if (sum(i.file_size for i in infos) > MAX_TOTAL_BYTES
                    or any(i.file_size > MAX_RATIO * max(i.compress_size, 1024) for i in infos)):
                raise _bad(src, "kích thước sau khi giải nén quá lớn so với một bản sao lưu (nghi là tệp zip độc hại)")
            if MANIFEST not in names:
                raise _bad(src, f"thiếu {MANIFEST}: đây không phải bản sao lưu của công cụ này")
            try:
                manifest = json.loads(z.read(MANIFEST).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise _bad(src, f"{MANIFEST} không đọc được") from None
            if not isinstance(manifest, dict) or manifest.get("tool") != TOOL or manifest.get("format") != FORMAT:
                raise _bad(src, f"không nhận ra định dạng bản sao lưu (cần định dạng {FORMAT} của “{TOOL}”)")
            latest = _migrations()[-1][0]
            if manifest.get("schema_version") != latest:
                raise _bad(src, f"bản sao lưu có cấu trúc phiên bản {manifest.get('schema_version')}, còn phiên bản "
                                f"này của công cụ dùng cấu trúc phiên bản {latest}; hãy khôi phục bằng phiên bản công "
                                "cụ đã tạo ra bản sao lưu")
            tables = manifest.get("tables")
            if (not isinstance(tables, dict) or not all(_TABLE.fullmatch(str(t)) for t in tables)
                    or not all(type(n) is int and n >= 0 for n in tables.values())):
                raise _bad(src, f"danh sách bảng trong {MANIFEST} không hợp lệ")
            missing = sorted(t for t in tables if f"{t}.parquet" not in names)
            if missing:
                raise _bad(src, f"thiếu dữ liệu của bảng {', '.join(missing)}")
            for table in tables:
                with z.open(f"{table}.parquet") as part, open(work / f"{table}.parquet", "wb") as out:
                    shutil.copyfileobj(part, out, 1 << 20)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise _bad(src, f"tệp hỏng hoặc không phải tệp zip ({exc})") from None
    return manifest


def _load_order(con: duckdb.DuckDBPyConnection, tables: set[str]) -> list[str]:
    """The tables, each after those its foreign keys refer to."""
    needs = {t: set() for t in tables}
    for table, ref in con.execute("select table_name, referenced_table from duckdb_constraints() "
                                  "where constraint_type = 'FOREIGN KEY'").fetchall():
        if table in needs and ref in needs and ref != table:
            needs[table].add(ref)
    order: list[str] = []
    while needs:
        ready = sorted(t for t, refs in needs.items() if refs <= set(order)) or sorted(needs)
        order += ready
        for t in ready:
            del needs[t]
    return order


def _advance_sequences(con: duckdb.DuckDBPyConnection) -> None:
    """Move every sequence past the largest id it has given (DuckDB has no setval)."""
    served: dict[str, list[tuple[str, str]]] = {}
    for table, column, default in con.execute(
            "select table_name, column_name, column_default from duckdb_columns() "
            "where database_name = current_database() and schema_name = 'main'").fetchall():
        m = re.fullmatch(r"nextval\('([^']+)'\)", default or "")
        if m:
            served.setdefault(m.group(1), []).append((table, column))
    for (seq,) in con.execute("select sequence_name from duckdb_sequences() "
                              "where database_name = current_database()").fetchall():
        top = max((con.execute(f'select coalesce(max("{c}"), 0) from "{t}"').fetchone()[0]
                   for t, c in served.get(seq, [])), default=0)
        seq_text = "'" + seq.replace("'", "''") + "'"
        following = con.execute(f"select nextval({seq_text})").fetchone()[0]
        if following < top:
            con.execute(f"select max(nextval({seq_text})) from range({int(top - following)})")


def _build(src: Path, target: Path, work: Path, manifest: dict) -> dict[str, int]:
    """Build the restored database in `target` from the Parquet files in `work`; return the counts."""
    con = connect(target)
    try:
        tables = set(_tables(con))
        expected = manifest["tables"]
        if set(expected) != tables:
            missing, extra = sorted(tables - set(expected)), sorted(set(expected) - tables)
            raise _bad(src, "danh sách bảng không khớp với cấu trúc hiện hành"
                            + (f" (thiếu: {', '.join(missing)})" if missing else "")
                            + (f" (thừa: {', '.join(extra)})" if extra else ""))
        order = _load_order(con, tables - {"schema_migration"})   # migrate has filled schema_migration
        con.execute("begin transaction")
        for table in reversed(order):   # what the migrations put there (the `dataset` row)
            con.execute(f'delete from "{table}"')
        for table in order:
            con.execute(f'insert into "{table}" by name select * from read_parquet('
                        f'{_sql_text(work / f"{table}.parquet")})')
        counts = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in sorted(tables)}
        wrong = [f"{t}: {fmt.number(counts[t], 0)} dòng thay vì {fmt.number(expected[t], 0)}"
                 for t in counts if counts[t] != expected[t]]
        if wrong:
            raise _bad(src, "số dòng không khớp với bản kê (" + "; ".join(wrong) + ")")
        _advance_sequences(con)
        con.execute("commit")
        con.execute("checkpoint")
    except duckdb.Error as exc:
        raise _bad(src, f"dữ liệu của một bảng không đọc được ({str(exc).splitlines()[0]})") from None
    finally:
        con.close()
    return counts


def _entered_data(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What people have put in this database, beyond init-db and the illustrative samples."""
    n_up, n_obs, n_acc, n_hist = con.execute(
        "select (select count(*) from upload where not is_illustrative),"
        " (select count(*) from observation where upload_id not in"
        "   (select upload_id from upload where is_illustrative)),"
        " (select count(*) from account where user_name not in (select unnest($init))),"
        " (select count(*) from target_history)", {"init": list(INIT_DB_ACCOUNTS)}).fetchone()
    found = [(n_up, "lần nhập số liệu"), (n_obs, "giá trị đã báo cáo"), (n_acc, "tài khoản"),
             (n_hist, "thay đổi chỉ tiêu")]
    return [f"{fmt.number(n, 0)} {what}" for n, what in found if n]


def _refusal(db: Path, found: list[str]) -> StoreError:
    return StoreError(f"Cơ sở dữ liệu {db} đã có dữ liệu ({', '.join(found)}) nên không khôi phục đè lên; không có "
                      f"gì bị thay đổi. Nếu chắc chắn, hãy chạy lại với --force: tệp hiện có sẽ được giữ lại bên "
                      f"cạnh với tên {db.name}.before-restore-<ngày-giờ>.")


def _check_target(db: Path) -> None:
    """Refuse early, before building anything, when the target holds entered data."""
    if not db.exists():
        return
    try:
        with gate.reading(db) as con:
            found = _entered_data(con)
    except StoreError:
        return   # busy, or from an older version: checked again during the write
    if found:
        raise _refusal(db, found)


def _move_aside(db: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside, n = db.with_name(f"{db.name}.before-restore-{stamp}"), 1
    while aside.exists():
        n += 1
        aside = db.with_name(f"{db.name}.before-restore-{stamp}-{n}")
    os.replace(db, aside)
    wal = db.with_name(db.name + ".wal")
    if wal.exists():   # DuckDB finds a file's log by its name: keep the pair together
        os.replace(wal, aside.with_name(aside.name + ".wal"))
    return aside


def restore(backup_file: str | os.PathLike, db_path: str | os.PathLike | None = None, *,
            force: bool = False) -> dict:
    """Replace the database `db_path` by the backup `backup_file`; the existing file is kept
    aside. Refuses (StoreError) a file that is not a backup of this schema version, and a target
    holding entered data unless `force`. Returns {'path', 'aside' (None when there was no
    file), 'tables': {table: rows}, 'schema_version', 'data_version', 'created_at'} (the last
    three of the backup)."""
    src, db = Path(backup_file), gate.target(db_path)
    if isinstance(db, str):
        return _restore_into_postgres(src, db, force=force)
    if not force:
        _check_target(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=db.parent, prefix=f".{db.name}.restore-") as tmp:
        work = Path(tmp)
        manifest = _unpack(src, work)
        restored = work / "restored.duckdb"
        counts = _build(src, restored, work, manifest)
        existed = db.exists()
        with gate.writing(db) as con:   # opens (and creates) the target: the app and imports wait
            if not force:
                found = _entered_data(con)
                if found:
                    raise _refusal(db, found)
            existed = existed or con.execute("select count(*) from locality").fetchone()[0] > 0
            con.close()   # before its file moves (gate closes it again: harmless)
            existed = existed or db.with_name(db.name + ".wal").exists()
            aside = _move_aside(db) if existed else None
            try:
                os.replace(restored, db)
            except OSError:
                if aside:
                    os.replace(aside, db)   # put the old file back rather than leave none
                raise
            gate.bump_version(db)
    return {"path": str(db), "aside": str(aside) if aside else None, "tables": counts,
            **{k: manifest.get(k) for k in ("schema_version", "data_version", "created_at")}}


def _restore_into_postgres(src: Path, url: str, *, force: bool) -> dict:
    """The same checks, then every stored table replaced by the backup's rows in ONE write
    (store.pg sends the differences to PostgreSQL in one transaction). With --force, the
    current contents are first saved as a backup beside the restored file: nothing is lost."""
    from indicators.store import pg
    aside = None
    with tempfile.TemporaryDirectory(prefix="indicators-restore-") as tmp:
        work = Path(tmp)
        manifest = _unpack(src, work)
        restored = work / "restored.duckdb"
        counts = _build(src, restored, work, manifest)
        if force and gate.exists(url):
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            aside = src.with_name(f"{pg.shown(url).rsplit('/', 1)[-1]}.before-restore-{stamp}.zip")
            backup(url, aside)
        with gate.writing(url) as con:
            if not force:
                found = _entered_data(con)
                if found:
                    raise StoreError(f"Cơ sở dữ liệu {pg.shown(url)} đã có dữ liệu ({', '.join(found)}) nên không "
                                     "khôi phục đè lên; không có gì bị thay đổi. Nếu chắc chắn, hãy chạy lại với "
                                     "--force: nội dung hiện có sẽ được sao lưu trước thành một tệp zip bên cạnh tệp "
                                     "khôi phục.")
            pg.store(url).replace_all = True   # rows removed too: every table is sent whole
            con.execute(f"attach {_sql_text(restored)} as restored (read_only)")
            try:
                con.execute("begin transaction")
                for table in pg.store(url).tables:
                    if table == "schema_migration":
                        continue
                    con.execute(f'delete from main."{table}"')
                    con.execute(f'insert into main."{table}" select * from restored.main."{table}"')
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
            finally:
                con.execute("detach restored")
    return {"path": pg.shown(url), "aside": str(aside) if aside else None, "tables": counts,
            **{k: manifest.get(k) for k in ("schema_version", "data_version", "created_at")}}
