"""Quản trị · Nhiệm vụ và cơ quan: which agency an account reports for, which Tổ công tác follows
each group of a plan's tasks, and a plan's tasks added from an Excel list."""
import streamlit as st

from indicators.web import actions, data, fmt, session, task_pages, tasks, widgets

admin = session.require_page_role("admin")
safe = widgets.safe
st.title("Nhiệm vụ và cơ quan")
widgets.flash("admin_tasks")


def run(action, success: str) -> None:
    """Run one admin action; a refusal is shown, a success survives the rerun that shows it."""
    widgets.run_then_rerun("admin_tasks", action, success)


agency_tab, team_tab, list_tab = st.tabs(["Tài khoản báo cáo cho cơ quan", "Nhóm nhiệm vụ và Tổ công tác",
                                          "Thêm nhiệm vụ từ danh sách Excel"])

# --- accounts and agencies ----------------------------------------------------------------------
with agency_tab:
    st.caption("Cán bộ nhập liệu báo cáo tiến độ các nhiệm vụ do cơ quan của mình chủ trì: gán cơ quan cho tài khoản "
               "ở đây. Một tài khoản có thể báo cáo cho nhiều cơ quan; quản trị viên báo cáo được mọi nhiệm vụ.")
    granted = task_pages.account_agencies()
    if granted.empty:
        st.info("Chưa tài khoản nào được gán cơ quan.")
    else:
        st.dataframe(granted.assign(
            role=granted["role"].map(actions.ROLE_LABELS),
            granted_at=[task_pages.moment_text(t) for t in granted["granted_at"]],
        )[["user_name", "display_name", "role", "agency_name", "granted_by", "granted_at"]], hide_index=True,
            width="stretch", key="agency_grants", column_config={
                "user_name": "Tên đăng nhập", "display_name": "Tên hiển thị", "role": "Vai trò",
                "agency_name": "Báo cáo cho cơ quan", "granted_by": "Gán bởi", "granted_at": "Gán lúc"})
    catalogue = task_pages.agency_catalogue()
    names = dict(zip(catalogue["agency_code"], catalogue["name_vi"]))
    leading = dict(zip(catalogue["agency_code"], catalogue["n_lead"]))
    accounts = data.accounts()
    with st.form("agency_grant"):
        c1, c2 = st.columns(2)
        who = c1.selectbox("Tài khoản", accounts["user_name"].tolist(), key="grant_who",
                           format_func=dict(zip(accounts["user_name"], accounts["user_name"] + " – "
                                                + accounts["display_name"])).get)
        agency = c2.selectbox("Cơ quan", list(names), key="grant_agency",
                              format_func=lambda c: f"{names[c]} (chủ trì {fmt.number(leading[c], 0)} nhiệm vụ)")
        g1, g2, _ = st.columns([1, 1, 3])
        if g1.form_submit_button("Gán cơ quan", type="primary"):
            run(lambda: tasks.grant_agency(admin, who, agency), "{result}")
        if g2.form_submit_button("Bỏ gán"):
            run(lambda: tasks.revoke_agency(admin, who, agency), "{result}")

# --- groups and Tổ công tác ---------------------------------------------------------------------
plans = tasks.plans_with_tasks()
with team_tab:
    if plans.empty:
        st.info("Chưa có kế hoạch nào có danh sách nhiệm vụ.")
    else:
        plan_code = task_pages.plan_picker(st, {}, plans, key="teams_plan")
        number = fmt.plan_number(plans.set_index("plan_code").at[plan_code, "number"])
        groups = task_pages.plan_groups(plan_code)
        teams = task_pages.plan_teams(plan_code)
        if groups["team_no"].isna().all():
            st.info(f"Văn bản kế hoạch {safe(number)} không nêu nhóm nhiệm vụ nào do Tổ công tác nào theo dõi: mọi "
                    f"nhóm đang “{task_pages.UNASSIGNED}”. Phân Tổ cho từng nhóm dưới đây; bảng nhiệm vụ xem theo Tổ "
                    "và theo Phó Chủ tịch chỉ đạo sẽ theo cách phân này.")
        st.dataframe({
            "Nhóm": groups["group_no"].astype(int),
            "Tên nhóm": groups["title"],
            "Số nhiệm vụ": groups["n_tasks"].astype(int),
            "Tổ công tác": [task_pages.team_label(t, teams) for t in groups["team_no"]],
        }, hide_index=True, width="stretch", key="group_teams",
            column_config={"Nhóm": st.column_config.NumberColumn(width="small"),
                           "Số nhiệm vụ": st.column_config.NumberColumn(width="small")})
        if teams.empty:
            st.caption(f"Kế hoạch {safe(number)} không lập Tổ công tác nào.")
        else:
            with st.form("group_team"):
                c1, c2 = st.columns(2)
                titles = dict(zip(groups["group_no"].astype(int), groups["title"]))
                group_no = c1.selectbox("Nhóm nhiệm vụ", list(titles), key="team_group",
                                        format_func=lambda g: f"{g}. {titles[g]}")
                options = [None] + teams["team_no"].astype(int).tolist()
                team_no = c2.selectbox("Tổ công tác theo dõi", options, key="team_pick",
                                       format_func=lambda t: task_pages.team_label(t, teams))
                if st.form_submit_button("Lưu", type="primary"):
                    run(lambda: tasks.set_group_team(admin, plan_code, int(group_no), team_no), "{result}")
            with st.expander(f"Các Tổ công tác của kế hoạch {safe(number)}"):
                st.dataframe(teams.rename(columns={"team_no": "Tổ", "title": "Tên", "directed_by": "Phó Chủ tịch chỉ đạo"}),
                             hide_index=True, width="stretch", key="work_teams")

