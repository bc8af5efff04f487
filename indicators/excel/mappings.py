"""Confirmed readings of officers' report sheets (table sheet_mapping, migration 010), and the
context the import reads report sheets with (layout.WideContext).

An officer confirms how a report sheet reads once (which row is which indicator, which column
which period, whose figures); `save_mapping` keeps it for their locality and the sheet's shape,
and `wide_context` hands it to the reader, so that next quarter's file of the same shape goes
straight to the preview. Each confirmation is a new step (never updated): the latest is in force.
"""
from __future__ import annotations

import functools
import json
from datetime import datetime

import duckdb

from indicators.auth import scope
from indicators.auth.accounts import Account
from indicators.excel.layout import WideContext
from indicators.excel.names import IndicatorNames, LocalityNames
from indicators.store.audit import audit


def _scope_key(account: Account) -> str:
    return "" if account.is_admin or account.locality_code is None else account.locality_code


def scope_localities(con: duckdb.DuckDBPyConnection, account: Account) -> list[tuple[str, str]]:
    """(code, name) of every locality the account may upload for."""
    if account.is_admin or account.locality_code is None:
        return con.execute("select locality_code, name from locality order by locality_code").fetchall()
    return con.execute("select locality_code, name from locality where locality_code = $c or parent_code = $c "
                       "order by locality_code", {"c": account.locality_code}).fetchall()


def mapping_for(con: duckdb.DuckDBPyConnection, account: Account, signature: str) -> dict | None:
    """The overrides in force for the account's locality and a sheet shape, or None."""
    row = con.execute("select overrides from sheet_mapping where locality_code = $l and signature = $s "
                      "order by step desc limit 1", {"l": _scope_key(account), "s": signature}).fetchone()
    return json.loads(row[0]) if row else None


def save_mapping(con: duckdb.DuckDBPyConnection, account: Account, signature: str, sheet_name: str,
                 overrides: dict) -> int:
    """Keep a confirmed reading (a new step, audited); returns the step. The caller holds the write.
    Raises PermissionDenied for an account that may not upload (as the import does)."""
    account = scope.require_role(con, account.user_name, "officer", "xác nhận cách đọc trang báo cáo")
    key = _scope_key(account)
    step = con.execute("select coalesce(max(step), 0) + 1 from sheet_mapping where locality_code = $l "
                       "and signature = $s", {"l": key, "s": signature}).fetchone()[0]
    con.execute("insert into sheet_mapping values ($l, $s, $n, $sheet, $o, $u, $t)",
                {"l": key, "s": signature, "n": step, "sheet": sheet_name,
                 "o": json.dumps(overrides, ensure_ascii=False, sort_keys=True), "u": account.user_name,
                 "t": datetime.now()})
    audit(con, account.user_name, "sheet_mapping",
          f"xác nhận cách đọc trang “{sheet_name}” (dạng {signature}, lần {step})", key or None)
    return step


# Folding 3,400 names takes most of a second: kept per catalogue (the rows are the key, so a
# changed catalogue is a new entry). The matchers only grow their own memo of names seen.
@functools.lru_cache(maxsize=8)
def _indicator_names(rows: tuple) -> IndicatorNames:
    return IndicatorNames([{"indicator_code": c, "name_vi": v, "name_en": e} for c, v, e, _, _ in rows])


@functools.lru_cache(maxsize=64)
def _locality_names(rows: tuple) -> LocalityNames:
    return LocalityNames(list(rows))


def wide_context(con: duckdb.DuckDBPyConnection, account: Account, *, locality: str | None = None,
                 overrides: dict[str, dict] | None = None) -> WideContext:
    """How this account's report sheets are read: the catalogue's names, the localities of its
    scope, whose figures a sheet naming no locality holds (`locality` chosen on the page or with
    --locality, else the account's own when it has exactly one), and its confirmed mappings."""
    indicators = con.execute("select indicator_code, name_vi, name_en, unit, value_kind from indicator").fetchall()
    names = _indicator_names(tuple(indicators))
    local = _locality_names(tuple(scope_localities(con, account)))
    if locality:
        default = (locality, "chosen")
    elif not account.is_admin and account.locality_code:
        default = (account.locality_code, "account")
    else:
        default = None
    return WideContext(indicators=names, localities=local,
                       indicator_units={c: (u, k) for c, _, _, u, k in indicators}, default_locality=default,
                       mapping_for=lambda signature: mapping_for(con, account, signature),
                       overrides=dict(overrides or {}))
