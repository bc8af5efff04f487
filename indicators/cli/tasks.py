"""`tasks`: a plan's tasks, what is overdue, the report template, importing reports, the quarterly
report (README, "Nhiệm vụ của kế hoạch").

    tasks list --plan 71/KH-UBND [--as-of DATE] [--agency TEXT] [--overdue] [--format json|table]
    tasks template --plan 71/KH-UBND [--user NAME] -o FILE.xlsx
    tasks import FILE --user NAME [--dry-run]
    tasks report --plan 71/KH-UBND --quarter 2026-Q4 -o FILE.xlsx|FILE.pdf
    tasks agency grant|revoke --user ADMIN --account NAME --agency CODE

Exit codes: 0 done; 1 a file with errors; 2 bad arguments (unknown plan, a date or quarter that
cannot be read); 5 refused (the account may not report those tasks: audited).
"""
from __future__ import annotations

import argparse
import json
from datetime import date

import pandas as pd

from indicators.auth.accounts import AccountError, PermissionDenied
from indicators.cli import tasks_excel, tasks_report
from indicators.cli.common import EXIT_ARGS, EXIT_DENIED, EXIT_OK, attempt, err, opened
from indicators.store.connection import StoreError
from indicators.tasks import listing, reports
from indicators.tasks.states import LABELS_VI
from indicators.text import fmt

# The JSON of `tasks list`, per task, in this order (issue 15).
JSON_FIELDS = ("plan", "group_no", "task_no", "title", "lead_agencies", "deadline_text", "deadline_date", "state",
               "overdue", "days_late", "last_report_on", "partner_agencies", "product", "team", "directed_by",
               "reported_state", "last_report_period", "result", "product_ref", "completed_on", "needs", "needs_from")


def _date(text: str | None) -> date | None:
    if not text:
        return date.today()
    for parse in (date.fromisoformat, lambda t: date(*reversed([int(x) for x in t.split("/")]))):
        try:
            return parse(text.strip())
        except (ValueError, TypeError):
            continue
    err(f"Ngày “{text}” không đọc được; cần dạng 2026-12-02 hoặc 02/12/2026.")
    return None


def _iso(value) -> str | None:
    if value is None or pd.isna(value):
        return None
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)[:10]


def task_records(frame, plan_number: str) -> list[dict]:
    """The JSON rows of `tasks list`: JSON_FIELDS per task."""
    out = []
    for r in frame.to_dict("records"):
        out.append({
            "plan": plan_number, "group_no": int(r["group_no"]), "task_no": r["task_no"], "title": r["title"],
            "lead_agencies": list(r["lead_agencies"]), "deadline_text": r["deadline_text"],
            "deadline_date": _iso(r["deadline_date"]), "state": r["state"], "overdue": bool(r["is_overdue"]),
            "days_late": int(r["days_late"]), "last_report_on": _iso(r["last_report_at"]),
            "partner_agencies": list(r["partner_agencies"]), "product": r["product"],
            "team": r["team_label"], "directed_by": r["directed_by"],
            "reported_state": r["reported_state"] if isinstance(r["reported_state"], str) else None,
            "last_report_period": r["last_report_period"] if isinstance(r["last_report_period"], str) else None,
            **{k: (r[k] if isinstance(r[k], str) else None) for k in ("result", "product_ref", "needs", "needs_from")},
            "completed_on": _iso(r["completed_on"]),
        })
    return out


def _cmd_list(args: argparse.Namespace) -> int:
    as_of = _date(args.as_of)
    if as_of is None:
        return EXIT_ARGS
    with opened(args.db, read_only=True) as con:
        try:
            plan_code = listing.resolve_plan(con, args.plan)
        except StoreError as exc:
            err(str(exc))
            return EXIT_ARGS
        number = con.execute("select number from plan where plan_code = $p", {"p": plan_code}).fetchone()[0]
        frame = listing.task_list(con, plan_code, as_of, agency=args.agency, overdue_only=args.overdue)
    if args.format == "json":
        print(json.dumps({"plan": number, "plan_code": plan_code, "as_of": as_of.isoformat(),
                          "n_tasks": len(frame), "tasks": task_records(frame, number)},
                         ensure_ascii=False, indent=2))
        return EXIT_OK
    what = "quá hạn" if args.overdue else ""
    print(f"Kế hoạch {number}: {len(frame)} nhiệm vụ {what} tính đến {as_of:%d/%m/%Y}".replace("  ", " "))
    for r in frame.to_dict("records"):
        late = f", trễ {fmt.number(r['days_late'], 0)} ngày" if r["days_late"] else ""
        print(f"  {r['task_no']:>5}  {LABELS_VI[r['state']]:<19} hạn {fmt.date(_iso(r['deadline_date']))}{late}"
              f"  – {'; '.join(r['lead_agencies'])}: {r['title'][:70]}")
    return EXIT_OK


def _cmd_agency(args: argparse.Namespace) -> int:
    act = reports.grant_agency if args.agency_command == "grant" else reports.revoke_agency
    with opened(args.db) as con:
        done, code = attempt(lambda: act(con, args.user, args.account, args.agency),
                             {PermissionDenied: EXIT_DENIED, AccountError: EXIT_ARGS})
    if done is not None:
        print(done)
    return code


def add_cli(sub: argparse._SubParsersAction) -> None:
    tasks = sub.add_parser("tasks", help="nhiệm vụ của kế hoạch: danh sách, quá hạn, mẫu báo cáo, nhập, báo cáo quý")
    cmds = tasks.add_subparsers(dest="tasks_command", required=True)

    p = cmds.add_parser("list", help="danh sách nhiệm vụ và tình trạng tính đến một ngày")
    p.add_argument("--plan", required=True, help="mã (HN-71-2026) hoặc số hiệu (71/KH-UBND) của kế hoạch")
    p.add_argument("--as-of", help="tính đến ngày (mặc định hôm nay): 2026-12-02 hoặc 02/12/2026")
    p.add_argument("--agency", help="chỉ nhiệm vụ do cơ quan này chủ trì (mã hoặc tên: “tài chính”)")
    p.add_argument("--overdue", action="store_true", help="chỉ nhiệm vụ quá hạn, trễ nhiều nhất trước")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=_cmd_list)

    tasks_excel.add(cmds)    # template, import
    tasks_report.add(cmds)   # report

    p = cmds.add_parser("agency", help="gán hoặc bỏ gán cơ quan mà một tài khoản báo cáo nhiệm vụ")
    p.add_argument("agency_command", choices=("grant", "revoke"))
    p.add_argument("--user", required=True, help="quản trị viên thực hiện")
    p.add_argument("--account", required=True, help="tài khoản được gán")
    p.add_argument("--agency", required=True, help="mã cơ quan (so_tai_chinh, so_y_te …)")
    p.set_defaults(func=_cmd_agency)
