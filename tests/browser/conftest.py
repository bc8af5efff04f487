"""The real-browser fixtures (app_db, server, browser, page) for the tests of this folder."""
from tests.browser.support import app_db, browser, page, server  # noqa: F401
