"""`tasks report`: the quarterly report of a plan's tasks as .xlsx or .pdf.

    tasks report --plan 71/KH-UBND --quarter 2026-Q4 [--as-of DATE] -o FILE.xlsx|FILE.pdf

Exit codes: 0 written; 2 bad arguments (unknown plan, a quarter or date that cannot be read, a
quarter not begun, another file type, a folder that does not exist); 4 the PDF cannot be
printed (no Chromium, or it failed) – the message names the package to install.
"""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from indicators.cli.common import EXIT_ARGS, EXIT_HELD, EXIT_OK, err, opened
from indicators.present.render import RenderError
from indicators.store.connection import StoreError
from indicators.tasks import listing
from indicators.tasks.report import quarterly, quarterly_print, quarterly_sheets

KINDS = (".xlsx", ".pdf")


def _as_of(text: str | None) -> date | None:
    """The date typed (2026-12-02 or 02/12/2026); raises QuarterlyError with a sentence."""
    if not text:
        return None
    for parse in (date.fromisoformat, lambda t: date(*reversed([int(x) for x in t.split("/")]))):
        try:
            return parse(text.strip())
        except (ValueError, TypeError):
            continue
    raise quarterly.QuarterlyError(f"Ngày “{text}” không đọc được; cần dạng 2026-12-02 hoặc 02/12/2026.")


def _check_output(path: str) -> str | None:
    """Why `path` cannot be written as a report, checked before anything is read; None when it can."""
    suffix = Path(path).suffix.lower()
    if suffix not in KINDS:
        return (f"Không ghi được báo cáo quý vào “{path}”: hãy đặt tên tệp đuôi .xlsx (bảng tính) hoặc .pdf "
                "(bản in).")
    folder = Path(path).expanduser().resolve().parent
    if not folder.is_dir():
        return f"Không ghi được tệp {path}: thư mục {folder} không tồn tại."
    return None


def _cmd_report(args: argparse.Namespace) -> int:
    if reason := _check_output(args.output):
        err(reason)
        return EXIT_ARGS
    try:
        quarter = quarterly.read_quarter(args.quarter)
        as_of = _as_of(args.as_of)
        with opened(args.db, read_only=True) as con:
            plan_code = listing.resolve_plan(con, args.plan)
            q = quarterly.content(con, plan_code, quarter, as_of)
            parts = quarterly.sections(q)
    except (quarterly.QuarterlyError, StoreError) as exc:
        err(str(exc))
        return EXIT_ARGS
    # The file is drawn after the database is let go: printing takes Chromium seconds.
    try:
        data = (quarterly_print.pdf(q, parts) if args.output.lower().endswith(".pdf")
                else quarterly_sheets.workbook(q, parts))
    except RenderError as exc:
        err(str(exc))
        return EXIT_HELD
    try:
        Path(args.output).expanduser().write_bytes(data)
    except OSError as exc:
        err(f"Không ghi được tệp {args.output}: {exc.strerror or exc}.")
        return EXIT_ARGS
    print(f"Đã ghi {args.output}: báo cáo {q.quarter_label} của {q.plan_name} – {len(q.tasks)} nhiệm vụ, "
          f"{q.n_overdue} quá hạn, {q.n_in_quarter} có báo cáo trong quý; {q.as_of_line[0].lower()}{q.as_of_line[1:]}.")
    return EXIT_OK


def add(cmds: argparse._SubParsersAction) -> None:
    """Register `report` under `tasks`."""
    p = cmds.add_parser("report", help="báo cáo quý về các nhiệm vụ của kế hoạch: bảng tính .xlsx hoặc bản in .pdf")
    p.add_argument("--plan", required=True, help="mã (HN-71-2026) hoặc số hiệu (71/KH-UBND) của kế hoạch")
    p.add_argument("--quarter", required=True, help="quý báo cáo: 2026-Q4 hoặc “Quý IV/2026”")
    p.add_argument("--as-of", help="tính đến ngày (mặc định: ngày cuối quý, hoặc hôm nay nếu quý đang diễn ra)")
    p.add_argument("-o", "--output", required=True, help="tệp cần ghi: .xlsx hoặc .pdf")
    p.set_defaults(func=_cmd_report)
