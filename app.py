"""Entry point: routes pages with st.navigation by role and draws the shared chrome, nothing else."""
import streamlit as st

from indicators.web import data, i18n, session, widgets


def pages_for(account) -> dict[str, list]:
    """The pages this visitor may open: dashboards for readers, upload for officers,
    administration for admins. Each protected page checks the role again itself."""
    dashboards = [
        # The home page lives at "/" (Streamlit ignores a default page's url_path).
        st.Page("pages/overview.py", title="Tổng quan", icon=":material/dashboard:", default=True),
        st.Page("pages/locality.py", title=widgets.t("page_locality"), icon=":material/location_on:",
                url_path="dia-phuong"),
        st.Page("pages/indicator.py", title="Chỉ tiêu", icon=":material/bar_chart:", url_path="chi-tieu"),
        st.Page("pages/present.py", title="Trình chiếu", icon=":material/slideshow:", url_path="trinh-chieu"),
    ]
    sections: dict[str, list] = {}
    if account or session.public_read():
        sections["Theo dõi"] = dashboards
    if account and account.has_role("officer"):
        sections["Báo cáo số liệu"] = [
            st.Page("pages/upload.py", title="Nhập số liệu", icon=":material/upload_file:", url_path="nhap-so-lieu"),
        ]
    if account and account.is_admin:
        sections["Quản trị"] = [
            st.Page("pages/admin_accounts.py", title="Tài khoản", icon=":material/group:", url_path="tai-khoan"),
            st.Page("pages/admin_plans.py", title="Kế hoạch và chỉ tiêu", icon=":material/flag:",
                    url_path="ke-hoach"),
            st.Page("pages/admin_audit.py", title="Nhật ký", icon=":material/history:", url_path="nhat-ky"),
        ]
    sign_in_page = st.Page("pages/sign_in.py", title="Đăng nhập", icon=":material/login:", url_path="dang-nhap",
                           default=not sections)
    sections.setdefault("Người dùng", []).append(sign_in_page)
    return sections


def chrome(account) -> None:
    with st.sidebar:
        st.markdown(f"### {widgets.t('app_title')}")
        st.selectbox(i18n.t("language", widgets.lang()), list(i18n.LANGUAGES), key="lang",
                     format_func=i18n.LANGUAGES.get)
        if account:
            st.caption(f"{widgets.safe(account.display_name)} · {account.role_label}")
            if st.button("Đăng xuất", icon=":material/logout:"):
                session.sign_out(reason="Đã đăng xuất.")
                st.rerun()
        if data.is_synthetic():
            st.caption("Cơ sở dữ liệu TỔNG HỢP (synthetic): số liệu không có thật.")
        elif data.has_illustrative_data():
            st.caption(f"⚠️ {widgets.t('illustrative_short')}: cơ sở dữ liệu đang có số liệu minh họa.")


def main() -> None:
    st.set_page_config(page_title="Chỉ tiêu y tế 2030", page_icon="🏥", layout="wide")
    data.follow_writes()   # a write by another process (the command line, another app) since the last run
    account = session.current_account()
    # A slide on screen: no sidebar, no menu (the presentation page hides the rest itself).
    presenting = bool(st.query_params.get("slide"))
    if not presenting:
        chrome(account)
    st.navigation(pages_for(account), position="hidden" if presenting else "sidebar").run()


main()
