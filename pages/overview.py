"""Tổng quan: what is off track, where, and who has not reported — for a scope and a target year."""
import pandas as pd
import streamlit as st

from indicators.web import data, fmt, i18n, scorecard_table, statuses, views, widgets

STATUSES = statuses.STATUSES
params = st.query_params

st.title("Tổng quan")
scope, province, year = widgets.scope_picker(params, key_prefix="ov")
approved_only = widgets.approved_only_toggle(st, params, key="ov_approved")
localities, indicators = data.labels()

level = "province"
if scope == "country":
    level = st.segmented_control("Hiển thị", ["province", "commune"], default=params.get("level", "province")
                                 if params.get("level") in ("province", "commune") else "province",
                                 format_func={"province": "Các tỉnh/thành phố", "commune": "Các xã/phường"}.get,
                                 key="ov_level", required=True)
    params["level"] = level
elif scope == "province":
    level = "both"
# The cells at that level, their counts and the filters' choices: once per data version.
shown = views.overview_cells(scope, province, year, approved_only, level)

if shown["cells"].empty:
    st.info("Chưa có chỉ tiêu nào trong phạm vi này. Các địa phương có kế hoạch: "
            + widgets.safe(", ".join(f"{n} ({c})" for c, n in zip(data.localities_with_targets()["locality_code"],
                                                     data.localities_with_targets()["name"]))))
    st.stop()
widgets.data_notices(shown["illustrative"])

# --- counts by status, each a filter ---------------------------------------------------------
counts = shown["counts"]
picked = st.pills("Lọc theo trạng thái (bấm để chọn)", STATUSES, selection_mode="multi",
                  format_func=lambda s: f"{statuses.status_text(s)}: {counts[s]}", key="ov_status",
                  default=[s for s in params.get("status", "").split(",") if s in STATUSES])
params["status"] = ",".join(picked) if picked else ""
if not picked:
    del params["status"]

g1, g2, g3, g4 = st.columns([3, 3, 2, 1])
chosen_groups = g1.multiselect("Nhóm chỉ tiêu", shown["groups"], default=[], placeholder="Tất cả các nhóm",
                               key="ov_groups")
ind_in_scope = indicators[indicators["indicator_code"].isin(shown["indicator_codes"])
                          & (indicators["indicator_group"].isin(chosen_groups) if chosen_groups else True)]
sort_options = ["attention"] + ind_in_scope["indicator_code"].tolist()
ind_names = dict(zip(indicators["indicator_code"], indicators["name_vi"]))
sort_by = g2.selectbox("Xếp hạng theo", sort_options, key="ov_sort",
                       format_func=lambda c: "Số chỉ tiêu chệch hướng (nhiều trước)" if c == "attention" else ind_names[c])
show = g3.selectbox("Hiển thị", ["all", "top", "bottom"], key="ov_show",
                    format_func={"all": "Tất cả", "top": "N đứng đầu", "bottom": "N cuối bảng"}.get)
n = g4.number_input("N", min_value=1, max_value=5000, value=20, key="ov_n")

# Pivoted, ranked, formatted and tinted once per data version and choice, for every session.
view = views.overview_table(scope, province, year, approved_only, level, tuple(picked),
                            tuple(ind_in_scope["indicator_code"]), sort_by, show, int(n))
table, order = view["table"], view["order"]
columns = {"locality": st.column_config.TextColumn("Địa phương", pinned=True, width="medium")}
columns.update({c: st.column_config.TextColumn(i18n.indicator_short(c, ind_names[c]), help=widgets.safe(ind_names[c]))
                for c in view["columns"]})
st.markdown(f"**Bảng điểm** – {len(table)} địa phương × {len(view['columns'])} chỉ tiêu, tiến độ đến năm {year}. "
            "Bấm vào một dòng để mở trang Địa phương; bấm tiêu đề cột để sắp xếp.")
event = st.dataframe(
    view["styled"],
    hide_index=True, width="stretch", height=min(38 + 35 * len(table), 640), on_select="rerun",
    selection_mode="single-row", key="ov_table",
    column_config=columns,
)
st.caption("Ô: dấu trạng thái, giá trị mới nhất, xu hướng. " + " · ".join(
    statuses.status_text(s) for s in STATUSES) + ". " + scorecard_table.TREND_LEGEND + ".")
rows = event.selection.rows if event and event.selection else []
if rows:
    st.switch_page("pages/locality.py", query_params={"locality": order[rows[0]], "year": str(year)})

