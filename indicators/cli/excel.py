"""CLI subcommands for Excel in/out: template, import, export, history, revert.

`add_cli(sub)` registers them on the `python -m indicators` subparsers. Every handler returns
an exit code:
  0  done (or, for import, nothing rejected: a dry run that would import, or a file already in)
  1  rejected: errors in the file, no data rows in it (the reason is in the JSON's errors too),
     or the file was refused before reading (unsafe, not a supported spreadsheet)
  2  bad arguments (unknown locality, unknown upload)
  4  import held back: warnings need --confirm-warnings
  5  permission denied (unknown account, role or locality scope)
StoreError (database in use…) is left to indicators.cli.main, which prints it and exits 3.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from indicators.auth.accounts import PermissionDenied
from indicators.cli.common import (EXIT_ARGS, EXIT_DENIED, EXIT_HELD, EXIT_OK, EXIT_REJECTED, attempt, err,
                                   known_locality, opened)
from indicators.store import gate
from indicators.text import fmt


def _cmd_template(args: argparse.Namespace) -> int:
    from indicators.excel.template import write_template
    with opened(args.db, read_only=True) as con:
        if known_locality(con, args.locality) is None:
            return EXIT_ARGS
        n = write_template(con, args.locality, args.output)
    print(f"Đã ghi mẫu {args.output}: {fmt.number(n, 0)} dòng cần điền.")
    return EXIT_OK


def _print_preview(pv, result, fmt_kind: str, dry_run: bool) -> None:
    if fmt_kind == "json":
        out = pv.summary()
        out["dry_run"] = dry_run
        out["committed"] = bool(result and not result.already_committed)
        out["upload_id"] = result.upload_id if result else None
        out["message"] = result.message if result else None
        if result is None and not pv.already_committed and len(pv.validation.rows) and pv.notice:
            out["message"] = pv.notice   # the same values again: nothing to import
        if not pv.errors and not pv.already_committed and pv.validation.rows.empty:
            # No data rows is a rejection (exit 1): its reason is an error like any other.
            out["errors"].append({"sheet": "", "row": None, "column": "", "value": "", "code": "no_data_rows",
                                  "message": pv.notice, "severity": "error"})
            out["n_errors"] = len(out["errors"])
            out["message"] = pv.notice
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        return
    for layout in pv.layouts:   # an officer's own report sheet: how it was read, first
        _print_layout(layout)
    print(f"Tệp {pv.file_name}: {fmt.number(pv.n_rows, 0)} dòng số liệu; mới {fmt.number(pv.n_new, 0)}, "
          f"thay đổi {fmt.number(pv.n_changed, 0)}, không đổi {fmt.number(pv.n_unchanged, 0)}, "
          f"bị từ chối {fmt.number(pv.n_rejected, 0)}.")
    for p in pv.errors:
        print(f"LỖI      {p.message}")
    for p in pv.warnings:
        print(f"CẢNH BÁO {p.message}")
    if result:
        print(result.message)


def _print_layout(layout: dict) -> None:
    """How a report sheet was read, as the upload page shows it: whose figures, columns, rows."""
    from indicators.excel.layout import LOCALITY_HOW, ROLE_TEXT
    kind = "mỗi dòng một chỉ tiêu" if layout["kind"] == "indicators_as_rows" else "mỗi dòng một địa phương"
    print(f"Trang “{layout['sheet']}”: bảng báo cáo, {kind}, dòng tiêu đề {layout['header_row']}"
          + (" (cách đọc đã được xác nhận)" if layout.get("confirmed") else ""))
    if layout.get("locality"):
        print(f"  Số liệu của: mã {layout['locality']['code']} ({LOCALITY_HOW.get(layout.get('locality_how', ''), '')})")
    for c in layout["columns"]:
        what = f"số liệu kỳ {fmt.period(c['period'])}" if c["role"] == "period" else ROLE_TEXT.get(c["role"], c["role"])
        print(f"  Cột {c['letter']} “{c['header']}”: {what}" + (f" – {c['reason']}" if c.get("reason") else ""))
    for r in layout["rows"]:
        m = r.get("match") or {}
        how = {"exact": "chắc chắn", "guess": f"đoán {m.get('score', 0):.0f}%", "confirmed": "đã xác nhận"}.get(
            m.get("how"), "không nhận ra")
        print(f"  Dòng {r['row']} “{r['label']}”: {m.get('code') or '—'} ({how})"
              + (f" – {r['reason']}" if r.get("reason") else ""))


def _cmd_import(args: argparse.Namespace) -> int:
    from indicators.excel.importer import ImportRefused, import_file
    from indicators.excel.safety import UnsafeFile
    # The preview reads beside the app; only the commit waits for its turn to write.
    try:
        done, code = attempt(lambda: import_file(gate.target(args.db), args.file, args.user,
                                                 dry_run=args.dry_run, confirm_warnings=args.confirm_warnings,
                                                 locality=args.locality),
                             {PermissionDenied: EXIT_DENIED, ImportRefused: EXIT_REJECTED})
    except FileNotFoundError:
        err(f"Không tìm thấy tệp {args.file}.")
        return EXIT_ARGS
    except UnsafeFile as exc:
        if args.format == "json":
            print(json.dumps({"file_name": Path(args.file).name, "refused": str(exc), "errors": [
                {"sheet": "", "row": None, "column": "", "value": "", "code": "unsafe_file", "message": str(exc),
                 "severity": "error"}]}, ensure_ascii=False, indent=2))
        else:
            err(str(exc))
        return EXIT_REJECTED
    if done is None:
        return code
    pv, result = done
    _print_preview(pv, result, args.format, args.dry_run)
    if pv.errors:
        return EXIT_REJECTED
    if pv.validation.rows.empty and not pv.already_committed:
        err(pv.notice)   # no value to import is a rejection
        return EXIT_REJECTED
    if pv.notice:        # already imported, or the same values again: nothing to do
        if args.format != "json":
            print(pv.notice)
        return EXIT_OK
    if pv.warnings and not args.confirm_warnings and not args.dry_run:
        err(f"Chưa nhập: có {len(pv.warnings)} cảnh báo. Kiểm tra rồi chạy lại với --confirm-warnings.")
        return EXIT_HELD
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from indicators.excel.export import export
    with opened(args.db, read_only=True) as con:
        if known_locality(con, args.locality) is None:
            return EXIT_ARGS
        try:
            n = export(con, args.locality, args.output)
        except ValueError as exc:   # a file type other than .xlsx or .csv
            err(str(exc))
            return EXIT_ARGS
    print(f"Đã ghi {args.output}: {fmt.number(n, 0)} giá trị hiện hành.")
    return EXIT_OK


def _cmd_history(args: argparse.Namespace) -> int:
    from indicators.excel.importer import history, recent_uploads
    with opened(args.db, read_only=True) as con:
        frame = recent_uploads(con, args.limit) if args.uploads or not args.locality \
            else history(con, args.locality, args.indicator)
    if args.format == "json":
        print(frame.to_json(orient="records", force_ascii=False, date_format="iso", indent=2))
    else:
        print(frame.to_string(index=False) if len(frame) else "Không có dữ liệu.")
    return EXIT_OK


def _cmd_revert(args: argparse.Namespace) -> int:
    from indicators.excel.importer import ImportRefused, revert
    with opened(args.db) as con:
        message, code = attempt(lambda: revert(con, args.upload_id, args.user),
                                {PermissionDenied: EXIT_DENIED, ImportRefused: EXIT_ARGS})
    if message:
        print(message)
    return code


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register template, import, export, history and revert on `python -m indicators`."""
    p = sub.add_parser("template", help="tạo tệp mẫu Excel để điền số liệu cho một địa phương")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--locality", required=True, help="mã địa phương: 12, 01, 09931")
    p.add_argument("-o", "--output", required=True, help="tệp .xlsx sẽ ghi")
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser("import", help="kiểm tra và nhập một tệp Excel số liệu (mã thoát 0: không dòng nào bị từ chối)")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("file", help="tệp .xlsx (cũng nhận .xls, .ods, .xlsb, .csv)")
    p.add_argument("--user", required=True, help="tên đăng nhập của người nhập (cán bộ hoặc quản trị)")
    p.add_argument("--dry-run", action="store_true",
                   help="chỉ kiểm tra, không nhập số liệu (dòng bị từ chối vì phạm vi vẫn được ghi vào nhật ký)")
    p.add_argument("--confirm-warnings", action="store_true", help="xác nhận các cảnh báo (giá trị bất thường…)")
    p.add_argument("--locality", help="bảng báo cáo không ghi địa phương: số liệu của mã này (trong phạm vi "
                   "của tài khoản); mặc định là địa phương của tài khoản")
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("export", help="xuất giá trị hiện hành của một địa phương (và các xã) ra .xlsx hoặc .csv")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--locality", required=True)
    p.add_argument("-o", "--output", required=True, help="tệp .xlsx hoặc .csv")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("history", help="lịch sử số liệu của một địa phương × chỉ tiêu, hoặc các lần nhập")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--locality")
    p.add_argument("--indicator")
    p.add_argument("--uploads", action="store_true", help="liệt kê các lần nhập gần nhất")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.set_defaults(func=_cmd_history)

    p = sub.add_parser("revert", help="hoàn tác một lần nhập (chỉ quản trị)")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("upload_id", type=int)
    p.add_argument("--user", required=True, help="tên đăng nhập của quản trị viên")
    p.set_defaults(func=_cmd_revert)
