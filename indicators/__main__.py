"""Command line: `python -m indicators COMMAND ...` (see DESIGN.md, "Command line")."""
from __future__ import annotations

import argparse
import json
import sys

from . import fmt
from .status import DEFAULT_TARGET_YEAR, STATUS_FIELDS, locality_progress
from .store import StoreError, connect, database_path


def _cmd_init_db(args: argparse.Namespace) -> int:
    from .setup_db import init_db
    added = init_db(args.db, samples=not args.no_samples)
    print(f"Cơ sở dữ liệu: {added.pop('path')}")
    for table, n in added.items():
        print(f"  {table}: thêm {n} dòng")
    return 0


def _status_table(rows: list[dict]) -> str:
    head = ["Chỉ tiêu", "Cơ sở", "Mục tiêu", "Mới nhất", "Dự báo", "Trạng thái"]
    lines = []
    for r in rows:
        d = r["decimals"]
        base = f"{fmt.value(r['baseline_value'], '', d, r['value_kind'])} ({r['baseline_year']})" if r["baseline_value"] is not None else "–"
        target = fmt.target(r["target_comparator"], r["target_value"], r["unit"], d, r["value_kind"], r["target_text"])
        latest = f"{fmt.value(r['latest_value'], r['unit'], d, r['value_kind'])} ({r['latest_period']})" if r["latest_value"] is not None else "–"
        lines.append([r["indicator_code"], base, f"{target} ({r['target_year']})", latest,
                      fmt.value(r["projected_value"], r["unit"], d, r["value_kind"]), r["status_label"]])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    out = ["  ".join(str(x).ljust(w) for x, w in zip(row, widths)) for row in [head, *lines]]
    return "\n".join(out)


def _cmd_status(args: argparse.Namespace) -> int:
    con = connect(args.db, read_only=True)
    try:
        found = con.execute("select name from locality where locality_code = $c",
                            {"c": args.locality}).fetchone()
        if not found:
            print(f"Không có địa phương mã '{args.locality}'. Mã tỉnh gồm 2 chữ số (01, 12), "
                  "mã xã/phường gồm 5 chữ số (09931).", file=sys.stderr)
            return 2
        lp = locality_progress(con, args.locality, args.year)
    finally:
        con.close()
    if args.format == "json":
        rows = [{**{k: r[k] for k in STATUS_FIELDS}, **{k: v for k, v in r.items() if k not in STATUS_FIELDS}}
                for r in lp.rows]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(f"{found[0]} ({args.locality}) – tiến độ đến năm {args.year}")
        if lp.has_illustrative:
            print("Lưu ý: có DỮ LIỆU MINH HỌA (illustrative data), không phải số liệu thật.")
        print(_status_table(lp.rows) if lp.rows else "Chưa có chỉ tiêu nào trong các kế hoạch cho địa phương này.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m indicators",
                                     description="Theo dõi chỉ tiêu y tế đến 2030 (health targets to 2030).")
    parser.add_argument("--db", help=f"đường dẫn cơ sở dữ liệu (mặc định $INDICATORS_DB hoặc {database_path()})")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init-db", help="tạo hoặc cập nhật cơ sở dữ liệu, nạp danh mục chỉ tiêu")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--no-samples", action="store_true", help="không nạp dữ liệu minh họa")
    p.set_defaults(func=_cmd_init_db)

    p = sub.add_parser("status", help="tiến độ từng chỉ tiêu của một địa phương")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--locality", required=True, help="mã địa phương: 12, 01, 09931")
    p.add_argument("--year", type=int, default=DEFAULT_TARGET_YEAR, help="năm mục tiêu (mặc định 2030)")
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.set_defaults(func=_cmd_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
