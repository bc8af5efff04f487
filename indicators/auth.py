"""Accounts, roles and locality scope; every write checks them here (STYLE.md rule 2).

Functions use the connection they are given and open no cursor of their own, so a caller's
transaction covers the audit event too; callers in the app pass `connection().cursor()`.

Roles: viewer (reads dashboards), officer (also uploads for its scope), admin (everything).
An officer of a province may write for the province and all its communes; an officer of a
commune only for that commune. Passwords are hashed with argon2id; none is stored or logged.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("viewer", "officer", "admin")
ROLE_LABELS = {"viewer": "Người xem", "officer": "Cán bộ nhập liệu", "admin": "Quản trị"}
MAX_FAILED_SIGN_INS = 5                 # then the account is locked for a while
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()              # argon2id with the library's current defaults


class PermissionDenied(Exception):
    """A refused action; the message is a Vietnamese sentence for the person."""


class AccountError(ValueError):
    """Bad account input (unknown role, weak password, unknown locality…), in Vietnamese."""


@dataclass(frozen=True)
class Account:
    user_name: str
    display_name: str
    role: str
    locality_code: str | None
    is_active: bool = True

    @property
    def can_upload(self) -> bool:
        return self.is_active and self.role in ("officer", "admin")

    @property
    def is_admin(self) -> bool:
        return self.is_active and self.role == "admin"


# --- audit ---------------------------------------------------------------------------------
def audit(con: duckdb.DuckDBPyConnection, user_name: str | None, action: str, detail: str = "",
          locality_code: str | None = None) -> None:
    """Append one event to the audit log (never updated or deleted)."""
    con.execute(
        "insert into audit_event (user_name, action, locality_code, detail) values ($u, $a, $l, $d)",
        {"u": user_name, "a": action, "l": locality_code, "d": detail},
    )


# --- reading accounts ----------------------------------------------------------------------
def get_account(con: duckdb.DuckDBPyConnection, user_name: str) -> Account | None:
    row = con.execute(
        "select user_name, display_name, role, locality_code, is_active from account where user_name = $u",
        {"u": user_name},
    ).fetchone()
    return Account(*row) if row else None


def list_accounts(con: duckdb.DuckDBPyConnection) -> list[Account]:
    rows = con.execute(
        "select user_name, display_name, role, locality_code, is_active from account order by user_name"
    ).fetchall()
    return [Account(*r) for r in rows]


# --- scope -----------------------------------------------------------------------------------
def _parents(con: duckdb.DuckDBPyConnection, codes: set[str]) -> dict[str, str | None]:
    if not codes:
        return {}
    rows = con.execute(
        "select locality_code, parent_code from locality where locality_code in (select unnest($c))",
        {"c": sorted(codes)},
    ).fetchall()
    return dict(rows)


def in_scope(account: Account, locality_code: str, parent_code: str | None) -> bool:
    """Whether `account` may write for the locality (pure: the caller gives its parent)."""
    if not account.is_active or account.role == "viewer":
        return False
    if account.role == "admin":
        return True
    scope = account.locality_code
    return scope is not None and (locality_code == scope or parent_code == scope)


def writable(con: duckdb.DuckDBPyConnection, account: Account, codes: set[str]) -> set[str]:
    """The subset of `codes` the account may write for."""
    parents = _parents(con, set(codes))
    return {c for c in codes if c in parents and in_scope(account, c, parents[c])}


def scope_text(account: Account) -> str:
    if account.role == "admin" or account.locality_code is None:
        return "toàn quốc"
    return f"mã {account.locality_code}"


def require_active(con: duckdb.DuckDBPyConnection, user_name: str, action: str) -> Account:
    """The active account of `user_name`, else PermissionDenied (logged)."""
    account = get_account(con, user_name)
    if account is None or not account.is_active:
        audit(con, user_name, "denied", f"{action}: tài khoản không tồn tại hoặc đã bị khóa")
        raise PermissionDenied(f"Tài khoản “{user_name}” không tồn tại hoặc đã bị vô hiệu hóa.")
    return account


def require_role(con: duckdb.DuckDBPyConnection, user_name: str, role: str, action: str) -> Account:
    """The account if it has `role` (admin has every role), else PermissionDenied (logged)."""
    account = require_active(con, user_name, action)
    order = {r: i for i, r in enumerate(ROLES)}
    if order[account.role] < order[role]:
        audit(con, user_name, "denied", f"{action}: cần quyền {ROLE_LABELS[role]}")
        raise PermissionDenied(
            f"Tài khoản “{user_name}” ({ROLE_LABELS[account.role]}) không có quyền {action}; "
            f"cần quyền {ROLE_LABELS[role]}.")
    return account


def require_write(con: duckdb.DuckDBPyConnection, user_name: str, codes: set[str] | list[str],
                  action: str) -> Account:
    """The account if it may write for every locality in `codes`, else PermissionDenied (logged)."""
    account = require_role(con, user_name, "officer", action)
    codes = set(codes)
    denied = sorted(codes - writable(con, account, codes))
    if denied:
        shown = ", ".join(denied[:10]) + (" …" if len(denied) > 10 else "")
        audit(con, user_name, "denied", f"{action} cho địa phương ngoài phạm vi: {shown}",
              locality_code=denied[0])
        raise PermissionDenied(
            f"Tài khoản “{user_name}” chỉ được ghi số liệu cho phạm vi {scope_text(account)}; "
            f"không được {action} cho địa phương: {shown}.")
    return account


# --- passwords and sign-in -------------------------------------------------------------------
def generate_password() -> str:
    """A random password a person can type (about 96 bits)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    return _hasher.hash(password)


