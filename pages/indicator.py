"""Chỉ tiêu: one indicator across the localities in scope — ranking, trajectories, table."""
import streamlit as st

from indicators.web import actions, data, views, widgets

params = st.query_params
st.title("Chỉ tiêu")
localities, indicators = data.labels()
with_targets = data.indicators_with_targets()
codes = with_targets["indicator_code"].tolist()
wanted = params.get("indicator") if params.get("indicator") in codes else codes[0]
indicator = st.selectbox("Chỉ tiêu", codes, index=codes.index(wanted), key="ind_code",
                         format_func=dict(zip(with_targets["indicator_code"], with_targets["name_vi"])).get)
params["indicator"] = indicator
scope, province, year = widgets.scope_picker(params, key_prefix="ind")
ind = indicators.set_index("indicator_code").loc[indicator]
unit, decimals, kind = ind["unit"], int(ind["decimals"]), ind["value_kind"]

df = data.indicator_across(indicator, scope, province, year)
if df.empty:
    st.info(f"Chưa có địa phương nào trong phạm vi này có chỉ tiêu “{widgets.safe(ind['name_vi'])}” trong kế hoạch.")
    st.stop()
widgets.data_notices(bool(df["is_latest_illustrative"].any()))
names = localities.set_index("locality_code")["locality_name"].to_dict()
st.caption(f"{widgets.safe(ind['name_vi'])} ({widgets.safe(unit)}) – {'càng cao càng tốt' if ind['direction'] == 'higher' else 'càng thấp càng tốt'}; "
           f"{len(df)} địa phương có chỉ tiêu, {int(df['latest_value'].notna().sum())} đã báo cáo. "
           "Mỗi tỉnh/xã so với mục tiêu của chính kế hoạch mình.")

c1, c2 = st.columns([2, 1])
show = c1.segmented_control("Hiển thị", ["top", "bottom", "all"], default="top", key="ind_show", required=True,
                            format_func={"top": "Đứng đầu", "bottom": "Cuối bảng", "all": "Tất cả"}.get)
n = c2.number_input("Số địa phương", 5, 5000, 30, key="ind_n")
# The two figures, built once per data version and choice for every session.
figs = views.indicator_figures(indicator, scope, province, year, show, int(n))
if figs["n_ranked_of"] > figs["n_ranked"]:
    st.caption(f"Biểu đồ xếp hạng vẽ {figs['n_ranked']} trên {figs['n_ranked_of']} địa phương; bảng bên dưới có đủ.")
st.plotly_chart(figs["ranked"], config={"displaylogo": False}, key="ind_ranked")

st.subheader("Diễn biến theo thời gian")
if figs["multiples"] is None:
    st.caption("Chưa có số liệu báo cáo.")
else:
    st.caption(f"{figs['n_multiples']} địa phương đầu tiên của biểu đồ trên, cùng thang đo.")
    st.plotly_chart(figs["multiples"], config={"displaylogo": False}, key="ind_multiples")

st.subheader("Bảng")
table = views.indicator_table(indicator, scope, province, year)
st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 560))
d1, d2, _ = st.columns([1, 1, 4])
# Callables: the files are built only when someone clicks.
d1.download_button("Tải Excel", lambda: actions.table_file(table, "xlsx"), file_name=f"{indicator}-{year}.xlsx",
                   icon=":material/download:", key="ind_xlsx")
d2.download_button("Tải CSV", lambda: actions.table_file(table, "csv"), file_name=f"{indicator}-{year}.csv",
                   icon=":material/download:", key="ind_csv")
