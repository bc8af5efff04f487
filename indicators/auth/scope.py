"""Scope and role checks: every write checks them here (STYLE.md rule 2).

Functions use the connection they are given and open no cursor of their own, so a caller's
transaction covers the audit event too; callers in the app pass a fresh cursor.
"""
from __future__ import annotations

import duckdb

from indicators.auth.accounts import ROLE_LABELS, Account, PermissionDenied, get_account
from indicators.store.audit import audit


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
    if not account.has_role(role):
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
