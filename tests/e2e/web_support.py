"""What the browser tests and the README's screenshots share: a seeded platform and a headless
Chromium driven through Debian's chromedriver (nothing downloaded; selenium-manager never runs)."""

import re
import shutil
import tempfile
import uuid
from pathlib import Path

import httpx

SERIAL = "KFR72-000001"
OLD_SERIAL = "KFR35-000009"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PHONE = (390, 844)
DESK = (1280, 800)
# People sign in to the web app with a login and a password (keys are for programs): the password
# every person made here chooses in place of their one-time password.
PASSWORD = "Chang-cheng 2026!"


class Credential(str):
    """An API key of a role (for the API), carrying a person of the same role and scope who signs in
    to the web app (`login`, `password`): the tests written when keys signed in keep working."""

    login = ""
    password = ""


# Every person made here, by the key they stand beside (a plain key string finds its person too).
PEOPLE: dict[str, Credential] = {}


def person(client, role: str, *, key: str = "", name: str = "", **scope) -> Credential:
    """A person of `role` made by the admin `client`, who has already chosen PASSWORD (over plain HTTP:
    sign in with the one-time password, then choose), beside `key`."""
    made = client.post("/admin/users", json={"login": f"{role}-{uuid.uuid4().hex[:8]}",
                                             "display_name": name or f"网页{role}", "role": role, **scope})
    assert made.status_code == 201, made.text
    made = made.json()
    with httpx.Client(base_url=client.base_url, timeout=30.0) as web:
        form = web.get("/app/login").text
        signed = web.post("/app/login", data={"csrf": _csrf(form), "login": made["login"],
                                              "password": made["one_time_password"]})
        assert signed.status_code == 303 and signed.headers["location"] == "/app/password", signed.text
        chosen = web.post("/app/password", data={"csrf": _csrf(web.get("/app/password").text),
                                                 "new_password": PASSWORD, "confirm_password": PASSWORD})
        assert chosen.status_code == 303, chosen.text
    credential = Credential(key)
    credential.login, credential.password = made["login"], PASSWORD
    if key:
        PEOPLE[key] = credential
    return credential


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def seed(client) -> dict:
    """Units, parts, warehouses and stock as a Jinan service centre has them; returns a key per role."""
    def ok(response):
        assert response.status_code in (200, 201, 409), response.text
        return response

    ok(client.post("/warranty/units", json={
        "serial_number": SERIAL, "model_code": "KFR-72LW", "product_name": "柜式空调",
        "site": {"name": "济南市中心医院", "address": "济南市历下区解放路 105 号", "region": "shandong"},
        "project_code": "JN-2024-017", "accepted_on": "2024-03-01", "certificate": {"number": "WC-2024-0001"}}))
    ok(client.post("/warranty/units", json={
        "serial_number": OLD_SERIAL, "model_code": "KFR-35GW", "product_name": "挂壁式空调",
        "site": {"name": "泉城广场写字楼", "region": "shandong"}, "accepted_on": "2021-05-10"}))
    for part in ({"part_number": "CMP-72", "name": "压缩机 7.2 kW", "uom": "台", "list_price": "1280.00",
                  "out_of_warranty_price": "1090.00", "min_stock": 30},
                 {"part_number": "FLT-100", "name": "空气过滤网", "uom": "片", "list_price": "45.00",
                  "out_of_warranty_price": "38.00", "min_stock": 10}):
        ok(client.post("/inventory/parts", json=part))
    ok(client.post("/inventory/models", json={"model_code": "KFR-72LW", "name": "柜式空调 7.2 kW"}))
    ok(client.put("/inventory/models/KFR-72LW/parts", json=[{"part_number": "CMP-72", "qty_per_unit": 1},
                                                              {"part_number": "FLT-100", "qty_per_unit": 2}]))
    for warehouse in ({"code": "CW-01", "name": "中心仓库", "kind": "central", "region": "shandong"},
                      {"code": "SC-JINAN", "name": "济南服务中心", "kind": "service_center", "region": "shandong"}):
        ok(client.post("/inventory/warehouses", json=warehouse))
    for warehouse, part, qty in (("CW-01", "CMP-72", 12), ("SC-JINAN", "CMP-72", 6), ("SC-JINAN", "FLT-100", 40)):
        ok(client.post("/inventory/receipts", json={"warehouse": warehouse, "part_number": part, "qty": qty,
                                                    "reference": "PO-2026-0001"}))
    keys = {}
    for role, extra in (("station", {}), ("warehouse", {"warehouses": ["SC-JINAN"]}), ("billing", {})):
        response = client.post("/admin/api-keys", json={"role": role, "name": f"web {role}", **extra})
        assert response.status_code == 201, response.text
        keys[role] = person(client, role, key=response.json()["key"], **extra)
    admin_key = client.headers.get("x-api-key", "")
    if admin_key and admin_key not in PEOPLE:
        person(client, "admin", key=admin_key)
    return keys


def make_driver(size=PHONE):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="web-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # to see any CSP violation
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
                 f"--window-size={size[0]},{size[1]}", "--lang=zh-CN"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    # The page's viewport exactly this size (the window's own frame would take some of it).
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": size[0] < 600})
    driver.profile_dir = profile
    return driver


def quit_driver(driver) -> None:
    try:
        driver.quit()
    finally:
        shutil.rmtree(driver.profile_dir, ignore_errors=True)


def sign_in(driver, base_url: str, who: str, *, lang: str = "") -> None:
    """Sign in as a person: a Credential, or a key a person was made beside (`person`)."""
    from selenium.webdriver.common.by import By

    who = who if getattr(who, "login", "") else PEOPLE[who]
    driver.get(base_url + "/app/login" + (f"?lang={lang}" if lang else ""))
    driver.find_element(By.ID, "login").send_keys(who.login)
    driver.find_element(By.ID, "password").send_keys(who.password)
    submit = driver.find_element(By.CSS_SELECTOR, "form button[type=submit]")
    submit.click()
    # Until the answer has replaced the form: a get() that races the form's POST on a loaded
    # machine could be overtaken by it, and the sign-in was then refused as a stale form.
    wait_replaced(driver, submit)


def wait_replaced(driver, element, timeout: float = 30) -> None:
    """Until the page that held `element` has been replaced by the answer to its form.

    Selenium's `staleness_of` only counts a stale-reference error as "replaced"; while a new
    document is being committed Chromium may instead answer "Node with given id does not
    belong to the document" (an unhandled inspector error), which means the same thing.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.wait import WebDriverWait

    def replaced(_driver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error) or "No node with given id" in str(error):
                return True
            raise
        return False

    WebDriverWait(driver, timeout).until(replaced)
