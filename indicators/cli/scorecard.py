"""`scorecard`: the leaders' overview for a scope, as counts, JSON or CSV."""
from __future__ import annotations

import argparse
import sys

from indicators.cli.common import EXIT_ARGS, EXIT_OK, err, opened
from indicators.progress import scorecard as sc
from indicators.progress.statuses import DEFAULT_TARGET_YEAR, STATUS_LABELS_VI, STATUSES
from indicators.text import fmt


def _cmd_scorecard(args: argparse.Namespace) -> int:
    if args.scope != "country" and not args.province:
        err("Phạm vi 'province' và 'communes' cần --province (mã tỉnh 2 chữ số, ví dụ 01).")
        return EXIT_ARGS
    with opened(args.db, read_only=not args.refresh) as con:
        if args.refresh:
            con.execute("begin transaction")
            mode = sc.refresh_current_observations(con)["mode"]
            con.execute("commit")
            err(f"Bộ nhớ đệm số liệu hiện hành: {mode}.")
        if args.province and not sc.is_province(con, args.province):
            err(f"Không có tỉnh/thành mã '{args.province}'.")
            return EXIT_ARGS
        if args.indicator and not sc.is_indicator(con, args.indicator):
            err(f"Không có chỉ tiêu mã '{args.indicator}'.")
            return EXIT_ARGS
        cells = sc.scorecard(con, args.scope, args.province, args.year, indicator=args.indicator)
    if args.format == "json":
        print(cells.to_json(orient="records", force_ascii=False, indent=2))
    elif args.format == "csv":
        cells.to_csv(sys.stdout, index=False)
    else:
        counts = sc.status_counts(cells)
        print(f"Bảng điểm ({args.scope}{' ' + args.province if args.province else ''}), "
              f"năm mục tiêu {args.year}: {fmt.number(len(cells), 0)} ô")
        for status in STATUSES:
            print(f"  {STATUS_LABELS_VI[status]:<16} {fmt.number(counts[status], 0):>9}")
    return EXIT_OK


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register `scorecard`."""
    p = sub.add_parser("scorecard", help="bảng điểm: trạng thái mọi chỉ tiêu của các địa phương trong phạm vi")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--scope", choices=list(sc.SCOPE_KINDS), default="country",
                   help="toàn quốc, một tỉnh (cùng các xã), hoặc các xã của một tỉnh")
    p.add_argument("--province", help="mã tỉnh: 01, 12")
    p.add_argument("--year", type=int, default=DEFAULT_TARGET_YEAR, help="năm mục tiêu (mặc định 2030)")
    p.add_argument("--indicator", help="chỉ một chỉ tiêu")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.add_argument("--refresh", action="store_true",
                   help="cập nhật bộ nhớ đệm số liệu hiện hành trước (mở cơ sở dữ liệu để ghi)")
    p.set_defaults(func=_cmd_scorecard)
