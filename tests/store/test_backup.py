"""`backup` and `restore`: a round trip keeps every row and every page's figures, a backup taken
during a large import holds all of it or none, a database with data is never overwritten
silently, a bad file changes nothing, and new ids follow the restored ones."""
from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from indicators.auth.admin import BOOTSTRAP_ADMIN
from indicators.cli import main
from indicators.excel import importer
from indicators.store import backup as store_backup
from indicators.store import gate
from indicators.store.connection import StoreError, _migrations
from tests.conftest import ROOT
from tests.store.test_import import add_account, commune_keys, fast_workbook, workbook


def counts(db: Path) -> dict[str, int]:
    with gate.reading(db) as con:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'main' "
                                            "and not temporary order by 1").fetchall()]
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def import_rows(db: Path, tmp_path: Path, rows: list[list], name: str) -> int:
    path = tmp_path / name
    path.write_bytes(workbook(rows))
    _, result = importer.import_file(db, path, "admin", confirm_warnings=True)
    return result.upload_id


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def with_admin(seeded_db) -> Path:
    with gate.writing(seeded_db) as con:
        add_account(con, "admin", "admin", None)
    return seeded_db


def test_round_trip_keeps_every_row_and_the_status(with_admin, tmp_path, capsys):
    db = with_admin
    import_rows(db, tmp_path, [["12", "bhyt_coverage", "2026", 95.5], ["03640", "bhyt_coverage", "2026", 90.0]],
                "a.xlsx")
    before = counts(db)
    code, status_before, _ = run(capsys, "status", "--db", db, "--locality", "12", "--format", "json")
    assert code == 0

    code, out, _ = run(capsys, "backup", "--db", db, "-o", tmp_path / "sao_luu.zip")
    with gate.reading(db) as con:   # every stored table, none of the derived caches
        n_tables = len(store_backup._tables(con))
    assert code == 0 and out.startswith("Đã sao lưu") and f"{n_tables} bảng" in out
    new = tmp_path / "khac" / "health.duckdb"   # a folder that does not exist yet
    code, out, _ = run(capsys, "restore", tmp_path / "sao_luu.zip", "--db", new)
    assert code == 0 and out.startswith("Đã khôi phục") and "tệp cũ" not in out

    after = counts(new)
    assert after == {**before, "audit_event": before["audit_event"] + 1}   # + the restore itself
    code, status_after, _ = run(capsys, "status", "--db", new, "--locality", "12", "--format", "json")
    assert code == 0 and status_after == status_before and json.loads(status_after)
    with gate.reading(new) as con:
        assert con.execute("select user_name, action from audit_event order by event_id desc limit 1"
                           ).fetchone()[1] == "restore"
    with gate.reading(db) as con:   # the backup is audited in the source, after its snapshot
        assert con.execute("select action from audit_event order by event_id desc limit 1").fetchone()[0] == "backup"
    assert not [p for p in tmp_path.rglob("*") if ".tmp" in p.name or ".restore-" in p.name]


IMPORTER = """
import sys
from pathlib import Path
from indicators.excel import importer
from indicators.store import gate
db, data = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes()
with gate.reading(db) as con:
    pv = importer.preview(con, data, "lon.xlsx", "admin")
assert not pv.errors, pv.errors[:3]
print("COMMITTING", flush=True)
with gate.writing(db) as con:
    importer.commit(con, pv, "admin", confirm_warnings=True)
print("DONE", flush=True)
"""
N_ROWS = 60_000


