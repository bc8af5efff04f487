"""`backup` and `restore`: the whole database as one file, and back (store/backup.py)."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from indicators.cli.common import EXIT_ARGS, EXIT_OK, err, operator_name
from indicators.progress.scorecard import refresh_current_observations
from indicators.store import gate
from indicators.store.audit import audit, from_command_line
from indicators.store.backup import backup, restore
from indicators.text import fmt


def _rows(tables: dict[str, int]) -> str:
    return f"{fmt.number(sum(tables.values()), 0)} dòng trong {fmt.number(len(tables), 0)} bảng"


def _cmd_backup(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if not out.parent.is_dir():
        err(f"Không có thư mục {out.parent} để ghi bản sao lưu.")
        return EXIT_ARGS
    start = time.perf_counter()
    done = backup(args.db, out)
    print(f"Đã sao lưu {gate.describe(args.db)} vào {out}: {_rows(done['tables'])}, "
          f"{fmt.number(done['bytes'] / 1e6, 1)} MB, {fmt.number(time.perf_counter() - start, 1)} giây.")
    # Recorded after the snapshot, in the source database (not part of this backup).
    with from_command_line(), gate.writing(args.db, bump=False) as con:
        audit(con, operator_name(), "backup", f"sao lưu vào tệp “{out.resolve()}”: {_rows(done['tables'])}, "
                                              f"phiên bản dữ liệu {done['data_version']}")
    return EXIT_OK


def _cmd_restore(args: argparse.Namespace) -> int:
    src = Path(args.file)
    if not src.is_file():
        err(f"Không tìm thấy tệp {src}.")
        return EXIT_ARGS
    start = time.perf_counter()
    done = restore(src, args.db, force=args.force)
    kept = f"; tệp cũ được giữ ở {done['aside']}" if done["aside"] else ""
    print(f"Đã khôi phục {done['path']} từ {src} (sao lưu lúc {done['created_at']}): {_rows(done['tables'])}, "
          f"{fmt.number(time.perf_counter() - start, 1)} giây{kept}.")
    with from_command_line(), gate.writing(args.db) as con:
        con.execute("begin transaction")
        audit(con, operator_name(), "restore", f"khôi phục từ tệp “{src.resolve()}” (sao lưu lúc "
                                               f"{done['created_at']}): {_rows(done['tables'])}{kept}")
        # The caches came back with the snapshot; this does nothing unless they were stale in it.
        refresh_current_observations(con)
        con.execute("commit")
    return EXIT_OK


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register `backup` and `restore`."""
    p = sub.add_parser("backup", help="sao lưu toàn bộ cơ sở dữ liệu vào một tệp (được cả khi ứng dụng đang chạy)")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("-o", "--output", required=True, help="tệp sao lưu sẽ ghi, ví dụ sao_luu.zip")
    p.set_defaults(func=_cmd_backup)

    p = sub.add_parser("restore", help="khôi phục cơ sở dữ liệu từ một tệp sao lưu (tệp cũ được giữ lại)")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("file", help="tệp sao lưu do lệnh backup tạo")
    p.add_argument("--force", action="store_true",
                   help="khôi phục cả khi cơ sở dữ liệu đích đã có số liệu (tệp cũ vẫn được giữ bên cạnh)")
    p.set_defaults(func=_cmd_restore)
