"""Command line: `python -m indicators COMMAND ...` (see DESIGN.md, "Command line")."""
from __future__ import annotations

import argparse
import json
import os
import sys

from . import fmt
from .accounts import BOOTSTRAP_ADMIN, create_account, set_password
from .auth import (ROLE_LABELS, ROLES, AccountError, PermissionDenied, generate_password, get_account,
                   hash_password, list_accounts)
from .status import DEFAULT_TARGET_YEAR, STATUS_FIELDS, locality_progress
from .store import StoreError, connect, database_path


def _cmd_init_db(args: argparse.Namespace) -> int:
    from .setup_db import init_db
    added = init_db(args.db, samples=not args.no_samples)
    password = added.pop("admin_password")
    print(f"Cơ sở dữ liệu: {added.pop('path')}")
    for table, n in added.items():
        print(f"  {table}: thêm {n} dòng")
    if password:
        print("\n" + "=" * 72)
        print(f"Tài khoản quản trị đầu tiên: {BOOTSTRAP_ADMIN}   mật khẩu: {password}")
        print("Mật khẩu chỉ hiện MỘT LẦN (cơ sở dữ liệu chỉ giữ bản băm). Hãy ghi lại, đăng nhập")
        print("và đổi mật khẩu; quên thì đặt lại: python -m indicators user passwd quantri")
        print("=" * 72)
    return 0


def _read_password(args: argparse.Namespace) -> str | None:
    """The password from standard input (--password-stdin), else None (one is generated)."""
    if not args.password_stdin:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise AccountError("Không đọc được mật khẩu từ đầu vào chuẩn (stdin).")
    return password


def _cli_actor() -> str:
    # Whoever can run the CLI can open the database file: they act as its operator.
    return "cli:" + (os.environ.get("USER") or "operator")


def _cmd_user(args: argparse.Namespace) -> int:
    con = connect(args.db)
    try:
        actor = args.as_user or _cli_actor()
        if args.as_user is None:
            _ensure_operator(con, actor)
        if args.user_command == "list":
            for a in list_accounts(con):
                state = "" if a.is_active else "  (đã vô hiệu hóa)"
                print(f"{a.user_name:<20} {ROLE_LABELS[a.role]:<18} {a.locality_code or 'toàn quốc':<8} {a.display_name}{state}")
            return 0
        if args.user_command == "add":
            password = create_account(con, actor, args.name, args.display_name or args.name, args.role,
                                      args.locality, _read_password(args))
            print(f"Đã tạo tài khoản {args.name.lower()} ({ROLE_LABELS[args.role]}).")
        else:
            password = set_password(con, actor, args.name, _read_password(args))
            print(f"Đã đặt mật khẩu mới cho {args.name}.")
        if not args.password_stdin:
            print(f"Mật khẩu (chỉ hiện một lần): {password}")
        return 0
    finally:
        con.close()


def _ensure_operator(con, actor: str) -> None:
    """The CLI operator acts as an admin account named cli:<user>, created on first use (inactive
    for sign-in: it has a random password nobody sees)."""
    if get_account(con, actor) is None:
        con.execute("insert into account (user_name, display_name, role, password_hash, is_active) "
                    "values ($u, 'Dòng lệnh (người vận hành)', 'admin', $h, true)",
                    {"u": actor, "h": hash_password(generate_password())})


def _status_table(rows: list[dict]) -> str:
    head = ["Chỉ tiêu", "Cơ sở", "Mục tiêu", "Mới nhất", "Dự báo", "Trạng thái", "Kế hoạch"]
    lines = []
    for r in rows:
        d = r["decimals"]
        base = f"{fmt.value(r['baseline_value'], '', d, r['value_kind'])} ({r['baseline_year']})" if r["baseline_value"] is not None else "–"
        target = fmt.target(r["target_comparator"], r["target_value"], r["unit"], d, r["value_kind"], r["target_text"])
        latest = f"{fmt.value(r['latest_value'], r['unit'], d, r['value_kind'])} ({r['latest_period']})" if r["latest_value"] is not None else "–"
        lines.append([r["indicator_code"], base, f"{target} ({r['target_year']})", latest,
                      fmt.value(r["projected_value"], r["unit"], d, r["value_kind"]), r["status_label"],
                      fmt.plan_number(r.get("plan_number"))])   # two plans may set the same indicator
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


def _cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_all
    report = run_all(quick=args.quick)
    if args.format == "json":
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:<32} {fmt.number(value, 3)}")
    return 0


def _add_user_cli(sub) -> None:
    p = sub.add_parser("user", help="quản lý tài khoản (người vận hành)")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--as", dest="as_user", default=None,
                   help="thực hiện với tư cách tài khoản quản trị này (mặc định: người vận hành dòng lệnh)")
    users = p.add_subparsers(dest="user_command", required=True)
    add = users.add_parser("add", help="tạo tài khoản")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--locality", help="phạm vi: mã tỉnh hoặc mã xã (bắt buộc với officer)")
    add.add_argument("--display-name")
    add.add_argument("--password-stdin", action="store_true", help="đọc mật khẩu từ đầu vào chuẩn")
    users.add_parser("list", help="liệt kê tài khoản")
    pw = users.add_parser("passwd", help="đặt lại mật khẩu")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true", help="đọc mật khẩu từ đầu vào chuẩn")
    p.set_defaults(func=_cmd_user)


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

    _add_user_cli(sub)

    p = sub.add_parser("bench", help="đo tốc độ và bộ nhớ (trung vị của nhiều lần chạy)")
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.add_argument("--quick", action="store_true", help="ít lần lặp hơn (kiểm tra nhanh)")
    p.set_defaults(func=_cmd_bench)

    # Feature modules register their own subcommands.
    from .cli_deck import add_cli as add_deck_cli
    add_deck_cli(sub)
    from .cli_excel import add_cli as add_excel_cli
    add_excel_cli(sub)
    from .cli_scorecard import add_cli as add_scorecard_cli
    add_scorecard_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return 3
    except PermissionDenied as exc:
        print(f"Bị từ chối: {exc}", file=sys.stderr)
        return 4
    except AccountError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
