"""No page restates a limit (issue 16): across EVERY template of the web app, an input's or textarea's
maxlength, minlength, min, max and pattern is an expression of a contract (shared/contracts), never a literal,
and every text field of the console's `input(...)` macro names its maxlength (the macro has no default).

The desk's, station's, warehouse's, billing's and the catalogue console's inputs are compared with their
services' OpenAPI in test_form_limits.py and test_form_limits_stock_billing.py; this file compares the rest:
the organisation and unit console, the settings forms, the people and key pages, sign-in and password."""

import importlib
import re
from pathlib import Path

import pytest
from test_form_limits import ATTRIBUTE, DATES, LIMITS, STATEMENT, TAG, field_schema

from gateway import config, passwords, trail
from gateway.main import create_app
from gateway.web import pages
from shared import search, settings
from shared.contracts import common as common_contract
from shared.contracts import people as people_contract
from shared.contracts import servicedesk as desk_contract
from shared.contracts import warranty as warranty_contract

TEMPLATES = Path(pages.TEMPLATES)
CONTRACTS = {"desk_contract": desk_contract, "warranty_contract": warranty_contract,
             "people_contract": people_contract, "common_contract": common_contract}
FROM_A_CONTRACT = re.compile(r"^\{\{ (desk|warranty|inventory|billing|people|common)_contract\.[A-Z_]+(\.| |\}).*\}\}$")
MACRO_CALL = re.compile(r'\binput\("(\w+)",(.*?)\) \}\}')
MACRO_MAXLENGTH = re.compile(r"\bmaxlength=([\w.]+)")
MACRO_TYPE = re.compile(r'\btype="(\w+)"')
NOT_A_FIELD = ("progress", "meter")  # <progress max="1">: a bar's scale, not a limit of anything typed


@pytest.fixture(scope="module")
def specs() -> dict[str, dict]:
    found = {}
    for name in ("servicedesk", "warranty"):
        module = importlib.import_module(f"services.{name}.main")
        found[name] = module.create_app(settings.load(name, database_url="sqlite://")).openapi()
    gateway = create_app(config.load(database_url="sqlite://", admin_api_key="form-limits-test-key"))
    found["gateway"] = gateway.app.openapi()
    return found


def value(expression: str) -> object:
    """An expression of a macro call (`desk_contract.PHONE_MAX_LENGTH`) as the page renders it."""
    module, name = expression.strip().split(".")
    return getattr(CONTRACTS[module], name)


def macro_maxlengths(path: Path) -> dict[str, str]:
    found = {}
    for name, arguments in MACRO_CALL.findall(path.read_text()):
        if (m := MACRO_MAXLENGTH.search(arguments)) is not None:
            found[name] = m.group(1)
    return found


def attribute_of(template: str, name: str, limit: str) -> str:
    for _tag, inside in TAG.findall((TEMPLATES / template).read_text()):
        attributes = dict(ATTRIBUTE.findall(STATEMENT.sub(" ", inside)))
        if attributes.get("name") == name and limit in attributes:
            return attributes[limit]
    raise AssertionError(f"{template}: no {limit} on {name}")


def rendered(expression: str) -> object:
    """`{{ people_contract.LOGIN_MAX_CHARS }}` as the page renders it."""
    return pages.environment.from_string(expression).render()


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_writes_a_limit_as_a_literal(path):
    text = STATEMENT.sub(" ", path.read_text())
    for tag, inside in TAG.findall(text):
        attributes = dict(ATTRIBUTE.findall(inside))
        if attributes.get("type") in (*DATES, "date", "time", "hidden"):
            continue  # a day or a time picked: its min and max are days, not limits of a contract
        for limit in LIMITS:
            if limit in attributes and not attributes[limit].startswith("{{"):
                raise AssertionError(f"{path.name}: {limit}={attributes[limit]!r} written as a literal in <{tag}>")
    for other in re.findall(r"<(\w+)\b[^>]*\b(?:maxlength|minlength|pattern)=\"(?!\{\{)", text):
        assert other in ("input", "textarea"), f"{path.name}: a literal limit on <{other}>"
    for name, arguments in MACRO_CALL.findall(path.read_text()):
        typed = MACRO_TYPE.search(arguments)
        if (typed.group(1) if typed else "text") in ("text", "tel", "url", "search"):
            assert MACRO_MAXLENGTH.search(arguments), f"{path.name}: {name} has no maxlength"
        for expression in re.findall(r"\b(?:maxlength|minlength)=([^,)]+)", arguments):
            assert re.match(r"^\w+_contract\.[A-Z_]+$", expression.strip()), f"{path.name}: {name}: {expression}"


def test_the_console_macro_has_no_default_length_of_its_own():
    macro = (TEMPLATES / "console/_form.html").read_text()
    assert "maxlength=None" in macro and "maxlength=200" not in macro
    assert 'maxlength="{{ common_contract.SEARCH_MAX_LENGTH }}"' in macro
    assert common_contract.SEARCH_MAX_LENGTH == search.MAX_LENGTH


