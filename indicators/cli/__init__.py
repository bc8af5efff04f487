"""Command line: `python -m indicators COMMAND …` (README, "Command line").

One module per command group registers its subcommands (`add_cli`); this one builds the parser,
runs the command and turns the errors every command shares into one sentence and an exit code.
"""
from __future__ import annotations

import argparse

from indicators.auth.accounts import AccountError, PermissionDenied
from indicators.cli import approval, backup, db, deck, excel, scorecard, status, tasks, tools
from indicators.cli.common import EXIT_ARGS, EXIT_HELD, EXIT_STORE, err
from indicators.store.connection import StoreError, database_path

GROUPS = (db, status, excel, approval, tasks, deck, scorecard, tools, backup)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m indicators",
                                     description="Theo dõi chỉ tiêu y tế đến 2030 (health targets to 2030).")
    parser.add_argument("--db", help=f"tệp cơ sở dữ liệu hoặc postgresql://… (mặc định $INDICATORS_DATABASE_URL, "
                        f"$INDICATORS_DB hoặc {database_path()})")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except StoreError as exc:
        err(str(exc))
        return EXIT_STORE
    except PermissionDenied as exc:
        err(f"Bị từ chối: {exc}")
        return EXIT_HELD
    except AccountError as exc:
        err(f"Lỗi: {exc}")
        return EXIT_ARGS
