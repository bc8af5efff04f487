"""Province values from communes: Σ numerator / Σ denominator with their completeness —
never the mean of the communes' percentages."""
from __future__ import annotations

import re

import pytest

from indicators.progress import scorecard as sc
from indicators.progress.method import period_time
from indicators.store.sql import QUERY_DIR
from indicators.store.connection import connect

COMMUNES = {"98": ["98001", "98002", "98003", "98004"], "97": ["97001"]}
INDICATORS = [("cover", "percent"), ("deaths", "per_1000"), ("doctors", "per_10000"),
              ("life", "years"), ("added", "count")]


def make_db(rows, uploads=((1, "committed"),)):
    """rows: (locality, indicator, period, value, numerator, denominator, upload)."""
    con = connect(":memory:")
    for province, communes in COMMUNES.items():
        con.execute("insert into locality values ($c, $c, $c, 'tỉnh', 'province', null, $c)", {"c": province})
        for code in communes:
            con.execute("insert into locality values ($c, $c, $c, 'xã', 'commune', $p, $c)",
                        {"c": code, "p": province})
    for code, kind in INDICATORS:
        con.execute("insert into indicator values ($i, $i, $i, 'u', $k, 'higher', 0, 100000, 1, 'g')",
                    {"i": code, "k": kind})
    for upload_id, state in uploads:
        con.execute("insert into upload (upload_id, file_name, sha256, user_name, state) "
                    "values ($u, 'f.xlsx', $s, 't', $st)", {"u": upload_id, "s": str(upload_id), "st": state})
    for loc, ind, period, value, num, den, upload in rows:
        con.execute("insert into observation values ($l, $i, $p, $t, $v, $n, $d, null, $u)",
                    {"l": loc, "i": ind, "p": period, "t": period_time(period), "v": value, "n": num,
                     "d": den, "u": upload})
    return con


def test_a_province_percentage_is_the_ratio_of_sums_not_the_mean_of_percentages():
    # A small commune at 90% and a large one at 1%: the province has 100 of 1,100, 9.09%;
    # the mean of the two percentages, 45.5%, would be wrong.
    con = make_db([("98001", "cover", "2025", 90.0, 90, 100, 1), ("98002", "cover", "2025", 1.0, 10, 1000, 1)])
    row = sc.province_rollup(con, "98", "cover").iloc[0]
    assert row["value"] == pytest.approx(100 / 1100 * 100)
    assert row["value"] != pytest.approx((90.0 + 1.0) / 2)
    assert (row["numerator_sum"], row["denominator_sum"]) == (100, 1100)
    assert (row["n_reporting"], row["n_communes"], bool(row["is_complete"])) == (2, 4, False)


@pytest.mark.parametrize("indicator, rows, expected", [
    ("deaths", [(3, 1000), (1, 100)], 4 / 1100 * 1000),          # per 1,000
    ("doctors", [(13, 10000), (2, 5000)], 15 / 15000 * 10000),   # per 10,000
    ("cover", [(50, 100)] * 4, 50.0),                            # every commune reported
])
def test_scale_by_kind(indicator, rows, expected):
    con = make_db([(code, indicator, "2025-Q4", n / d * 100, n, d, 1) for code, (n, d) in zip(COMMUNES["98"], rows)])
    row = sc.province_rollup(con, "98", indicator).iloc[0]
    assert row["value"] == pytest.approx(expected)
    assert row["n_reporting"] == len(rows)
    assert bool(row["is_complete"]) == (len(rows) == 4)


def test_only_communes_that_reported_both_count_and_only_ratio_kinds_roll_up():
    con = make_db([
        ("98001", "cover", "2025", 50.0, 50, 100, 1),
        ("98002", "cover", "2025", 80.0, None, None, 1),   # a value without numerator/denominator
        ("98", "cover", "2025", 99.0, 99, 100, 1),         # the province's own figure is no commune
        ("98001", "life", "2025", 74.0, None, None, 1),
        ("98001", "added", "2025", 2.0, 2, 1, 1),
    ])
    got = sc.province_rollup(con, "98")
    assert got["indicator_code"].tolist() == ["cover"]
    assert got[["value", "n_reporting", "n_communes"]].values.tolist() == [[50.0, 1, 4]]


def test_latest_committed_figures_per_period_and_filters():
    con = make_db([
        ("98001", "cover", "2025", 50.0, 50, 100, 1), ("98001", "cover", "2025", 60.0, 60, 100, 2),
        ("98002", "cover", "2025", 10.0, 10, 100, 3),                          # reverted
        ("98001", "cover", "2024", 40.0, 40, 100, 1), ("97001", "cover", "2025", 5.0, 5, 100, 1),
    ], uploads=((1, "committed"), (2, "committed"), (3, "reverted")))
    got = sc.province_rollup(con, "98", "cover")
    assert got[["period", "value", "n_reporting"]].values.tolist() == [["2024", 40.0, 1], ["2025", 60.0, 1]]
    assert sc.province_rollup(con, None, "cover", "2025")[["province_code", "value"]].values.tolist() == [
        ["97", 5.0], ["98", 60.0]]
    assert sc.province_rollup(con, "98", "deaths").empty


def test_no_average_in_the_overview_queries():
    sql = (QUERY_DIR / "progress" / "scorecard.sql").read_text(encoding="utf-8").lower()
    code = "\n".join(line.split("--")[0] for line in sql.splitlines())
    assert not re.search(r"\b(avg|mean|median)\s*\(", code)