# --- province values from communes -----------------------------------------------------------
if scope in ("province", "communes"):
    rollup = data.province_rollup(province)
    if not rollup.empty:
        latest = rollup.sort_values("period_time").groupby("indicator_code").tail(1)
        st.subheader("Giá trị của tỉnh tính từ số liệu các xã")
        st.caption("Tổng tử số chia tổng mẫu số của các xã đã báo cáo – không lấy trung bình các tỷ lệ.")
        ind = indicators.set_index("indicator_code")
        st.dataframe(pd.DataFrame({
            "Chỉ tiêu": [ind_names[c] for c in latest["indicator_code"]],
            "Kỳ": [fmt.period(p) for p in latest["period"]],
            "Giá trị tỉnh": [fmt.value(v, ind.at[c, "unit"], int(ind.at[c, "decimals"]), ind.at[c, "value_kind"])
                             for c, v in zip(latest["indicator_code"], latest["value"])],
            "Số xã báo cáo": [f"{r} / {t} xã" for r, t in zip(latest["n_reporting"], latest["n_communes"])],
        }), hide_index=True, width="stretch")

# --- reporting completeness ------------------------------------------------------------------
st.subheader("Mức độ đầy đủ của báo cáo kỳ gần nhất")
comp = data.completeness(scope, province)
if comp.empty:
    st.caption("Chưa có địa phương nào phải báo cáo trong phạm vi này.")
else:
    comp = comp[comp["indicator_code"].isin(ind_in_scope["indicator_code"])]
    st.dataframe(pd.DataFrame({
        "Chỉ tiêu": [ind_names[c] for c in comp["indicator_code"]],
        "Kỳ": [fmt.period(p) if isinstance(p, str) else "–" for p in comp["period"]],
        "Đã báo cáo": [f"{r} / {e}" for r, e in zip(comp["n_reported"], comp["n_expected"])],
        "Tỷ lệ": [fmt.value(100 * s, "%", 0) if pd.notna(s) else "–" for s in comp["reported_share"]],
        "Chưa báo cáo": comp["n_missing"].astype(int),
        "Đã duyệt": [f"{a} / {r}" for a, r in zip(comp["n_approved"], comp["n_reported"])],
    }), hide_index=True, width="stretch", key="ov_completeness",
        column_config={"Đã duyệt": st.column_config.TextColumn(
            help="Số địa phương đã báo cáo kỳ này mà kỳ báo cáo đã được cấp trên duyệt / số đã báo cáo")})
    lacking = comp.loc[comp["n_missing"] > 0, "indicator_code"].tolist()
    if lacking:
        which = st.selectbox("Xem danh sách chưa báo cáo của chỉ tiêu", lacking, format_func=ind_names.get,
                             key="ov_missing")
        missing = data.missing_reports(which, scope, province)
        st.dataframe(pd.DataFrame({
            "Mã": missing["locality_code"],
            "Địa phương": missing["locality_name"],
            "Cấp": missing["level"].map({"province": "Tỉnh/thành phố", "commune": "Xã/phường"}),
            "Kỳ cần báo cáo": [fmt.period(p) if isinstance(p, str) else "–" for p in missing["period"]],
            "Kỳ báo cáo gần nhất": [fmt.period(p) if isinstance(p, str) else "Chưa từng báo cáo"
                                    for p in missing["last_period"]],
        }), hide_index=True, width="stretch")


# --- approval of each locality's latest period -----------------------------------------------
APPROVAL_TEXT = {"open": "chưa nộp", "submitted": "đã nộp", "approved": "đã duyệt"}
approvals = data.approval_latest(scope, province, level if scope == "country" else None)
if not approvals.empty:
    def _approval_text(r: dict) -> str:
        who = r["changed_by_name"] if r["changed_by_name"] == r["changed_by"] else f"{r['changed_by_name']} ({r['changed_by']})"
        when = r["changed_at"].strftime("%d/%m/%Y") if pd.notna(r["changed_at"]) else ""
        if r["last_action"] == "return":
            return f"đã trả lại – {who}, {when}"
        return APPROVAL_TEXT[r["state"]] + (f" – {who}, {when}" if r["state"] != "open" else "")

    tally = approvals["state"].value_counts()
    where = {"province": "tỉnh/thành phố", "commune": "xã/phường"}.get(level, "địa phương")
    st.markdown(f"**Trạng thái duyệt kỳ báo cáo gần nhất của từng {where}**")
    st.caption(f"{len(approvals)} {where} có số liệu: " + " · ".join(
        f"{int(tally.get(s, 0))} {APPROVAL_TEXT[s]}" for s in ("approved", "submitted", "open"))
        + ". Kỳ gần nhất: kỳ mới nhất mà địa phương có số liệu, ở bất kỳ chỉ tiêu nào.")
    with st.expander(f"Danh sách {len(approvals)} {where}", expanded=len(approvals) <= 10):
        st.dataframe(pd.DataFrame({
            "Mã": approvals["locality_code"],
            "Địa phương": approvals["locality_name"],
            "Kỳ gần nhất": [fmt.period(p) for p in approvals["period"]],
            "Trạng thái duyệt": [_approval_text(r) for r in approvals.to_dict("records")],
            "Lý do trả lại": approvals["reason"].fillna(""),
        }), hide_index=True, width="stretch", key="ov_approval")
