"""Administrative units (official 2025 codes) from the pinned `vietnam-provinces` package."""
from __future__ import annotations

import duckdb
import pandas as pd
from vietnam_provinces import Province, VietNamDivisionType, Ward

from indicators.store.sql import query
from indicators.text.fold import fold

PROVINCE_CODE_WIDTH = 2   # '01' Hà Nội, '12' Lai Châu
COMMUNE_CODE_WIDTH = 5    # '09931' Xã Hưng Đạo


def _province_name(p: Province) -> str:
    # The package ships 'Lai Châu' for a tỉnh but 'Thành phố Hà Nội' for a city: say 'Tỉnh Lai Châu'.
    if p.division_type == VietNamDivisionType.TINH and not p.name.lower().startswith("tỉnh"):
        return f"Tỉnh {p.name}"
    return p.name


def locality_frame() -> pd.DataFrame:
    """All 34 provinces and 3,321 communes/wards, codes as zero-padded text."""
    rows = []
    for p in Province.iter_all():
        name = _province_name(p)
        rows.append({
            "locality_code": f"{int(p.code):0{PROVINCE_CODE_WIDTH}d}", "name": name,
            "short_name": p.name,
            "division_type": p.division_type.value, "level": "province", "parent_code": None,
            "search_key": fold(name),
        })
    for w in Ward.iter_all():
        rows.append({
            "locality_code": f"{int(w.code):0{COMMUNE_CODE_WIDTH}d}", "name": w.name,
            "short_name": w.name, "division_type": w.division_type.value, "level": "commune",
            "parent_code": f"{int(w.province_code):0{PROVINCE_CODE_WIDTH}d}",
            "search_key": fold(w.name),
        })
    return pd.DataFrame(rows)


def load_localities(con: duckdb.DuckDBPyConnection) -> int:
    """Insert the units the table lacks (existing rows are kept as they are); return how many."""
    frame = locality_frame()
    con.register("new_locality", frame)
    try:
        before = con.execute("select count(*) from locality").fetchone()[0]
        con.execute(
            "insert into locality select * from new_locality n "
            "where not exists (select 1 from locality l where l.locality_code = n.locality_code)"
        )
        after = con.execute("select count(*) from locality").fetchone()[0]
    finally:
        con.unregister("new_locality")
    return after - before


def find_locality(con: duckdb.DuckDBPyConnection, locality_code: str) -> dict | None:
    """{locality_code, name, level, parent_code, parent_name} of one locality, or None."""
    row = con.cursor().execute(query("locality_by_code"), {"locality": locality_code}).fetchone()
    if row is None:
        return None
    return dict(zip(("locality_code", "name", "level", "parent_code", "parent_name"), row))


def unknown_locality_message(locality_code: str) -> str:
    """What to say about a code that names no locality."""
    return (f"Không có địa phương mã “{locality_code}”. Mã tỉnh gồm 2 chữ số (01, 12), mã xã/phường gồm "
            "5 chữ số (09931), theo danh mục năm 2025.")


def provinces(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The 34 provinces with how many targets each has (queries/store/localities.sql)."""
    return con.cursor().execute(query("provinces")).df()


def province_index(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{locality_code: the code of its province} for every locality (a province: its own)."""
    return dict(con.cursor().execute(query("province_index")).fetchall())


def communes_of(con: duckdb.DuckDBPyConnection, province: str) -> pd.DataFrame:
    """The communes and wards of a province, with how many targets each has."""
    return con.cursor().execute(query("communes_of"), {"province": province}).df()


def localities_with_targets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The localities some plan sets a target for, provinces first."""
    return con.cursor().execute(query("localities_with_targets")).df()
