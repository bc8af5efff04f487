"""The real-browser fixtures (app_db, server, browser, page) for the tests of this folder, and the
server's log in the report of a browser test that fails."""
import pytest

from tests.browser.support import app_db, browser, log_tail, page, server  # noqa: F401


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and report.when in ("setup", "call"):
        funcargs = getattr(item, "funcargs", {})
        pg = funcargs.get("page")
        if pg is not None:
            report.sections.append(("browser page", f"url at the failure: {pg.url}"))
        srv = funcargs.get("server")
        if srv is not None:
            report.sections.append(("streamlit server log (tail)", log_tail(srv[1])))
    return report
