"""Entry point: routes pages with st.navigation by role and draws the shared chrome, nothing else."""
import streamlit as st

from indicators.web import data, i18n, pacing, session, sign_in, widgets


# Pages that need an account: (file, title, icon, url path, role).
PROTECTED = {
    "Báo cáo số liệu": [
        ("pages/upload.py", "Nhập số liệu", ":material/upload_file:", "nhap-so-lieu", "officer"),
        ("pages/task_upload.py", "Báo cáo nhiệm vụ", ":material/assignment_turned_in:", "bao-cao-nhiem-vu", "officer"),
        # Any signed-in role (a viewer may hold the 'approve' permission); shown to approvers only.
        ("pages/approval.py", "Duyệt số liệu", ":material/fact_check:", "duyet-so-lieu", "viewer"),
    ],
    "Quản trị": [
        ("pages/admin_accounts.py", "Tài khoản", ":material/group:", "tai-khoan", "admin"),
        ("pages/admin_plans.py", "Kế hoạch và chỉ tiêu", ":material/flag:", "ke-hoach", "admin"),
        ("pages/admin_tasks.py", "Nhiệm vụ và cơ quan", ":material/assignment_ind:", "quan-tri-nhiem-vu", "admin"),
        ("pages/admin_audit.py", "Nhật ký", ":material/history:", "nhat-ky", "admin"),
    ],
}
ROLE_NEEDED = {"viewer": "được cấp cho đơn vị", "officer": "cán bộ nhập liệu", "admin": "quản trị"}
# Pages that need more than a role: what the account needs (said by the stand-in), and the check.
NEEDS = {"duyet-so-lieu": ("người duyệt số liệu (quản trị viên, hoặc được cấp quyền duyệt)",
                           lambda account: data.approver_reach(account) is not None)}


def may_open(account, url_path: str, role: str) -> bool:
    """Whether the signed-in `account` may open a protected page: its role, and the page's own
    condition (NEEDS) when it has one."""
    if not account or not account.has_role(role):
        return False
    return url_path not in NEEDS or NEEDS[url_path][1](account)


def pages_for(account) -> dict[str, list]:
    """The pages this visitor may open: dashboards for readers, upload for officers, approval for
    approvers (admins, and accounts granted 'approve'), administration for admins. Each
    protected page checks the role again itself. A page the visitor may not open keeps its
    address, hidden from the menu: it asks a signed-out visitor to sign in and then shows itself
    (a shared link, a reload), and tells a signed-in one which role it needs, instead of
    Streamlit's "Page not found"."""
    dashboards = [
        # The home page lives at "/" (Streamlit ignores a default page's url_path).
        st.Page("pages/overview.py", title="Tổng quan", icon=":material/dashboard:", default=True),
        st.Page("pages/locality.py", title=widgets.t("page_locality"), icon=":material/location_on:",
                url_path="dia-phuong"),
        st.Page("pages/indicator.py", title="Chỉ tiêu", icon=":material/bar_chart:", url_path="chi-tieu"),
        st.Page("pages/present.py", title="Trình chiếu", icon=":material/slideshow:", url_path="trinh-chieu"),
        st.Page("pages/tasks.py", title="Nhiệm vụ", icon=":material/task_alt:", url_path="nhiem-vu"),
        # One task, opened from the board (a row, a link): not a menu entry of its own.
        st.Page("pages/task.py", title="Chi tiết nhiệm vụ", icon=":material/assignment:", url_path="nhiem-vu-chi-tiet",
                visibility="hidden"),
    ]
    sections: dict[str, list] = {}
    stand_ins = []
    if account or session.public_read():
        sections["Theo dõi"] = dashboards
    else:   # a private deployment: a shared dashboard link asks to sign in, then opens
        stand_ins = [st.Page(_stand_in(p.title, p.url_path, "viewer", None), title=p.title, url_path=p.url_path,
                             visibility="hidden") for p in dashboards[1:]]
    for section, pages in PROTECTED.items():
        for file, title, icon, url_path, role in pages:
            if may_open(account, url_path, role):
                sections.setdefault(section, []).append(st.Page(file, title=title, icon=icon, url_path=url_path))
            else:
                stand_ins.append(st.Page(_stand_in(title, url_path, role, account), title=title, icon=icon,
                                         url_path=url_path, visibility="hidden"))
    sign_in_page = st.Page("pages/sign_in.py", title="Đăng nhập", icon=":material/login:", url_path="dang-nhap",
                           default=not sections)
    sections.setdefault("Người dùng", []).append(sign_in_page)
    sections["Người dùng"].extend(stand_ins)
    return sections


def _stand_in(title: str, url_path: str, role: str, account):
    """The page drawn at a protected page's address for a visitor who may not open it."""
    needed = NEEDS[url_path][0] if url_path in NEEDS else ROLE_NEEDED[role]

    def page() -> None:
        if account is None:
            st.title("Đăng nhập")
            sign_in.render(session.next_for(url_path),
                           needed=f"Trang “{title}” cần đăng nhập bằng tài khoản {needed}.")
        else:
            st.title("Không có quyền mở trang này")
            st.error(f"Trang “{title}” cần quyền {needed}; tài khoản "
                     f"{widgets.safe(account.user_name)} ({account.role_label}) không có quyền này.")
    page.__name__ = "stand_in_" + url_path.replace("-", "_")
    return page


def chrome(account) -> None:
    with st.sidebar:
        st.markdown(f"### {widgets.t('app_title')}")
        st.selectbox(i18n.t("language", widgets.lang()), list(i18n.LANGUAGES), key="lang",
                     format_func=i18n.LANGUAGES.get)
        if not account and st.session_state.get("sign_out_reason"):
            st.info(st.session_state["sign_out_reason"])   # why this tab was signed out (another tab, an admin…)
        if account:
            st.caption(f"{widgets.safe(account.display_name)} · {account.role_label}")
            if st.button("Đăng xuất", icon=":material/logout:"):
                session.sign_out()
                session.go("/phien/ket-thuc")   # the cookie, cleared by the server
        if data.is_synthetic():
            st.caption("Cơ sở dữ liệu TỔNG HỢP (synthetic): số liệu không có thật.")
        elif data.has_illustrative_data():
            st.caption(f"⚠️ {widgets.t('illustrative_short')}: cơ sở dữ liệu đang có số liệu minh họa.")


def main() -> None:
    st.set_page_config(page_title="Chỉ tiêu y tế 2030", page_icon="🏥", layout="wide")
    data.follow_writes()   # a write by another process (the command line, another app) since the last run
    account = session.current_account()
    hand_off = session.take_hand_off()
    if hand_off:   # signed in on the last run: the route that sets the cookie, then back to the page
        session.go(hand_off)
    # A slide on screen: no sidebar, no menu (the presentation page hides the rest itself).
    presenting = bool(st.query_params.get("slide"))
    if not presenting:
        chrome(account)
    st.navigation(pages_for(account), position="hidden" if presenting else "sidebar").run()


with pacing.run_slot():   # a few runs at a time in this process, the rest wait their turn
    main()
