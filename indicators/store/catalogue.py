"""The seed catalogue transcribed from the plan documents (data/seed/*.csv) into the store."""
from __future__ import annotations

import duckdb
import pandas as pd

from indicators.paths import PROJECT_ROOT
from indicators.store.sql import query

SEED_DIR = PROJECT_ROOT / "data" / "seed"

# table -> (csv file, key columns). Seed rows are inserted only where their key is absent, so
# re-running init-db never overwrites a target an admin has since edited.
SEED_TABLES = {
    "indicator": ("indicators.csv", ["indicator_code"]),
    "plan": ("plans.csv", ["plan_code"]),
    "target": ("targets.csv", ["plan_code", "locality_code", "indicator_code", "target_year"]),
    "baseline": ("baselines.csv", ["locality_code", "indicator_code", "baseline_year"]),
}


def read_seed(table: str) -> pd.DataFrame:
    """One seed CSV as text columns (codes keep their leading zeros; empty cells become null)."""
    file_name, _ = SEED_TABLES[table]
    frame = pd.read_csv(SEED_DIR / file_name, dtype=str, keep_default_na=False, encoding="utf-8")
    return frame.replace({"": None})


def load_catalogue(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Insert seed rows whose key is not yet in the database; return rows added per table.

    The caller owns the transaction. DuckDB casts the text columns to the table's types and
    fails loudly on a malformed seed value.
    """
    added = {}
    for table, (_, keys) in SEED_TABLES.items():
        frame = read_seed(table)
        cols = ", ".join(frame.columns)
        match = " and ".join(f"t.{k} = s.{k}" for k in keys)
        con.register("seed_rows", frame)
        try:
            before = con.execute(f"select count(*) from {table}").fetchone()[0]
            # Identifiers come from SEED_TABLES and the seed header, never from user input.
            con.execute(
                f"insert into {table} ({cols}) select {cols} from seed_rows s "
                f"where not exists (select 1 from {table} t where {match})"
            )
            added[table] = con.execute(f"select count(*) from {table}").fetchone()[0] - before
        finally:
            con.unregister("seed_rows")
    return added


def indicator_list(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every indicator's code, Vietnamese name and unit, by code."""
    return con.cursor().execute("select indicator_code, name_vi, unit from indicator order by indicator_code").df()


def indicators_with_targets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The indicators some plan sets a target for."""
    return con.cursor().execute(query("indicators_with_targets")).df()
