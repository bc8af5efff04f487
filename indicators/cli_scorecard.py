"""CLI subcommands of the leaders' overview: `synth` and `scorecard`.

`add_cli(sub)` registers them on the `python -m indicators` subparsers. Handlers return an exit
code: 0 done, 2 bad arguments (unknown province or indicator), 6 `synth` refused to write (the
file holds real data). StoreError (database in use…) is left to __main__ (exit 3).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from . import fmt
from .progress import STATUS_LABELS_VI, STATUSES
from .store import connect

EXIT_OK, EXIT_ARGS, EXIT_REFUSED = 0, 2, 6


def _cmd_synth(args: argparse.Namespace) -> int:
    from .synth import SYNTHETIC_DB, SynthError, build_synthetic
    path = args.db or SYNTHETIC_DB   # never $INDICATORS_DB's database unless named
    start = time.perf_counter()
    try:
        counts = build_synthetic(path, seed=args.seed, provinces=args.province or None)
    except SynthError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    print(f"DỮ LIỆU TỔNG HỢP (synthetic) đã ghi vào {path} "
          f"trong {fmt.number(time.perf_counter() - start, 1)} giây:")
    for table, n in counts.items():
        print(f"  {table}: {fmt.number(n, 0)} dòng")
    return EXIT_OK


def _cmd_scorecard(args: argparse.Namespace) -> int:
    from . import scorecard as sc
    if args.scope != "country" and not args.province:
        print("Phạm vi 'province' và 'communes' cần --province (mã tỉnh 2 chữ số, ví dụ 01).",
              file=sys.stderr)
        return EXIT_ARGS
    con = connect(args.db, read_only=not args.refresh)
    try:
        if args.refresh:
            con.execute("begin transaction")
            mode = sc.refresh_current_observations(con)["mode"]
            con.execute("commit")
            print(f"Bộ nhớ đệm số liệu hiện hành: {mode}.", file=sys.stderr)
        if args.province and not con.execute(
                "select 1 from locality where locality_code = $p and level = 'province'",
                {"p": args.province}).fetchone():
            print(f"Không có tỉnh/thành mã '{args.province}'.", file=sys.stderr)
            return EXIT_ARGS
        if args.indicator and not con.execute("select 1 from indicator where indicator_code = $i",
                                              {"i": args.indicator}).fetchone():
            print(f"Không có chỉ tiêu mã '{args.indicator}'.", file=sys.stderr)
            return EXIT_ARGS
        cells = sc.scorecard(con, args.scope, args.province, args.year, indicator=args.indicator)
    finally:
        con.close()
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


def add_cli(sub) -> None:
    """Register `synth` and `scorecard` on the subparsers of `python -m indicators`."""
    p = sub.add_parser("synth", help="sinh bộ DỮ LIỆU TỔNG HỢP toàn quốc vào một tệp riêng (đo tốc độ)")
    p.add_argument("--db", default=argparse.SUPPRESS,
                   help="tệp đích (mặc định data/synthetic.duckdb; không bao giờ là cơ sở dữ liệu chính)")
    p.add_argument("--seed", type=int, default=2030, help="hạt giống ngẫu nhiên (mặc định 2030)")
    p.add_argument("--province", action="append",
                   help="chỉ sinh cho tỉnh này và các xã của nó (lặp lại được); mặc định toàn quốc")
    p.set_defaults(func=_cmd_synth)

    p = sub.add_parser("scorecard", help="bảng điểm: trạng thái mọi chỉ tiêu của các địa phương trong phạm vi")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--scope", choices=["country", "province", "communes"], default="country",
                   help="toàn quốc, một tỉnh (cùng các xã), hoặc các xã của một tỉnh")
    p.add_argument("--province", help="mã tỉnh: 01, 12")
    p.add_argument("--year", type=int, default=2030, help="năm mục tiêu (mặc định 2030)")
    p.add_argument("--indicator", help="chỉ một chỉ tiêu")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.add_argument("--refresh", action="store_true",
                   help="cập nhật bộ nhớ đệm số liệu hiện hành trước (mở cơ sở dữ liệu để ghi)")
    p.set_defaults(func=_cmd_scorecard)
