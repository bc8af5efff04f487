"""`synth` and `bench`: the command line's doors to the tools beside the product (bench/).

This is the only product module that imports the benchmarks or the synthetic dataset builder,
and only inside the commands, so that nothing else ever loads them.
"""
from __future__ import annotations

import argparse
import json
import time

from indicators.cli.common import EXIT_ARGS, EXIT_OK, EXIT_SYNTH_REFUSED, err
from indicators.text import fmt


def _cmd_synth(args: argparse.Namespace) -> int:
    from bench.synth import SYNTHETIC_DB, SynthError, build_synthetic
    path = args.db or SYNTHETIC_DB   # never $INDICATORS_DB's database unless named
    start = time.perf_counter()
    try:
        counts = build_synthetic(path, seed=args.seed, provinces=args.province or None)
    except SynthError as exc:
        err(str(exc))
        return EXIT_SYNTH_REFUSED
    print(f"DỮ LIỆU TỔNG HỢP (synthetic) đã ghi vào {path} "
          f"trong {fmt.number(time.perf_counter() - start, 1)} giây:")
    for table, n in counts.items():
        print(f"  {table}: {fmt.number(n, 0)} dòng")
    return EXIT_OK


def _cmd_bench(args: argparse.Namespace) -> int:
    if args.what == "load":
        return _cmd_bench_load(args)
    from bench.run import run_all
    report = run_all(quick=args.quick)
    if args.format == "json":
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:<32} {fmt.number(value, 3)}")
    return EXIT_OK


def _cmd_bench_load(args: argparse.Namespace) -> int:
    """`bench load`: light clients speaking Streamlit's protocol to the app server (bench/load.py)."""
    from bench.load import bench_load, table
    from bench.run import LOAD_THINK_S
    if args.cluster:
        return _cmd_bench_cluster(args, table)
    db = getattr(args, "db", None)
    if db and "://" in str(db):
        err("bench load đo máy chủ ứng dụng trên một tệp DuckDB; hãy chỉ --db là một tệp .duckdb.")
        return EXIT_ARGS
    try:
        report = bench_load(db, url=args.url, server_pid=args.pid, sessions=args.sessions, seconds=args.seconds,
                            officers=args.officers, in_place=args.in_place, rows_per_upload=args.rows,
                            think_s=LOAD_THINK_S if args.think is None else args.think, ramp_s=args.ramp)
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        err(str(exc))
        return EXIT_ARGS
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(table(report, fmt.number))
    return EXIT_OK


def _cmd_bench_cluster(args: argparse.Namespace, table) -> int:
    """`bench load --cluster N`: the same clients through nginx in front of N app processes on a
    throw-away PostgreSQL (scripts/cluster.sh, bench/cluster.py), one report per N."""
    from bench.cluster import LOAD_THINK_S, available, measure
    missing = available()
    if missing:
        err(missing)
        return EXIT_ARGS
    if args.url or getattr(args, "db", None) or args.in_place:
        err("--cluster tự khởi động PostgreSQL, các tiến trình ứng dụng và nginx: không dùng cùng --url, --db "
            "hay --in-place.")
        return EXIT_ARGS
    try:
        ns = [int(x) for x in str(args.cluster).split(",") if x.strip()]
    except ValueError:
        ns = []
    if not ns or min(ns) < 1:
        err(f"--cluster cần số tiến trình ứng dụng, vd. 2 hoặc 1,2 (nhận được: {args.cluster}).")
        return EXIT_ARGS
    reports = {}
    for n in ns:
        try:
            reports[n] = measure(n, sessions=args.sessions, seconds=args.seconds,
                                 think_s=LOAD_THINK_S if args.think is None else args.think, ramp_s=args.ramp,
                                 officers=args.officers, rows_per_upload=args.rows)
        except RuntimeError as exc:
            err(str(exc))
            return EXIT_ARGS
    if args.format == "json":
        print(json.dumps(reports[ns[0]] if len(ns) == 1 else {f"n{n}": r for n, r in reports.items()},
                         ensure_ascii=False))
    else:
        for n, report in reports.items():
            print(f"— {n} tiến trình ứng dụng sau nginx, PostgreSQL —")
            print(table(report, fmt.number))
            print()
    return EXIT_OK


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register `synth` and `bench`."""
    p = sub.add_parser("synth", help="sinh bộ DỮ LIỆU TỔNG HỢP toàn quốc vào một tệp riêng (đo tốc độ)")
    p.add_argument("--db", default=argparse.SUPPRESS,
                   help="tệp đích (mặc định data/synthetic.duckdb; không bao giờ là cơ sở dữ liệu chính)")
    p.add_argument("--seed", type=int, default=2030, help="hạt giống ngẫu nhiên (mặc định 2030)")
    p.add_argument("--province", action="append",
                   help="chỉ sinh cho tỉnh này và các xã của nó (lặp lại được); mặc định toàn quốc")
    p.set_defaults(func=_cmd_synth)

    p = sub.add_parser("bench", help="đo tốc độ và bộ nhớ (trung vị của nhiều lần chạy)")
    p.add_argument("what", nargs="?", choices=["all", "load"], default="all",
                   help="all: các phép đo tốc độ và bộ nhớ (mặc định); load: nhiều phiên đồng thời mở "
                        "các trang của máy chủ ứng dụng")
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.add_argument("--quick", action="store_true", help="ít lần lặp hơn (kiểm tra nhanh)")
    load = p.add_argument_group("bench load")
    load.add_argument("--db", default=argparse.SUPPRESS,
                      help="cơ sở dữ liệu của máy chủ (mặc định $INDICATORS_DB hoặc data/health.duckdb); được "
                           "sao chép sang thư mục tạm trừ khi có --url hoặc --in-place")
    load.add_argument("--url", help="máy chủ ứng dụng đang chạy trên --db (mặc định: tự khởi động một máy chủ)")
    load.add_argument("--pid", type=int, help="pid của máy chủ đang chạy (để đo CPU và bộ nhớ), cùng với --url")
    load.add_argument("--sessions", type=int, default=50, help="số phiên đồng thời (mặc định 50)")
    load.add_argument("--seconds", type=float, default=60.0, help="thời gian đo, giây (mặc định 60)")
    load.add_argument("--officers", type=int, default=0,
                      help="trong số phiên, số cán bộ nhập liệu tải tệp lên và nhập (mặc định 0)")
    load.add_argument("--rows", type=int, default=20, help="số dòng mỗi tệp tải lên (mặc định 20)")
    load.add_argument("--think", type=float, default=None,
                      help="thời gian đọc trang trước mỗi thao tác, giây, ±50 %% (mặc định 5, như các khóa "
                           "load_* của bench; 0: bấm liên tục)")
    load.add_argument("--ramp", type=float, default=None,
                      help="các phiên lần lượt mở trang đầu tiên trong bấy nhiêu giây (mặc định bằng --think; 0: cùng lúc)")
    load.add_argument("--in-place", action="store_true", help="chạy trên chính tệp --db (cán bộ sẽ ghi vào đó)")
    load.add_argument("--cluster", metavar="N",
                      help="đo qua nginx trước N tiến trình ứng dụng trên một PostgreSQL tạm (cần nginx và "
                           "PostgreSQL của Debian); vd. 2, hoặc 1,2 để so sánh (--think mặc định 5 giây)")
    p.set_defaults(func=_cmd_bench)