# --- a plan's tasks from a list -----------------------------------------------------------------
with list_tab:
    st.caption("Tệp Excel (.xlsx, .xls, .ods) hoặc .csv có dòng tiêu đề với các cột như tệp data/seed/plan_tasks.csv: "
               "group_no, task_no, task_title, lead_agency, partner_agencies, product, deadline_text, deadline_period "
               "(để trống thì đọc từ deadline_text), indicator_codes (không bắt buộc), group_title (tên nhóm mới, không "
               "bắt buộc). Cơ quan ghi đúng tên trong danh mục, cách nhau bằng dấu chấm phẩy; vai trò ghi trong ngoặc. "
               "Định dạng cột task_no là Văn bản (Text) để 3.10 không thành 3.1.")
    all_plans = data.plans()
    codes = all_plans["plan_code"].tolist()
    plan_numbers = dict(zip(all_plans["plan_code"], all_plans["number"]))
    n_tasks = dict(zip(plans["plan_code"], plans["n_tasks"]))
    first = codes.index(plans["plan_code"].iloc[0]) if not plans.empty else 0
    target = st.selectbox("Thêm vào kế hoạch", codes, index=first, key="list_plan",
                          format_func=lambda c: f"{fmt.plan_number(plan_numbers[c])} ({c}) – "
                                                f"{fmt.number(n_tasks.get(c, 0), 0)} nhiệm vụ")
    uploaded = st.file_uploader("Danh sách nhiệm vụ", type=["xlsx", "xls", "ods", "csv"],
                                key=f"task_list_file_{st.session_state.get('task_list_round', 0)}",
                                max_upload_size=actions.MAX_UPLOAD_MIB)
    if uploaded is not None:
        content = uploaded.getvalue()
        key = (actions.file_digest(content), uploaded.name, target)
        cached = st.session_state.get("task_list_preview")
        preview = cached[1] if cached and cached[0] == key else None
        if preview is None:
            try:
                with st.spinner("Đang đọc danh sách…"):
                    preview = task_pages.preview_task_list(admin, target, content, uploaded.name)
                st.session_state["task_list_preview"] = (key, preview)
            except actions.Refused as exc:
                st.error(safe(str(exc)))
        if preview is not None:
            for note in preview.notes:
                st.caption(safe(note))
            if preview.errors:
                st.error(f"{fmt.number(len(preview.errors), 0)} lỗi; chưa thêm nhiệm vụ nào. Sửa tệp rồi tải lên lại.")
                for e in preview.errors:
                    st.markdown(f"- {safe(e[:1].upper() + e[1:])}")
            else:
                for w in preview.warnings:
                    st.warning(safe(w[:1].upper() + w[1:]))
                st.markdown(f"**{fmt.number(preview.n_new, 0)} nhiệm vụ mới** sẽ được thêm vào kế hoạch "
                            f"{safe(fmt.plan_number(plan_numbers[target]))}"
                            + (f"; {fmt.number(len(preview.existing), 0)} nhiệm vụ đã có được giữ nguyên "
                               f"({safe(', '.join(preview.existing[:15]))}{' …' if len(preview.existing) > 15 else ''})"
                               if preview.existing else "")
                            + (f"; thêm nhóm {safe(', '.join(str(g) for g in preview.new_groups))}"
                               if preview.new_groups else "") + ".")
                if preview.n_new:
                    new = preview.new_tasks
                    st.dataframe({"Nhóm": new["group_no"], "Số": new["task_no"], "Nhiệm vụ": new["title"],
                                  "Cơ quan chủ trì": new["lead_text"], "Thời hạn": new["deadline_text"],
                                  "Hạn": [task_pages.day_text(d) for d in new["deadline_date"]]},
                                 hide_index=True, width="stretch", key="task_list_new")
                    if st.button(f"Thêm {fmt.number(preview.n_new, 0)} nhiệm vụ", type="primary", key="task_list_add"):
                        try:
                            message = task_pages.add_task_list(admin, preview)
                        except actions.Refused as exc:
                            st.error(safe(str(exc)).replace("\n", "  \n"))
                        else:   # a new, empty uploader for the next list
                            st.session_state.pop("task_list_preview", None)
                            st.session_state["task_list_round"] = st.session_state.get("task_list_round", 0) + 1
                            st.session_state["admin_tasks_flash"] = safe(message)
                            st.rerun()
