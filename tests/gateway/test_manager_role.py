"""The manager (domain.md section 7, api.md): reads everything, the audit trail and the figures;
changes nothing. The rules table, the gateway's door with a manager person's identity, and the web
app as a manager person sees it."""

import re

import pytest

from gateway import rules
from gateway.main import create_app
from shared import context

from gateway_support import make_person, sign_in, token_in
from helpers import asgi_client, assert_problem
from reports_support import MANAGER, WithManager, headers

pytestmark = pytest.mark.anyio
READS = ("/warranty/units/KFR72-000001", "/warranty/claims/3", "/inventory/stock", "/inventory/reservations/4",
         "/inventory/supply-guarantee", "/billing/invoices", "/billing/invoices/7/pdf", "/billing/contracts",
         "/servicedesk/tickets", "/servicedesk/tickets/9", "/servicedesk/visits", "/servicedesk/sites",
         "/servicedesk/audit", "/warranty/audit")
WRITES = ("/warranty/units", "/warranty/claims", "/inventory/receipts", "/inventory/parts/CMP-72",
          "/billing/invoices", "/billing/company", "/servicedesk/tickets", "/servicedesk/tickets/9/dispatch",
          "/servicedesk/sites/ST-07")


@pytest.mark.parametrize("path", READS)
def test_the_rules_let_a_manager_read_every_service_path_and_write_none(path):
    assert rules.allowed("manager", "GET", path) and rules.allowed("manager", "HEAD", path)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert not rules.allowed("manager", method, path), (method, path)


def test_the_rules_give_a_manager_the_figures_and_the_trail_but_not_people_keys_or_metrics():
    for report in ("service", "warranty", "parts", "billing"):
        assert rules.allowed("manager", "GET", f"/reports/{report}")
    assert rules.allowed("manager", "GET", "/admin/audit")
    for path in ("/admin/users", "/admin/users/1", "/admin/api-keys", "/metrics"):
        assert not rules.allowed("manager", "GET", path), path
    for method, path in (("POST", "/admin/users"), ("PATCH", "/admin/users/1"), ("POST", "/admin/api-keys"),
                         ("DELETE", "/admin/api-keys/k1")):
        assert not rules.allowed("manager", method, path)


@pytest.fixture
async def as_manager(gateway_settings, fakes):
    """The gateway's door, with the identity a signed-in manager person's pages call with."""
    app = create_app(gateway_settings)
    async with asgi_client(app) as client:
        person = await make_person(client, "manager", display_name="赵经理")
        caller = context.Caller(role="manager", key_id=f"user:{person['id']}", kind="user", name="赵经理")
        app.state.authenticator = WithManager(app.state.authenticator, caller)
        yield client


async def test_a_manager_reads_tickets_units_stock_bills_the_trail_and_the_figures(as_manager, fakes):
    for path in ("/servicedesk/tickets", "/warranty/units/KFR72-000001", "/inventory/stock", "/billing/invoices",
                 "/admin/audit", "/reports/warranty", "/reports/parts", "/reports/billing", "/reports/service"):
        response = await as_manager.get(path, headers=headers(MANAGER))
        assert response.status_code == 200, (path, response.text)
    seen = [s for fake in fakes.values() for s in fake.seen]
    assert seen and {s.headers["x-caller-role"] for s in seen} == {"manager"}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_a_manager_changes_nothing(as_manager, fakes, method):
    for path in ("/servicedesk/tickets", "/warranty/units", "/inventory/receipts", "/billing/invoices",
                 "/billing/company", "/servicedesk/sites/ST-07", "/admin/users", "/admin/api-keys"):
        response = await as_manager.request(method, path, headers=headers(MANAGER), json={})
        assert_problem(response, 403, "forbidden")
    assert not any(fake.seen for fake in fakes.values())


async def test_a_manager_person_lands_on_the_figures_and_is_offered_no_page_that_writes(gateway, fakes):
    manager = await make_person(gateway, "manager", display_name="赵经理")
    form = await gateway.get("/app/login")
    signed = await gateway.post("/app/login", data={"csrf": token_in(form.text), "login": manager["login"],
                                                    "password": manager["one_time_password"]})
    assert signed.headers["location"] == "/app/password"  # a one-time password is changed first
    csrf = await sign_in(gateway, manager)
    assert (await gateway.get("/")).headers["location"] == "/app/manager"
    menu = (await gateway.get("/app/")).text
    assert re.findall(r'class="tile" href="([^"]+)"', menu) == ["/app/manager"]
    for path in ("/app/station", "/app/warehouse", "/app/warehouse/reserve", "/app/billing", "/app/desk",
                 "/app/desk/report", "/app/admin", "/app/admin/users", "/app/admin/users/new"):
        assert (await gateway.get(path)).status_code == 403, path
    for path in ("/app/desk/report", "/app/admin/users", "/app/warehouse/receipts"):
        assert (await gateway.post(path, data={"csrf": csrf, "caller_name": "李娜"})).status_code == 403, path
    trail_page = await gateway.get("/app/admin/audit")
    assert trail_page.status_code == 200 and 'href="/app/admin/audit"' in trail_page.text
    assert not any(s.method != "GET" for fake in fakes.values() for s in fake.seen)
