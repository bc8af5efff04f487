"""`synth` and `bench`: the command line's doors to the tools beside the product (bench/).

This is the only product module that imports the benchmarks or the synthetic dataset builder,
and only inside the commands, so that nothing else ever loads them.
"""
from __future__ import annotations

import argparse
import json
import time

from indicators.cli.common import EXIT_OK, EXIT_SYNTH_REFUSED, err
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
    from bench.run import run_all
    report = run_all(quick=args.quick)
    if args.format == "json":
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:<32} {fmt.number(value, 3)}")
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
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.add_argument("--quick", action="store_true", help="ít lần lặp hơn (kiểm tra nhanh)")
    p.set_defaults(func=_cmd_bench)
