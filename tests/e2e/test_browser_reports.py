"""The manager's figures in a real browser (headless Chromium) on a phone-size window: the month's service
figures as a chart drawn by ECharts under the page's CSP, the page no wider than the phone, another month
and grouping picked from the lists, and the Excel file downloaded and opened.

The gateway runs for real (uvicorn, its own database); the services behind it are the fakes of
tests/gateway/reports_support.py on real ports, which answer /reports/* as api.md shapes them."""

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_e2e_web import by_id, css, open_browser, wait_for_path
from web_support import PHONE, chromium_available, person, sign_in

from shared.clock import FixedClock

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gateway"))
from gateway_support import ADMIN, LiveServer  # noqa: E402
from reports_support import FakePlatform, settings_for  # noqa: E402

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and /usr/bin/chromedriver"),
]
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
STATIONS = [{"key": f"ST-JINAN-{n:02d}", "name": f"济南第{n}维修站", "reports": 10 + n,
             "on_time_rate": {"dispatch": 0.9 + n / 200, "on_site": 0.8 + n / 100, "fixed": 0.7 + n / 100},
             "mean_minutes_to_dispatch": 5 + n} for n in range(1, 13)]
PAGE_WIDTH = "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];"


@pytest.fixture(scope="module")
def services():
    with FakePlatform() as fakes:
        yield fakes


@pytest.fixture
def live_gateway(database_factory, services):
    from gateway.main import create_app

    services.reset()
    settings = settings_for(database_factory("gateway"), services.urls())
    with LiveServer(create_app(settings, clock=FixedClock(NOW)), lifespan="on") as server:
        yield server


def manager_key(base_url: str):
    """A manager: a person who signs in with a login and a password (web_support.person)."""
    import httpx

    with httpx.Client(base_url=base_url, headers={"X-API-Key": ADMIN}, timeout=10) as admin:
        return person(admin, "manager", name="赵经理")


@pytest.fixture
def phone(request):
    yield from open_browser(request, PHONE)


def downloads_into(driver, folder: Path) -> None:
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})


def wait_for_file(folder: Path, seconds: float = 30) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.suffix == ".xlsx"]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no workbook arrived in {folder}: {list(folder.iterdir())}")


def test_a_manager_reads_the_month_s_service_figures_on_a_phone_and_downloads_them(live_gateway, services,
                                                                                    phone):
    services.services["servicedesk"].rows = STATIONS
    sign_in(phone, live_gateway.url, manager_key(live_gateway.url))
    phone.get(live_gateway.url + "/app/manager")
    chart = by_id(phone, "figures-chart")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(phone, 20).until(lambda d: chart.get_attribute("data-ready") == "true")
    canvases = chart.find_elements("css selector", "canvas")
    assert canvases and canvases[0].size["width"] > 200 and canvases[0].size["height"] > 200
    assert chart.size["width"] <= PHONE[0]
    scroll_width, client_width = phone.execute_script(PAGE_WIDTH)
    assert scroll_width <= client_width, "the page scrolls sideways on a phone"
    table = by_id(phone, "figures-table")
    assert "济南第1维修站" in table.text and "准时率 · 派工" in table.text
    asked = services.services["servicedesk"].asked[-1]
    assert asked.query == {"from": "2026-11-01", "to": "2026-11-27", "group_by": "station"}
    violations = [e["message"] for e in phone.get_log("browser") if "Content Security Policy" in e["message"]]
    assert violations == []

    # Last month, by service centre, from the lists.
    from selenium.webdriver.support.ui import Select

    Select(by_id(phone, "month")).select_by_value("2026-10")
    Select(by_id(phone, "group_by")).select_by_value("centre")
    by_id(phone, "figures-form").find_element("css selector", "button[type=submit]").click()
    wait_for_path(phone, "group_by=centre")
    assert services.services["servicedesk"].asked[-1].query == {"from": "2026-10-01", "to": "2026-10-31",
                                                               "group_by": "centre"}
    assert css(phone, "#figures-chart canvas")

    folder = Path(tempfile.mkdtemp(prefix="figures-download-"))
    downloads_into(phone, folder)
    by_id(phone, "figures-download").click()
    workbook = wait_for_file(folder)
    from openpyxl import load_workbook

    sheet = load_workbook(workbook)["服务台"]
    rows = list(sheet.iter_rows(min_row=8, values_only=True))
    assert len(rows) == len(STATIONS) and rows[0][1] == "济南第1维修站" and isinstance(rows[0][2], int)
