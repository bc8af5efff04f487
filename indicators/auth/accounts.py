"""Accounts and roles: who someone is, what role they hold, where their scope lies.

Roles: viewer (reads dashboards), officer (also uploads for its scope), admin (everything).
An officer of a province may write for the province and all its communes; an officer of a
commune only for that commune.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from indicators.store.sql import query

ROLES = ("viewer", "officer", "admin")
ROLE_LABELS = {"viewer": "Người xem", "officer": "Cán bộ nhập liệu", "admin": "Quản trị"}


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

    @property
    def role_label(self) -> str:
        """'Cán bộ nhập liệu'."""
        return ROLE_LABELS[self.role]

    def has_role(self, role: str) -> bool:
        """Whether the account is active with `role` or a higher one (admin has every role)."""
        return self.is_active and ROLES.index(self.role) >= ROLES.index(role)


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


def account_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every account with its scope's name, lock state and creation time (the admin's table)."""
    return con.cursor().execute(query("accounts")).df()
