"""`approval`: submit, approve and return a locality's reporting period, list the states, and grant
or revoke the permission to approve (README, "Vai trò và quyền duyệt").

    approval submit|approve|return --locality CODE --period P --user NAME [--reason TEXT]
    approval list --locality CODE [--format json|table]
    approval history --locality CODE [--period P] [--format json|table]
    approval grant|revoke --user ADMIN --account NAME

Exit codes: 0 done; 2 bad arguments (unknown locality, a period that cannot be read, no
account); 5 refused (wrong role, wrong scope, wrong state, no reason: the sentence says which,
and the refusal is in the audit log). Writes go through store.gate.writing, reads through
store.gate.reading.
"""
from __future__ import annotations

import argparse
import json

from indicators.auth import approval
from indicators.auth.accounts import AccountError, PermissionDenied
from indicators.cli.common import EXIT_ARGS, EXIT_DENIED, EXIT_OK, attempt, err, known_locality, opened
from indicators.excel.cells import CellError, parse_period

REFUSALS = {PermissionDenied: EXIT_DENIED, approval.ApprovalInputError: EXIT_ARGS, AccountError: EXIT_ARGS}
COLUMNS = {"period_label": "Kỳ", "state_label": "Trạng thái", "changed_by_name": "Người thực hiện",
           "changed_at": "Thời điểm", "reason": "Lý do"}


def _period(text: str) -> str | None:
    """The store's form of a period as typed ('Quý I/2026', '2026-Q1', '6/2026'…), or None after
    saying why on stderr."""
    try:
        return parse_period(text)
    except CellError as exc:
        err(f"Kỳ báo cáo “{text}” không đọc được; cần {exc.expected}.")
        return None


def _cmd_change(args: argparse.Namespace) -> int:
    period = _period(args.period)
    if period is None:
        return EXIT_ARGS
    if args.approval_command != "return" and args.reason:
        err("--reason chỉ dùng với “return” (trả lại).")
        return EXIT_ARGS
    with opened(args.db) as con:
        if known_locality(con, args.locality) is None:
            return EXIT_ARGS
        act = {"submit": lambda: approval.submit(con, args.locality, period, args.user),
               "approve": lambda: approval.approve(con, args.locality, period, args.user),
               "return": lambda: approval.return_period(con, args.locality, period, args.user, args.reason)}
        done, code = attempt(act[args.approval_command], REFUSALS)
    if done is not None:
        print(done.message)
    return code


def _records(frame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", force_ascii=False, date_format="iso"))


def _cmd_list(args: argparse.Namespace) -> int:
    period = _period(args.period) if getattr(args, "period", None) else None
    if getattr(args, "period", None) and period is None:
        return EXIT_ARGS
    with opened(args.db, read_only=True) as con:
        place = known_locality(con, args.locality)
        if place is None:
            return EXIT_ARGS
        frame = (approval.approval_list(con, args.locality) if args.approval_command == "list"
                 else approval.approval_history(con, args.locality, period))
    if args.format == "json":
        print(json.dumps({"locality_code": place["locality_code"], "locality_name": place["name"],
                          "periods" if args.approval_command == "list" else "changes": _records(frame)},
                         ensure_ascii=False, indent=2))
        return EXIT_OK
    if frame.empty:
        print(f"{place['name']}: chưa có kỳ báo cáo nào có số liệu hoặc đã được nộp.")
        return EXIT_OK
    if args.approval_command == "list":
        shown = frame.assign(changed_at=frame["changed_at"].dt.strftime("%d/%m/%Y %H:%M"))[list(COLUMNS)]
        shown = shown.rename(columns=COLUMNS).fillna("")
    else:
        shown = frame.assign(changed_at=frame["changed_at"].dt.strftime("%d/%m/%Y %H:%M"),
                             period=[approval.period_label(p) for p in frame["period"]],
                             from_state=frame["from_state"].map(approval.STATE_LABELS),
                             to_state=frame["to_state"].map(approval.STATE_LABELS)).fillna("")
    print(f"{place['name']} ({place['locality_code']})")
    print(shown.to_string(index=False))
    return EXIT_OK


def _cmd_permission(args: argparse.Namespace) -> int:
    with opened(args.db) as con:
        act = approval.grant if args.approval_command == "grant" else approval.revoke
        message, code = attempt(lambda: act(con, args.user, args.account), REFUSALS)
    if message:
        print(message)
    return code


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register `approval` and its subcommands on `python -m indicators`."""
    p = sub.add_parser("approval", help="nộp, duyệt, trả lại kỳ báo cáo; cấp quyền duyệt")
    p.add_argument("--db", default=argparse.SUPPRESS)
    commands = p.add_subparsers(dest="approval_command", required=True)
    for name, help_text in (("submit", "nộp kỳ báo cáo (cán bộ nhập liệu của địa phương)"),
                            ("approve", "duyệt kỳ đã nộp (cấp trên: người có quyền duyệt của tỉnh, quản trị)"),
                            ("return", "trả lại kỳ đã nộp hoặc đã duyệt, kèm lý do (người duyệt)")):
        c = commands.add_parser(name, help=help_text)
        c.add_argument("--db", default=argparse.SUPPRESS)
        c.add_argument("--locality", required=True, help="mã địa phương: 12, 09931")
        c.add_argument("--period", required=True, help="kỳ: 2026, 2026-Q1 (Quý I/2026), 2026-06 (Tháng 6/2026)")
        c.add_argument("--user", required=True, help="tên đăng nhập của người thực hiện")
        c.add_argument("--reason", help="lý do (bắt buộc khi trả lại)")
        c.set_defaults(func=_cmd_change)
    for name, help_text in (("list", "trạng thái từng kỳ của một địa phương: ai, khi nào, lý do"),
                            ("history", "mọi lần thay đổi trạng thái của một địa phương (× kỳ)")):
        c = commands.add_parser(name, help=help_text)
        c.add_argument("--db", default=argparse.SUPPRESS)
        c.add_argument("--locality", required=True)
        if name == "history":
            c.add_argument("--period")
        c.add_argument("--format", choices=["json", "table"], default="table")
        c.set_defaults(func=_cmd_list)
    for name, help_text in (("grant", "cấp quyền duyệt cho một tài khoản phạm vi tỉnh (quản trị)"),
                            ("revoke", "thu hồi quyền duyệt (quản trị)")):
        c = commands.add_parser(name, help=help_text)
        c.add_argument("--db", default=argparse.SUPPRESS)
        c.add_argument("--user", required=True, help="tên đăng nhập của quản trị viên thực hiện")
        c.add_argument("--account", required=True, help="tài khoản được cấp hoặc thu hồi quyền")
        c.set_defaults(func=_cmd_permission)