def sign_in(con: duckdb.DuckDBPyConnection, user_name: str, password: str,
            now: datetime | None = None) -> Account:
    """The account when the password is right; PermissionDenied otherwise (every outcome logged).

    After MAX_FAILED_SIGN_INS failures in a row the account is locked for LOCK_MINUTES, and
    while locked even the right password is refused.
    """
    now = now or datetime.now()
    cur = con.cursor()
    row = cur.execute(
        "select password_hash, is_active, failed_attempts, locked_until from account where user_name = $u",
        {"u": user_name},
    ).fetchone()
    refused = "Tên đăng nhập hoặc mật khẩu không đúng."
    if row is None:
        _hasher.hash(password)  # same work as a real check, so timing does not reveal names
        audit(con, user_name, "sign_in_failed", "tên đăng nhập không tồn tại")
        raise PermissionDenied(refused)
    password_hash, is_active, failed, locked_until = row
    if locked_until is not None and locked_until > now:
        audit(con, user_name, "sign_in_locked", "đăng nhập khi tài khoản đang tạm khóa")
        minutes = max(1, int((locked_until - now).total_seconds() // 60) + 1)
        raise PermissionDenied(f"Tài khoản tạm khóa do đăng nhập sai nhiều lần; thử lại sau {minutes} phút.")
    try:
        _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        failed += 1
        lock = now + timedelta(minutes=LOCK_MINUTES) if failed >= MAX_FAILED_SIGN_INS else None
        cur.execute("update account set failed_attempts = $f, locked_until = $l where user_name = $u",
                    {"f": 0 if lock else failed, "l": lock, "u": user_name})
        audit(con, user_name, "sign_in_failed",
              f"sai mật khẩu (lần {failed})" + (f"; khóa {LOCK_MINUTES} phút" if lock else ""))
        raise PermissionDenied(refused) from None
    if not is_active:
        audit(con, user_name, "sign_in_failed", "tài khoản đã bị vô hiệu hóa")
        raise PermissionDenied("Tài khoản đã bị vô hiệu hóa. Hãy liên hệ quản trị viên.")
    if _hasher.check_needs_rehash(password_hash):
        cur.execute("update account set password_hash = $h where user_name = $u",
                    {"h": _hasher.hash(password), "u": user_name})
    cur.execute("update account set failed_attempts = 0, locked_until = null where user_name = $u",
                {"u": user_name})
    audit(con, user_name, "sign_in", "đăng nhập thành công")
    return get_account(con, user_name)
