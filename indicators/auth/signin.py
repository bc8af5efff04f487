"""Passwords and sign-in: argon2id hashes, none stored or logged; a lock after failures."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from indicators.auth.accounts import Account, AccountError, PermissionDenied, get_account
from indicators.store.audit import audit

MAX_FAILED_SIGN_INS = 5                 # then the account is locked for a while
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()              # argon2id with the library's current defaults


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