# (template, input) -> (service, schema or "GET path", field): the console's macro inputs and the plain inputs.
WIRE = {
    ("console/site.html", "code"): ("servicedesk", "SiteCreate", "code"),
    ("console/site.html", "name"): ("servicedesk", "SiteCreate", "name"),
    ("console/site.html", "address"): ("servicedesk", "SiteCreate", "address"),
    ("console/site.html", "phone"): ("servicedesk", "SiteCreate", "phone"),
    ("console/site.html", "webhook_url"): ("servicedesk", "WebhookIn", "url"),
    ("console/technician.html", "name"): ("servicedesk", "TechnicianCreate", "name"),
    ("console/technician.html", "phone"): ("servicedesk", "TechnicianCreate", "phone"),
    ("console/unit_new.html", "product_name"): ("warranty", "UnitCreate", "product_name"),
    ("console/unit_new.html", "site_name"): ("warranty", "SiteIn", "name"),
    ("console/unit_new.html", "site_address"): ("warranty", "SiteIn", "address"),
    ("console/unit_new.html", "project_code"): ("warranty", "UnitCreate", "project_code"),
    ("console/unit_new.html", "certificate_number"): ("warranty", "CertificateIn", "number"),
    ("console/season.html", "region"): ("warranty", "SiteIn", "region"),
}
PLAIN = {
    ("admin/user.html", "display_name", "maxlength"): ("gateway", "UserCreate", "display_name"),
    ("admin/user.html", "phone", "maxlength"): ("gateway", "UserCreate", "phone"),
    ("admin/keys.html", "name", "maxlength"): ("gateway", "ApiKeyCreate", "name"),
    ("admin/users.html", "q", "maxlength"): ("gateway", "GET /admin/users", "q"),
    ("console/units.html", "project_code", "maxlength"): ("warranty", "UnitCreate", "project_code"),
}


def test_the_console_org_and_unit_forms_limits_equal_the_services_schema(specs):
    for (template, name), (service, schema, prop) in WIRE.items():
        expression = macro_maxlengths(TEMPLATES / template)[name]
        assert value(expression) == field_schema(specs, service, schema, prop)["maxLength"], (template, name)
    # A serial as typed: the cleaned serial's length (the wire takes spaces around it too, then cleans them).
    serial = macro_maxlengths(TEMPLATES / "console/unit_new.html")["serial_number"]
    assert value(serial) == common_contract.SERIAL_MAX_CHARS


def test_the_people_key_and_list_forms_limits_equal_the_gateways_schema(specs):
    for (template, name, limit), (service, schema, prop) in PLAIN.items():
        shown = int(rendered(attribute_of(template, name, limit)))
        assert shown == field_schema(specs, service, schema, prop)["maxLength"], (template, name)


def test_sign_in_password_and_audit_forms_say_what_the_gateway_enforces():
    login = int(rendered(attribute_of("login.html", "login", "maxlength")))
    assert login == people_contract.LOGIN_MAX_CHARS == int(rendered(attribute_of("admin/user.html", "login",
                                                                                   "maxlength")))
    assert re.match(people_contract.LOGIN_PATTERN, "a" * login) and not re.match(people_contract.LOGIN_PATTERN,
                                                                                   "a" * (login + 1))
    assert int(rendered(attribute_of("login.html", "password", "maxlength"))) == passwords.MAX_LENGTH
    for name in ("current", "new_password", "confirm_password"):
        assert int(rendered(attribute_of("password.html", name, "maxlength"))) == passwords.MAX_LENGTH
    assert int(rendered(attribute_of("password.html", "new_password", "minlength"))) == passwords.MIN_LENGTH
    for name in ("object_id", "actor"):
        assert int(rendered(attribute_of("admin/audit.html", name, "maxlength"))) == trail.TEXT_LIMITS[name]


def test_commitments_and_policy_numbers_are_the_services_bounds(specs):
    minutes = field_schema(specs, "servicedesk", "PromiseIn", "minutes")
    low = minutes["minimum"] if "minimum" in minutes else minutes["exclusiveMinimum"] + 1
    assert (low, minutes["maximum"]) == (desk_contract.PROMISE_MINUTES_MIN, desk_contract.PROMISE_MINUTES_MAX)
    commitments = (TEMPLATES / "console/commitments.html").read_text()
    assert 'min="{{ desk_contract.PROMISE_MINUTES_MIN }}" max="{{ desk_contract.PROMISE_MINUTES_MAX }}"' in commitments
    from services.warranty.domain import terms

    assert {kind.value: most for kind, most in terms.MAX_LENGTH.items()} == warranty_contract.TERM_LENGTH_MAX
    policy = (TEMPLATES / "console/policy.html").read_text()
    assert 'min="{{ warranty_contract.TERM_LENGTH_MIN }}"' in policy and "warranty_contract.TERM_LENGTH_MAX" in policy
    shown = pages.environment.from_string(
        "{{ warranty_contract.TERM_LENGTH_MAX.get(kind, warranty_contract.TERM_LENGTH_MAX.values()|max) }}")
    assert shown.render(kind="heating_seasons") == "50" and shown.render(kind="") == "600"
