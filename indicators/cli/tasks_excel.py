"""`tasks template` and `tasks import`: the task report template of a plan, and importing it.

    tasks template --plan 71/KH-UBND [--user NAME] [--quarter "Quý IV/2026"] -o FILE.xlsx
    tasks import FILE --user NAME [--dry-run] [--format json|table]

Exit codes (cli/tasks.py): 0 done (or nothing to change); 1 a file with errors, without any
report, or refused before reading (unsafe, not a spreadsheet); 2 bad arguments (unknown plan, a
quarter that cannot be read, a missing file); 5 refused: the account may not report those
tasks (audited), or has none to report. The preview reads beside the app (store.gate); only the
commit waits for its turn to write.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from indicators.auth.accounts import PermissionDenied
from indicators.cli.common import EXIT_ARGS, EXIT_DENIED, EXIT_OK, EXIT_REJECTED, attempt, err, opened
from indicators.excel.safety import UnsafeFile
from indicators.store import gate
from indicators.store.audit import from_command_line
from indicators.store.connection import StoreError
from indicators.tasks.sheets import task_import, template
from indicators.tasks.reports import ReportRefused
from indicators.tasks.states import label
from indicators.text import fmt


def _cmd_template(args: argparse.Namespace) -> int:
    with opened(args.db, read_only=True) as con:
        data, code = attempt(lambda: template.write_template(con, args.plan, args.user, args.quarter),
                             {StoreError: EXIT_ARGS, template.BadQuarter: EXIT_ARGS,
                              PermissionDenied: EXIT_DENIED, template.TemplateRefused: EXIT_DENIED})
    if data is None:
        return code
    Path(args.output).write_bytes(data)
    print(f"Đã ghi mẫu báo cáo nhiệm vụ {args.output}.")
    return EXIT_OK


def _print_table(pv: task_import.TaskPreview, upload_id: int | None) -> None:
    print(f"Tệp {pv.file_name}" + (f", kế hoạch {fmt.plan_number(pv.plan_number)}" if pv.plan_number else "")
          + f": {fmt.number(pv.n_rows, 0)} dòng báo cáo; mới {fmt.number(pv.n_new, 0)}, thay đổi "
          f"{fmt.number(pv.n_changed, 0)}, không đổi {fmt.number(pv.n_unchanged, 0)}, bị từ chối "
          f"{fmt.number(pv.n_rejected, 0)}; bỏ qua {fmt.number(pv.n_blank, 0)} dòng để trống.")
    if pv.refusal:
        print(f"TỪ CHỐI  {pv.refusal}")
    for p in pv.errors:
        print(f"LỖI      {p.message}")
    for p in pv.warnings:
        print(f"CẢNH BÁO {p.message}")
    for r in pv.report_rows():
        if r["change"] == "unchanged":
            continue
        was = f"{label(r['old_state'])} → " if r["old_state"] else ""
        print(f"  {'MỚI' if r['change'] == 'new' else 'ĐỔI'}  nhiệm vụ {r['task_no']:>5}, {fmt.period(r['period'])}: "
              f"{was}{label(r['state'])}")
    if upload_id is not None:
        print(task_import.committed_message(pv, upload_id))


def _refused_file(args: argparse.Namespace, message: str, code: str) -> None:
    if args.format == "json":
        print(json.dumps({"file_name": Path(args.file).name, "refused": message, "errors": [
            {"sheet": "", "row": None, "column": "", "value": "", "code": code, "message": message,
             "severity": "error"}]}, ensure_ascii=False, indent=2))
    else:
        err(message)


def _cmd_import(args: argparse.Namespace) -> int:
    try:
        with from_command_line():
            done, code = attempt(lambda: task_import.import_file(gate.target(args.db), args.file, args.user,
                                                                 dry_run=args.dry_run),
                                 {PermissionDenied: EXIT_DENIED, ReportRefused: EXIT_REJECTED})
    except FileNotFoundError:
        err(f"Không tìm thấy tệp {args.file}.")
        return EXIT_ARGS
    except UnsafeFile as exc:
        _refused_file(args, str(exc), "unsafe_file")
        return EXIT_REJECTED
    if done is None:
        return code
    pv, upload_id = done
    if args.format == "json":
        out = pv.summary()
        out.update(dry_run=args.dry_run, committed=upload_id is not None, task_upload_id=upload_id,
                   message=task_import.committed_message(pv, upload_id) if upload_id else pv.notice)
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    else:
        _print_table(pv, upload_id)
    if pv.refusal:
        return EXIT_DENIED
    if pv.errors:
        return EXIT_REJECTED
    if not pv.n_rows:
        err(pv.notice)   # no report in the file is a rejection
        return EXIT_REJECTED
    if pv.notice and args.format != "json":
        print(pv.notice)   # the same reports again: nothing to do
    if args.dry_run and pv.can_commit and args.format != "json":
        print(f"Kiểm tra thử (--dry-run): chưa ghi; {fmt.number(len(pv.to_record), 0)} báo cáo sẽ được ghi.")
    return EXIT_OK


def add(cmds: argparse._SubParsersAction) -> None:
    """Register `template` and `import` under `tasks`."""
    p = cmds.add_parser("template", help="tạo tệp mẫu Excel báo cáo tiến độ nhiệm vụ của một kế hoạch")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--plan", required=True, help="mã (HN-71-2026) hoặc số hiệu (71/KH-UBND) của kế hoạch")
    p.add_argument("--user", help="chỉ các nhiệm vụ tài khoản này được báo cáo (cơ quan của tài khoản chủ trì); "
                   "mặc định: mọi nhiệm vụ")
    p.add_argument("--quarter", help="quý báo cáo điền sẵn: “Quý IV/2026” hoặc 2026-Q4 (mặc định quý hiện tại)")
    p.add_argument("-o", "--output", required=True, help="tệp .xlsx sẽ ghi")
    p.set_defaults(func=_cmd_template)

    p = cmds.add_parser("import", help="kiểm tra và ghi báo cáo tiến độ nhiệm vụ từ một tệp Excel")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("file", help="tệp mẫu đã điền (.xlsx; cũng nhận .xls, .ods, .xlsb, .csv)")
    p.add_argument("--user", required=True, help="tên đăng nhập của người báo cáo (cán bộ của cơ quan chủ trì "
                   "hoặc quản trị)")
    p.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi (lần bị từ chối vì nhiệm vụ của "
                   "cơ quan khác vẫn được ghi vào nhật ký)")
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.set_defaults(func=_cmd_import)
