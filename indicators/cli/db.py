"""`init-db` and `user`: the database and its accounts, for the person who runs the server."""
from __future__ import annotations

import argparse
import sys

from indicators.auth.accounts import ROLE_LABELS, ROLES, AccountError, list_accounts
from indicators.auth.admin import BOOTSTRAP_ADMIN, create_account, end_sessions, ensure_operator, set_password
from indicators.auth.scope import require_role
from indicators.cli.common import EXIT_OK, opened, operator_name
from indicators.setup import init_db
from indicators.store.audit import from_command_line


def _cmd_init_db(args: argparse.Namespace) -> int:
    with from_command_line():
        added = init_db(args.db, samples=not args.no_samples)
    password = added.pop("admin_password")
    print(f"Cơ sở dữ liệu: {added.pop('path')}")
    refreshed = added.pop("cache_refresh") != "none"
    for table, n in added.items():
        print(f"  {table}: thêm {n} dòng")
    if refreshed:
        print("  bảng tổng hợp giá trị hiện hành (của trang Tổng quan): đã cập nhật")
    if password:
        print("\n" + "=" * 72)
        print(f"Tài khoản quản trị đầu tiên: {BOOTSTRAP_ADMIN}   mật khẩu: {password}")
        print("Mật khẩu chỉ hiện MỘT LẦN (cơ sở dữ liệu chỉ giữ bản băm). Hãy ghi lại, đăng nhập")
        print("và đổi mật khẩu; quên thì đặt lại: python -m indicators user passwd quantri")
        print("=" * 72)
    return EXIT_OK


def _read_password(args: argparse.Namespace) -> str | None:
    """The password from standard input (--password-stdin), else None (one is generated)."""
    if not args.password_stdin:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise AccountError("Không đọc được mật khẩu từ đầu vào chuẩn (stdin).")
    return password


def _cmd_user(args: argparse.Namespace) -> int:
    with opened(args.db) as con:
        actor = args.as_user or operator_name()
        if args.as_user is None:
            ensure_operator(con, actor)
        if args.user_command == "list":
            if args.as_user is not None:
                require_role(con, actor, "admin", "xem danh sách tài khoản")
            for a in list_accounts(con):
                state = "" if a.is_active else "  (đã vô hiệu hóa)"
                print(f"{a.user_name:<20} {ROLE_LABELS[a.role]:<18} {a.locality_code or 'toàn quốc':<8} "
                      f"{a.display_name}{state}")
            return EXIT_OK
        if args.user_command == "end-sessions":
            n = end_sessions(con, actor, args.name)
            print(f"Đã kết thúc {n} phiên đăng nhập của {args.name}; tài khoản phải đăng nhập lại ở mọi nơi.")
            return EXIT_OK
        if args.user_command == "add":
            password = create_account(con, actor, args.name, args.display_name or args.name, args.role,
                                      args.locality, _read_password(args))
            print(f"Đã tạo tài khoản {args.name.lower()} ({ROLE_LABELS[args.role]}).")
        else:
            password = set_password(con, actor, args.name, _read_password(args))
            print(f"Đã đặt mật khẩu mới cho {args.name}.")
    if not args.password_stdin:
        print(f"Mật khẩu (chỉ hiện một lần): {password}")
    return EXIT_OK


def add_cli(sub: argparse._SubParsersAction) -> None:
    """Register `init-db` and `user`."""
    p = sub.add_parser("init-db", help="tạo hoặc cập nhật cơ sở dữ liệu, nạp danh mục chỉ tiêu")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--no-samples", action="store_true", help="không nạp dữ liệu minh họa")
    p.set_defaults(func=_cmd_init_db)

    p = sub.add_parser("user", help="quản lý tài khoản (người vận hành)")
    p.add_argument("--db", default=argparse.SUPPRESS)
    p.add_argument("--user", "--as", dest="as_user", default=None,
                   help="thực hiện với quyền của tài khoản này (mặc định: người vận hành dòng lệnh, "
                        "tài khoản cli:<người dùng hệ điều hành>)")
    users = p.add_subparsers(dest="user_command", required=True)
    add = users.add_parser("add", help="tạo tài khoản")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--locality", help="phạm vi: mã tỉnh hoặc mã xã (bắt buộc với officer)")
    add.add_argument("--display-name")
    add.add_argument("--password-stdin", action="store_true", help="đọc mật khẩu từ đầu vào chuẩn")
    users.add_parser("list", help="liệt kê tài khoản")
    ends = users.add_parser("end-sessions", help="kết thúc mọi phiên đăng nhập của một tài khoản (đăng xuất ở mọi nơi)")
    ends.add_argument("name")
    ends.set_defaults(password_stdin=True)   # nothing to print afterwards
    pw = users.add_parser("passwd", help="đặt lại mật khẩu")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true", help="đọc mật khẩu từ đầu vào chuẩn")
    p.set_defaults(func=_cmd_user)
