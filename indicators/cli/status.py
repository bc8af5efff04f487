"""`status`: every target of one locality, its progress and status (table or JSON)."""
from __future__ import annotations

import argparse
import json

from indicators.cli.common import EXIT_ARGS, EXIT_OK, known_locality, opened
from indicators.progress.locality import STATUS_FIELDS, locality_progress
from indicators.progress.statuses import DEFAULT_TARGET_YEAR
from indicators.text import fmt


def status_table(rows: list[dict]) -> str:
    """The status rows as an aligned text table."""
    head = ["Chỉ tiêu", "Cơ sở", "Mục tiêu", "Mới nhất", "Dự báo", "Trạng thái", "Kế hoạch"]
    lines = []
    for r in rows:
        d, kind = r["decimals"], r["value_kind"]
        base = (f"{fmt.value(r['baseline_value'], '', d, kind)} ({r['baseline_year']})"
                if r["baseline_value"] is not None else "–")
        target = fmt.target(r["target_comparator"], r["target_value"], r["unit"], d, kind, r["target_text"])
        latest = (f"{fmt.value(r['latest_value'], r['unit'], d, kind)} ({r['latest_period']})"
                  if r["latest_value"] is not None else "–")
        lines.append([r["indicator_code"], base, f"{target} ({r['target_year']})", latest,
                      fmt.value(r["projected_value"], r["unit"], d, kind), r["status_label"],
                      fmt.plan_number(r.get("plan_number"))])   # two plans may set the same indicator
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    return "\n".join("  ".join(str(x).ljust(w) for x, w in zip(row, widths)) for row in [head, *lines])


def _cmd_status(args: argparse.Namespace) -> int:
    with opened(args.db, read_only=True) as con:
        found = known_locality(con, args.locality)
        if found is None:
            return EXIT_ARGS
        lp = locality_progress(con, args.locality, args.year)
    if args.format == "json":
        rows = [{**{k: r[k] for k in STATUS_FIELDS}, **{k: v for k, v in r.items() if k not in STATUS_FIELDS}}
                for r in lp.rows]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(f"{found['name']} ({args.locality}) – tiến độ đến năm {args.year}")
        if lp.has_illustrative:
            print("Lưu ý: có DỮ LIỆU MINH HỌA (illustrative data), không phải số liệu thật.")
        print(status_table(lp.rows) if lp.rows else "Chưa có chỉ tiêu nào trong các kế hoạch cho địa phương này.")
    return EXIT_OK


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register `status`."""
    p = sub.add_parser("status", help="tiến độ từng chỉ tiêu của một địa phương")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--locality", required=True, help="mã địa phương: 12, 01, 09931")
    p.add_argument("--year", type=int, default=DEFAULT_TARGET_YEAR, help="năm mục tiêu (mặc định 2030)")
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.set_defaults(func=_cmd_status)
