"""Every dashboard in a real browser: a manager signs in through the back-office form, opens each
dashboard linked from /dashboards/ (found on the page, so dashboards added later are covered), the
Plotly graphs draw, the browser console shows no errors, and a screenshot of each page is saved
under instance/screenshots/.

Needs Debian's chromium and chromium-driver (`apt-get install chromium chromium-driver`) and
selenium (requirements-dev.txt); without /usr/bin/chromium the test is skipped, saying so.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from commerce.db import utcnow
from tests import factories
from tests.checkout.factories import make_order
from wsgi import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "instance" / "screenshots"
WAIT_SECONDS = 30

pytestmark = [
    pytest.mark.committed,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs /usr/bin/chromium and /usr/bin/chromedriver "
        "(apt-get install chromium chromium-driver)",
    ),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")


@pytest.fixture
def live_server(app, db_session) -> Iterator[str]:
    """The test app served over real HTTP on a free port, in a thread. Yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()


def seed_orders() -> None:
    """A few paid orders over the last days (and the rollups the dashboards read, if any)."""
    now = utcnow()
    for days_ago, lines in ((0, ((1, 2500),)), (1, ((2, 1200), (1, 800))), (3, ((1, 9900),)),
                            (9, ((3, 500),))):  # fmt: skip
        make_order(
            lines=lines,
            status="paid",
            payment_status="paid",
            shipping_country="DE",
            placed_at=now - dt.timedelta(days=days_ago, hours=1),
        )
    try:
        from commerce.reporting import rollups
    except ImportError:  # no rollups: the dashboards read the orders themselves
        return
    rollups.rebuild()


def wait_for_dash(driver, what: str) -> None:
    """Wait until Dash has rendered the page and no callback is still loading."""
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d) -> bool:
        return d.execute_script(
            "return document.readyState === 'complete'"
            " && !!document.querySelector('#react-entry-point *')"
            " && !document.querySelector('[data-dash-is-loading=\"true\"]')"
            " && !document.querySelector('._dash-loading')"
        )

    WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.2).until(
        ready, message=f"{what}: Dash did not finish rendering"
    )


def wait_for_graphs(driver, what: str) -> int:
    """Wait until every Plotly graph on the page has drawn its SVG. Returns how many there are."""
    from selenium.webdriver.support.ui import WebDriverWait

    def drawn(d) -> int | bool:
        return d.execute_script(
            "const graphs = document.querySelectorAll('.dash-graph');"
            "const plots = document.querySelectorAll('.js-plotly-plot');"
            "if (!graphs.length || plots.length < graphs.length) return false;"
            "for (const p of plots) { if (!p.querySelector('.main-svg')) return false; }"
            "return plots.length;"
        )

    return WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.2).until(
        drawn, message=f"{what}: the graphs were not drawn"
    )


def severe(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def sign_in_as_manager(driver, base: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    manager = factories.make_staff("manager", name="Max Manager")
    driver.get(f"{base}/admin/login")
    driver.find_element(By.NAME, "email").send_keys(manager.email)
    driver.find_element(By.NAME, "password").send_keys(factories.PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: "/admin/login" not in d.current_url, message="sign-in did not leave the form"
    )


def dashboard_links(driver, base: str) -> list[str]:
    """The dashboard pages the overview links to (absolute URLs, in page order, no repeats)."""
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);"
    )
    pages: list[str] = []
    for href in hrefs:
        path = urlsplit(href).path
        page = path.rstrip("/")
        if (
            href.startswith(base)
            and page.startswith("/dashboards/")
            and not page.startswith("/dashboards/_")
            and page not in pages
        ):
            pages.append(page)
    return [base + path for path in pages]


def test_every_dashboard_draws_its_graphs_without_console_errors(live_server, browser):
    seed_orders()
    sign_in_as_manager(browser, live_server)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    browser.get(f"{live_server}/dashboards/")
    wait_for_dash(browser, "/dashboards/")
    browser.save_screenshot(str(SCREENSHOTS / "dashboards.png"))
    assert severe(browser) == [], "console errors on /dashboards/"
    pages = dashboard_links(browser, live_server)
    assert pages, "the overview links to no dashboard"

    problems: dict[str, list[str]] = {}
    for url in pages:
        path = urlsplit(url).path
        browser.get(url)
        wait_for_dash(browser, path)
        graphs = wait_for_graphs(browser, path)
        wait_for_dash(browser, path)  # graphs drawn may start more callbacks
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
        browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
        assert graphs >= 1
        if errors := severe(browser):
            problems[path] = errors
    assert problems == {}
