"""The command line beside the running app (`make run`'s server process, a real browser on it):
every command works while the app serves, and the app shows an imported value on its next run,
without a restart."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from indicators.store import gate
from tests.browser.support import open_page, reload_page
from tests.conftest import ROOT
from tests.store.test_import import add_account, workbook

pytestmark = pytest.mark.browser


def cli(db, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indicators", "--db", str(db), *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


def bhyt_card(page):
    name = page.locator("[data-testid='stMarkdownContainer'] strong").get_by_text(
        "Tỷ lệ dân số tham gia bảo hiểm y tế", exact=True)
    return page.get_by_test_id("stVerticalBlock").filter(has=name).last


def test_every_command_beside_the_serving_app(page, server, app_db, tmp_path):
    base, _ = server
    open_page(page, f"{base}/dia-phuong?locality=12&year=2030")   # the app has read the file
    expect(bhyt_card(page)).to_be_visible()
    expect(bhyt_card(page)).not_to_contain_text("97,3%")

    with gate.writing(app_db) as con:   # an officer's account, written while the app serves
        add_account(con, "canbo-lc-cli", "officer", "12")
    status = cli(app_db, "status", "--locality", "12", "--format", "json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)
    template = cli(app_db, "template", "--locality", "12", "-o", str(tmp_path / "mau.xlsx"))
    assert template.returncode == 0, template.stderr
    deck = cli(app_db, "deck", "--locality", "12", "-o", str(tmp_path / "lc.pptx"))
    assert deck.returncode == 0, deck.stderr
    assert (tmp_path / "lc.pptx").stat().st_size > 10_000

    xlsx = tmp_path / "bhyt.xlsx"
    xlsx.write_bytes(workbook([["12", "bhyt_coverage", "2026", 97.3]]))
    dry = cli(app_db, "import", str(xlsx), "--user", "canbo-lc-cli", "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["n_new"] == 1

    # The app serves between the commands, and a dry run changes nothing it shows.
    reload_page(page)
    expect(bhyt_card(page)).not_to_contain_text("97,3%")

    real = cli(app_db, "import", str(xlsx), "--user", "canbo-lc-cli")
    assert real.returncode == 0, real.stderr
    assert "Đã nhập lần số" in real.stdout

    # The next run of the page shows it: the server was not restarted.
    reload_page(page)
    expect(bhyt_card(page)).to_contain_text("97,3%")
