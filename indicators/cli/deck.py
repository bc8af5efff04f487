"""`deck` and `report` subcommands of `python -m indicators` (registered by `add_cli`).

The deck of a locality whose plans have tasks ends with their task board (tasks/board.py).

Exit codes: 0 written; 2 a request that cannot be served (unknown locality, no targets, an
output folder that does not exist);
4 charts cannot be drawn (no Chromium, or it failed) – the message names the package to install.
"""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from indicators.cli.common import EXIT_ARGS, EXIT_HELD, attempt, err, opened
from indicators.present.deck import DeckError, build_deck
from indicators.present.render import RenderError
from indicators.progress.statuses import DEFAULT_TARGET_YEAR
from indicators.tasks.report.board import locality_boards


def _unwritable(path: str) -> str | None:
    """Why `path` cannot be written, checked before the charts are drawn; None when it can."""
    folder = Path(path).expanduser().resolve().parent
    if not folder.is_dir():
        return f"Không ghi được tệp {path}: thư mục {folder} không tồn tại."
    return None


def _write(args: argparse.Namespace, build):
    """Run `build(con)` for an export: (info, 0), or (None, exit code) after one sentence on stderr."""
    if reason := _unwritable(args.output):
        err(reason)
        return None, EXIT_ARGS
    with opened(args.db, read_only=True) as con:
        try:
            return attempt(lambda: build(con), {DeckError: EXIT_ARGS, RenderError: EXIT_HELD})
        except OSError as exc:
            err(f"Không ghi được tệp {args.output}: {exc.strerror or exc}.")
            return None, EXIT_ARGS


def _cmd_deck(args: argparse.Namespace) -> int:
    info, code = _write(args, lambda con: build_deck(con, args.locality, args.output, args.year, args.order,
                                                          approved_only=args.approved_only,
                                                          extra_slides=locality_boards(con, args.locality, date.today())))
    if info is None:
        return code
    tasks = f", {len(info.task_slides)} trang nhiệm vụ" if info.task_slides else ""
    print(f"Đã ghi {args.output}: {info.n_slides} trang chiếu ({len(info.chart_slides)} biểu đồ, "
          f"{len(info.table_slides)} trang bảng{tasks}) – {info.locality_name}.")
    if info.has_illustrative:
        print("Lưu ý: bộ trình chiếu có DỮ LIỆU MINH HỌA (đã ghi rõ trên từng trang).")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from indicators.present.report import build_report  # imported on use: only this command needs it
    info, code = _write(args, lambda con: build_report(con, args.locality, args.output, args.year,
                                                            approved_only=args.approved_only))
    if info is None:
        return code
    print(f"Đã ghi {args.output}: báo cáo {info.n_pages} trang (1 trang tổng hợp, "
          f"{len(info.groups)} nhóm chỉ tiêu) – {info.locality_name}.")
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register `deck` and `report` on the main parser's subparsers."""
    p = sub.add_parser("deck", help="bộ trình chiếu PowerPoint (.pptx) của một địa phương")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--locality", required=True, help="mã địa phương: 12, 01, 09931")
    p.add_argument("-o", "--output", required=True, help="tệp .pptx cần ghi")
    p.add_argument("--year", type=int, default=DEFAULT_TARGET_YEAR, help="năm mục tiêu (mặc định 2030)")
    p.add_argument("--order", choices=["indicator", "offtrack"], default="indicator",
                   help="indicator: theo nhóm chỉ tiêu; offtrack: chệch hướng và cần tăng tốc trước")
    p.add_argument("--approved-only", action="store_true",
                   help="chỉ tính số liệu của các kỳ báo cáo đã được duyệt (mặc định: mọi số liệu đã báo cáo)")
    p.set_defaults(func=_cmd_deck)

    p = sub.add_parser("report", help="báo cáo PDF để in (A4 ngang) của một địa phương")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--locality", required=True, help="mã địa phương: 12, 01, 09931")
    p.add_argument("-o", "--output", required=True, help="tệp .pdf cần ghi")
    p.add_argument("--year", type=int, default=DEFAULT_TARGET_YEAR, help="năm mục tiêu (mặc định 2030)")
    p.add_argument("--approved-only", action="store_true",
                   help="chỉ tính số liệu của các kỳ báo cáo đã được duyệt (mặc định: mọi số liệu đã báo cáo)")
    p.set_defaults(func=_cmd_report)
