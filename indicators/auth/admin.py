"""Account administration: create, change role/scope, deactivate, reset password.

Every function takes the acting user's name and checks, itself, that they are an active
admin (a hidden page is not a locked page); every change is written to the audit log.
"""
from __future__ import annotations

import re

import duckdb

from indicators.auth.accounts import ROLE_LABELS, ROLES, Account, AccountError, get_account
from indicators.auth.scope import require_role
from indicators.auth import sessions
from indicators.auth.signin import generate_password, hash_password
from indicators.store.audit import audit

USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
BOOTSTRAP_ADMIN = "quantri"


def _check_scope(con: duckdb.DuckDBPyConnection, role: str, locality_code: str | None) -> str | None:
    if role not in ROLES:
        raise AccountError(f"Vai trò “{role}” không hợp lệ; chọn một trong: {', '.join(ROLES)}.")
    if role == "officer" and not locality_code:
        raise AccountError("Cán bộ nhập liệu phải có phạm vi địa phương (mã tỉnh hoặc mã xã/phường).")
    if locality_code:
        found = con.execute("select 1 from locality where locality_code = $c",
                                     {"c": locality_code}).fetchone()
        if not found:
            raise AccountError(f"Không có địa phương mã “{locality_code}” (mã tỉnh 2 chữ số, mã xã 5 chữ số).")
    return locality_code or None


def create_account(con: duckdb.DuckDBPyConnection, actor: str | None, user_name: str, display_name: str,
                   role: str, locality_code: str | None = None, password: str | None = None,
                   *, bootstrap: bool = False) -> str:
    """Create an account; return its password (generated when none is given).

    `bootstrap=True` is only for init-db's first admin on a database with no account.
    """
    if bootstrap:
        n = con.execute("select count(*) from account").fetchone()[0]
        if n:
            raise AccountError("Cơ sở dữ liệu đã có tài khoản; không tạo tài khoản quản trị mặc định.")
    else:
        require_role(con, actor, "admin", "tạo tài khoản")
    user_name = (user_name or "").strip().lower()
    if not USER_NAME.match(user_name):
        raise AccountError("Tên đăng nhập gồm 2–40 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang "
                           f"hoặc gạch dưới (nhận được “{user_name}”).")
    if get_account(con, user_name):
        raise AccountError(f"Tên đăng nhập “{user_name}” đã có.")
    display_name = (display_name or "").strip() or user_name
    locality_code = _check_scope(con, role, locality_code)
    password = password or generate_password()
    con.execute(
        "insert into account (user_name, display_name, role, locality_code, password_hash) "
        "values ($u, $d, $r, $l, $h)",
        {"u": user_name, "d": display_name, "r": role, "l": locality_code, "h": hash_password(password)},
    )
    audit(con, actor or "init-db", "account_change",
          f"tạo tài khoản {user_name} ({ROLE_LABELS[role]}, phạm vi {locality_code or 'toàn quốc'})",
          locality_code)
    return password


def update_account(con: duckdb.DuckDBPyConnection, actor: str, user_name: str, *,
                   role: str | None = None, locality_code: str | None = None,
                   display_name: str | None = None, is_active: bool | None = None) -> Account:
    """Change role, scope, name or active flag; an admin cannot demote or deactivate themself."""
    require_role(con, actor, "admin", "sửa tài khoản")
    current = get_account(con, user_name)
    if current is None:
        raise AccountError(f"Không có tài khoản “{user_name}”.")
    new_role = role or current.role
    new_scope = _check_scope(con, new_role, locality_code if locality_code is not None else current.locality_code)
    new_active = current.is_active if is_active is None else is_active
    if user_name == actor and (new_role != "admin" or not new_active):
        raise AccountError("Không thể tự hạ quyền hoặc vô hiệu hóa tài khoản quản trị của chính mình.")
    con.execute(
        "update account set role = $r, locality_code = $l, display_name = $d, is_active = $a "
        "where user_name = $u",
        {"r": new_role, "l": new_scope, "d": (display_name or current.display_name).strip(),
         "a": new_active, "u": user_name},
    )
    if current.is_active and not new_active:
        sessions.end_all(con, user_name, "account_disabled", actor)
    changes = []
    if new_role != current.role:
        changes.append(f"vai trò {current.role} → {new_role}")
    if new_scope != current.locality_code:
        changes.append(f"phạm vi {current.locality_code or 'toàn quốc'} → {new_scope or 'toàn quốc'}")
    if new_active != current.is_active:
        changes.append("kích hoạt" if new_active else "vô hiệu hóa")
    if display_name and display_name.strip() != current.display_name:
        changes.append("đổi tên hiển thị")
    audit(con, actor, "account_change", f"sửa tài khoản {user_name}: " + (", ".join(changes) or "không đổi"),
          new_scope)
    return get_account(con, user_name)


def set_password(con: duckdb.DuckDBPyConnection, actor: str, user_name: str,
                 password: str | None = None, *, keep_session: str | None = None) -> str:
    """Reset a password (admin) or change one's own; return the new password. Every session of
    the account ends, but `keep_session` (the one changing its own password)."""
    if actor != user_name:
        require_role(con, actor, "admin", "đặt lại mật khẩu")
    if get_account(con, user_name) is None:
        raise AccountError(f"Không có tài khoản “{user_name}”.")
    password = password or generate_password()
    con.execute(
        "update account set password_hash = $h, failed_attempts = 0, locked_until = null where user_name = $u",
        {"h": hash_password(password), "u": user_name},
    )
    audit(con, actor, "account_change", f"đặt mật khẩu mới cho {user_name}")
    sessions.end_all(con, user_name, "password_changed", actor, keep=keep_session)
    return password


def end_sessions(con: duckdb.DuckDBPyConnection, actor: str, user_name: str) -> int:
    """An admin signs an account out everywhere: every open session ends (audited); returns how
    many. The account itself stays as it was."""
    require_role(con, actor, "admin", "kết thúc phiên đăng nhập")
    if get_account(con, user_name) is None:
        raise AccountError(f"Không có tài khoản “{user_name}”.")
    return sessions.end_all(con, user_name, "ended_by_admin", actor)


def ensure_bootstrap_admin(con: duckdb.DuckDBPyConnection) -> str | None:
    """On a database with no account, create the admin `quantri`; return its password, else None."""
    if con.execute("select count(*) from account").fetchone()[0]:
        return None
    return create_account(con, None, BOOTSTRAP_ADMIN, "Quản trị hệ thống", "admin", bootstrap=True)


def ensure_operator(con: duckdb.DuckDBPyConnection, actor: str) -> None:
    """The command line's operator acts as an admin account named cli:<user>, created on first
    use; nobody can sign in with it (a random password nobody sees). Whoever can run the command
    line can open the database file: they are its operator."""
    if get_account(con, actor) is None:
        con.execute("insert into account (user_name, display_name, role, password_hash, is_active) "
                    "values ($u, 'Dòng lệnh (người vận hành)', 'admin', $h, true)",
                    {"u": actor, "h": hash_password(generate_password())})