def test_a_backup_during_a_large_import_holds_all_of_it_or_none(with_admin, tmp_path):
    db = with_admin
    with gate.reading(db) as con:
        keys = commune_keys(con, N_ROWS)
    data = fast_workbook([[*k, 50.0 + (i % 400) / 10] for i, k in enumerate(keys)])
    (tmp_path / "lon.xlsx").write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    child = subprocess.Popen([sys.executable, "-c", IMPORTER, str(db), str(tmp_path / "lon.xlsx")], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    zips = [tmp_path / "b0.zip"]
    store_backup.backup(db, zips[0])   # while the child reads its 60,000 rows: before the import
    assert child.stdout.readline().strip() == "COMMITTING", child.stderr.read()
    running = True
    while running:   # back to back while the import commits, then once more after it
        running = child.poll() is None
        zips.append(tmp_path / f"b{len(zips)}.zip")
        store_backup.backup(db, zips[-1])
    assert child.wait(60) == 0 and "DONE" in child.stdout.read()

    outcomes = []
    for n, z in enumerate(zips):
        restored = tmp_path / f"r{n}.duckdb"
        store_backup.restore(z, restored)
        with gate.reading(restored) as con:
            uploads = con.execute("select upload_id, n_new, state from upload where sha256 = $s", {"s": sha}).fetchall()
            n_obs, n_current, n_audit, stale = con.execute(
                "select (select count(*) from observation join upload using (upload_id) where sha256 = $s),"
                " (select count(*) from current_observation join upload using (upload_id) where sha256 = $s),"
                " (select count(*) from audit_event where action = 'upload'),"
                " (select count(*) from upload u left join current_observation_upload c using (upload_id)"
                "   where c.is_committed is distinct from (u.state = 'committed'))", {"s": sha}).fetchone()
        assert stale == 0   # the caches came back agreeing with the data
        if uploads:
            assert uploads[0][1:] == (N_ROWS, "committed") and n_obs == n_current == N_ROWS and n_audit == 1
        else:
            assert n_obs == n_current == n_audit == 0
        outcomes.append("all" if uploads else "none")
    print("outcomes", outcomes)
    assert outcomes[0] == "none" and outcomes[-1] == "all" and len(outcomes) >= 3


def test_a_database_with_data_is_replaced_only_with_force_and_kept_aside(with_admin, tmp_path, capsys):
    db = with_admin
    code, _, _ = run(capsys, "backup", "--db", db, "-o", tmp_path / "b.zip")
    assert code == 0
    upload_id = import_rows(db, tmp_path, [["12", "bhyt_coverage", "2026", 95.5]], "moi.xlsx")
    before = digest(db)

    code, out, err = run(capsys, "restore", tmp_path / "b.zip", "--db", db)
    assert code == 3 and not out
    assert "đã có dữ liệu" in err and "--force" in err and "before-restore" in err and "1 lần nhập số liệu" in err
    assert digest(db) == before and not list(tmp_path.glob("*before-restore*"))

    code, out, _ = run(capsys, "restore", tmp_path / "b.zip", "--db", db, "--force")
    assert code == 0 and "tệp cũ được giữ ở" in out
    [aside] = tmp_path.glob("health.duckdb.before-restore-*")
    assert digest(aside) == before
    with gate.reading(aside) as con:
        assert con.execute("select count(*) from upload where upload_id = $i", {"i": upload_id}).fetchone()[0] == 1
    with gate.reading(db) as con:
        assert con.execute("select count(*) from upload where not is_illustrative").fetchone()[0] == 0
    assert store_backup.INIT_DB_ACCOUNTS == (BOOTSTRAP_ADMIN,)


def _rewritten(src: Path, dest: Path, change) -> Path:
    """A copy of the backup `src` whose members pass through change(name, bytes) -> [(name, bytes)]."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dest, "w") as out:
        for name in z.namelist():
            for new_name, data in change(name, z.read(name)):
                out.writestr(new_name, data)
    return dest


def _written(dest: Path, data: bytes) -> Path:
    dest.write_bytes(data)
    return dest


def _manifest(**changes):
    def change(name, data):
        if name != "manifest.json":
            return [(name, data)]
        return [(name, json.dumps({**json.loads(data), **changes}))]
    return change


LATEST = _migrations()[-1][0]
BAD_FILES = {
    "garbage": (lambda src, dest: _written(dest, b"not a zip at all" * 100), "không phải tệp zip"),
    "truncated": (lambda src, dest: _written(dest, src.read_bytes()[: src.stat().st_size // 2]), "không phải tệp zip"),
    "older schema": (lambda src, dest: _rewritten(src, dest, _manifest(schema_version=LATEST - 1)),
                     f"phiên bản {LATEST - 1}, còn phiên bản này của công cụ dùng cấu trúc phiên bản {LATEST}"),
    "missing table": (lambda src, dest: _rewritten(src, dest, lambda n, d: [] if n == "upload.parquet" else [(n, d)]),
                      "thiếu dữ liệu của bảng upload"),
    "path in a name": (lambda src, dest: _rewritten(src, dest, lambda n, d: [("../" + n if n == "plan.parquet"
                                                                               else n, d)]),
                       "tên tệp lạ"),
    "broken table": (lambda src, dest: _rewritten(src, dest, lambda n, d: [(n, b"PAR1" + d[10:] if
                                                                            n == "observation.parquet" else d)]),
                     "không đọc được"),
    "wrong count": (lambda src, dest: _rewritten(src, dest, lambda n, d: [(n, json.dumps(
        {**json.loads(d), "tables": {**json.loads(d)["tables"], "locality": 5}}) if n == "manifest.json" else d)]),
                    "locality: 3.355 dòng thay vì 5"),
    "foreign zip": (lambda src, dest: _rewritten(src, dest, lambda n, d: [] if n == "manifest.json" else [(n, d)]),
                    "thiếu manifest.json"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_bad_file_is_refused_and_changes_nothing(seeded_db, tmp_path, capsys, kind):
    make, says = BAD_FILES[kind]
    store_backup.backup(seeded_db, tmp_path / "good.zip")
    bad = make(tmp_path / "good.zip", tmp_path / "bad.zip")
    before, files = digest(seeded_db), sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run(capsys, "restore", bad, "--db", seeded_db, "--force")   # --force: only the file is judged
    assert code == 3 and not out and says in err and "không bị thay đổi" in err, err
    assert digest(seeded_db) == before and sorted(p.name for p in tmp_path.iterdir()) == files


def test_a_zip_bomb_is_refused_before_it_is_unpacked(seeded_db, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", "{}")
        z.writestr("observation.parquet", b"\0" * 50_000_000)
    (tmp_path / "bomb.zip").write_bytes(buf.getvalue())
    with pytest.raises(StoreError, match="quá lớn"):
        store_backup.restore(tmp_path / "bomb.zip", seeded_db, force=True)


def test_a_failed_backup_leaves_no_half_file(seeded_db, tmp_path):
    (tmp_path / "out.zip").mkdir()   # os.replace onto a folder fails at the very end
    with pytest.raises(StoreError, match="Không ghi được bản sao lưu"):
        store_backup.backup(seeded_db, tmp_path / "out.zip")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_new_ids_follow_the_restored_ones(with_admin, tmp_path, capsys):
    db = with_admin
    first = import_rows(db, tmp_path, [["12", "bhyt_coverage", "2026", 95.5]], "a.xlsx")
    second = import_rows(db, tmp_path, [["01", "bhyt_coverage", "2026", 94.9]], "b.xlsx")
    with gate.reading(db) as con:
        top_event = con.execute("select max(event_id) from audit_event").fetchone()[0]
    assert run(capsys, "backup", "--db", db, "-o", tmp_path / "b.zip")[0] == 0
    new = tmp_path / "moi.duckdb"
    assert run(capsys, "restore", tmp_path / "b.zip", "--db", new)[0] == 0

    third = import_rows(new, tmp_path, [["03640", "bhyt_coverage", "2026", 90.0]], "c.xlsx")
    assert third == max(first, second) + 1
    with gate.reading(new) as con:
        n, distinct, restore_id = con.execute(
            "select count(*), count(distinct event_id), max(event_id) filter (where action = 'restore') "
            "from audit_event").fetchone()
        assert n == distinct and restore_id > top_event
        assert con.execute("select count(distinct upload_id) = count(*) from upload").fetchone()[0]
