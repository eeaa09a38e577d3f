"""The warehouse's, billing's and the catalogue/rates/company console's forms restate no limit either: every
input's maxlength, min, max and pattern is read from `inventory_contract` or `billing_contract`
(shared/contracts) and equals what the service's OpenAPI says of the field it fills (issue 16; the desk's and
station's forms are test_form_limits.py's, whose helpers this reuses).

Two kinds of input: a plain <input>/<textarea> (its attributes read from the source), and a call of the
console's `input(...)` macro (its `maxlength=` and `extra={"min": …}` read from the call: the macro's own
default of 200 is never relied on here)."""

import importlib
import re
from pathlib import Path

import pytest
from test_form_limits import (
    ATTRIBUTE,
    DATES,
    LIMITS,
    STATEMENT,
    TAG,
    as_a_text_field,
    field_schema,
    limited_inputs,
    rendered_limits,
)

from gateway.web import pages
from shared import settings
from shared.contracts import billing as billing_contract
from shared.contracts import inventory as inventory_contract

TEMPLATES = Path(pages.TEMPLATES)
CONSOLE = ("company", "model", "models", "part", "part_new", "parts", "rates", "warehouses", "_part_fields")
CHECKED = sorted([*TEMPLATES.glob("warehouse/*.html"), *TEMPLATES.glob("billing/*.html"),
                  *(TEMPLATES / f"console/{name}.html" for name in CONSOLE)])
FROM_CONTRACT = re.compile(r"^\{\{ (inventory|billing)_contract\.[A-Z_]+ \}\}$")
MACRO_VALUE = re.compile(r"^(inventory|billing)_contract\.[A-Z_]+$")
MACRO_CALL = re.compile(r'\binput\("(\w+)",(.*?)\) \}\}')
MACRO_MAXLENGTH = re.compile(r"\bmaxlength=([\w.]+)")
MACRO_TYPE = re.compile(r'\btype="(\w+)"')
MACRO_EXTRA_LIMIT = re.compile(r'"(min|max)": ([^,}]+)')
NO_NUL = inventory_contract.NO_NUL_PATTERN  # a form cannot type a NUL: not a limit a form states

# Where each limited input's value goes: (service, schema, property), or (service, "GET path", parameter).
WIRE = {
    ("warehouse/receipt.html", "qty"): ("inventory", "ReceiptCreate", "qty"),
    ("warehouse/receipt.html", "reference"): ("inventory", "ReceiptCreate", "reference"),
    ("warehouse/transfer.html", "qty"): ("inventory", "TransferCreate", "qty"),
    ("warehouse/transfer.html", "reference"): ("inventory", "TransferCreate", "reference"),
    ("warehouse/reserve.html", "qty"): ("inventory", "LineIn", "qty"),
    ("warehouse/reserve.html", "reference"): ("inventory", "ReservationCreate", "reference"),
    ("warehouse/reservations.html", "reference"): ("inventory", "GET /reservations", "reference"),
    ("billing/contract.html", "reason"): ("billing", "ContractCancel", "reason"),
    ("billing/contracts.html", "customer"): ("billing", "ContractCreate", "customer"),
    ("billing/contracts.html", "region"): ("billing", "ContractCreate", "region"),
    ("billing/invoice.html", "reference"): ("billing", "PaymentIn", "reference"),
    ("billing/invoices.html", "serial_number"): ("billing", "GET /invoices", "serial_number"),
    ("billing/repair.html", "repair_reference"): ("billing", "RepairCreate", "repair_reference"),
    ("billing/repair.html", "serial_number"): ("billing", "RepairCreate", "serial_number"),
    ("billing/repair.html", "visits"): ("billing", "RepairCreate", "visits"),
    ("billing/company.html", "{{ name }}"): None,  # one input for six fields: COMPANY below
    ("console/company.html", "name"): ("billing", "CompanyUpdate", "name"),
    ("console/company.html", "address"): ("billing", "CompanyUpdate", "address"),
    ("console/company.html", "taxpayer_id"): ("billing", "CompanyUpdate", "taxpayer_id"),
    ("console/company.html", "bank"): ("billing", "CompanyUpdate", "bank"),
    ("console/model.html", "name"): ("inventory", "ModelUpdate", "name"),
    ("console/model.html", "qty"): ("inventory", "BomLineIn", "qty_per_unit"),
    ("console/models.html", "name"): ("inventory", "ModelCreate", "name"),
    ("console/warehouses.html", "name"): ("inventory", "WarehouseCreate", "name"),
    ("console/_part_fields.html", "name"): ("inventory", "PartCreate", "name"),
    ("console/_part_fields.html", "uom"): ("inventory", "PartCreate", "uom"),
    ("console/_part_fields.html", "min_stock"): ("inventory", "PartCreate", "min_stock"),
}
# Fields whose wire says no length (a code checked by a validator, a decimal string, a pattern only): the form's
# limit is still the contract's, and it agrees with what the contract says of the wire (checked below).
FORM_ONLY = {
    ("warehouse/receipt.html", "part_number"): {"maxlength": inventory_contract.CODE_MAX_LENGTH},
    ("warehouse/transfer.html", "part_number"): {"maxlength": inventory_contract.CODE_MAX_LENGTH},
    ("warehouse/reserve.html", "part_number"): {"maxlength": inventory_contract.CODE_MAX_LENGTH},
    ("warehouse/stock.html", "part_number"): {"maxlength": inventory_contract.CODE_MAX_LENGTH},
    # used of a reserved line: none of it up to the line's own quantity (a value of the page, not a limit)
    ("warehouse/reservation.html", "used"): {"min": inventory_contract.CONSUMED_QTY_MIN},
    ("billing/contracts.html", "parts_discount_pct"): {"min": billing_contract.PERCENT_MIN,
                                                       "max": billing_contract.PERCENT_MAX},
    ("billing/repair.html", "labor_hours"): {"min": billing_contract.HOURS_MIN, "max": billing_contract.HOURS_MAX},
    ("billing/invoice.html", "fapiao_number"): {"maxlength": billing_contract.FAPIAO_TYPED_MAX_LENGTH,
                                                "pattern": billing_contract.FAPIAO_TYPED_PATTERN},
    ("console/company.html", "account"): {"maxlength": billing_contract.ACCOUNT_MAX_CHARS},
    ("console/company.html", "phone"): {"maxlength": billing_contract.PHONE_MAX_LENGTH},
    ("console/models.html", "model_code"): {"maxlength": inventory_contract.CODE_MAX_LENGTH},
    ("console/part_new.html", "part_number"): {"maxlength": inventory_contract.CODE_MAX_LENGTH},
    ("console/warehouses.html", "code"): {"maxlength": inventory_contract.CODE_MAX_LENGTH},
    ("console/_part_fields.html", "list_price"): {"maxlength": inventory_contract.PRICE_MAX_CHARS},
    ("console/_part_fields.html", "out_of_warranty_price"): {"maxlength": inventory_contract.PRICE_MAX_CHARS},
    ("console/rates.html", "labor_rate_per_hour"): {"maxlength": billing_contract.MONEY_MAX_CHARS},
    ("console/rates.html", "callout_fee"): {"maxlength": billing_contract.MONEY_MAX_CHARS},
    ("console/rates.html", "vat_percent"): {"maxlength": billing_contract.VAT_PERCENT_MAX_CHARS},
}
# An attribute that is a value of the page, not a limit of the contract.
PAGE_VALUES = {("warehouse/reservation.html", "used", "max"): "{{ line.qty }}",
               ("billing/company.html", "{{ name }}", "maxlength"): "{{ limit }}"}  # the loop's: COMPANY
# billing/company.html: one input in a loop over (field, label, limit); each limit is CompanyUpdate's.
COMPANY = re.compile(r'\("(\w+)", _\("[^"]*"\), (billing_contract\.[A-Z_]+)\)')


@pytest.fixture(scope="module")
def specs() -> dict[str, dict]:
    found = {}
    for name in ("inventory", "billing"):
        module = importlib.import_module(f"services.{name}.main")
        found[name] = module.create_app(settings.load(name, database_url="sqlite://")).openapi()
    return found


def expected(specs: dict, service: str, schema: str, prop: str) -> dict[str, object]:
    """What a form's input must say of a wire field: a string's maxLength (and minLength beyond 1), an
    integer's bounds, a pattern as it is (save inventory's no-NUL pattern, which no form can break)."""
    wire = field_schema(specs, service, schema, prop)
    limits: dict[str, object] = {}
    if wire.get("type") == "string":
        if "maxLength" in wire:
            limits["maxlength"] = wire["maxLength"]
        if wire.get("minLength", 0) > 1:
            limits["minlength"] = wire["minLength"]
        if "pattern" in wire and wire["pattern"] != NO_NUL:
            limits["pattern"] = wire["pattern"]
    elif wire.get("type") == "integer":
        low = wire["minimum"] if "minimum" in wire else wire["exclusiveMinimum"] + 1
        limits.update(min=int(low), max=int(wire["maximum"]))
    return limits


def contract_value(expression: str) -> int:
    module, name = expression.split(".")
    return getattr({"inventory_contract": inventory_contract, "billing_contract": billing_contract}[module], name)


def macro_inputs(path: Path) -> list[tuple[str, dict[str, str], str]]:
    """Every `input("name", …)` call of a console template: (name, {limit: expression}, type)."""
    found = []
    for name, arguments in MACRO_CALL.findall(path.read_text()):
        typed = MACRO_TYPE.search(arguments)
        kind = typed.group(1) if typed else "text"
        if kind in (*DATES, "date", "time"):
            continue  # a day or a time picked: its min is a day, not a limit of the contract
        limits = {}
        if (m := MACRO_MAXLENGTH.search(arguments)) is not None:
            limits["maxlength"] = m.group(1)
        limits.update(dict(MACRO_EXTRA_LIMIT.findall(arguments)))
        found.append((name, limits, kind))
    return found


def test_no_warehouse_billing_or_console_template_writes_a_limit_as_a_literal():
    literal = re.compile(r'\b(maxlength|minlength|min|max|pattern)="(?!\{\{)[^"]*"')
    for path in CHECKED:
        text = STATEMENT.sub(" ", path.read_text())
        for tag, inside in TAG.findall(text):
            for limit in literal.findall(inside):
                attributes = dict(ATTRIBUTE.findall(inside))
                assert attributes.get("type") in DATES, f"{path.name}: {limit} written as a literal in <{tag}{inside}>"
        for name, limits, kind in macro_inputs(path):
            for limit, expression in limits.items():
                assert MACRO_VALUE.match(expression.strip()), f"{path.name}: {name}'s {limit}={expression}"
            if kind in ("text", "tel", "url", "search"):
                assert "maxlength" in limits, f"{path.name}: {name} relies on the macro's default maxlength"


def test_every_limited_input_takes_its_limits_from_the_contract_and_they_equal_the_services_schema(specs):
    seen = set()
    for path in CHECKED:
        template = str(path.relative_to(TEMPLATES))
        for attributes in limited_inputs(path.read_text()):
            name = attributes.get("name", "")
            key = (template, name)
            for limit in LIMITS:
                if limit in attributes and PAGE_VALUES.get((*key, limit)) != attributes[limit]:
                    assert FROM_CONTRACT.match(attributes[limit]), f"{key}: {limit}={attributes[limit]!r}"
            got = {k: v for k, v in rendered_limits({k: v for k, v in attributes.items()
                                                      if PAGE_VALUES.get((*key, k)) != v}).items()}
            seen.add(key)
            if key == ("billing/company.html", "{{ name }}"):
                continue  # its limit is the loop's: test_the_company_forms_limits
            if key in FORM_ONLY:
                assert got == FORM_ONLY[key], key
            else:
                assert key in WIRE, f"{key}: a limited input whose wire field the test does not know"
                assert got == as_a_text_field(attributes, expected(specs, *WIRE[key])), key
        for name, limits, _kind in macro_inputs(path):
            if not limits:
                continue
            key = (template, name)
            got = {limit: contract_value(expression.strip()) for limit, expression in limits.items()}
            if key in FORM_ONLY:
                assert got == FORM_ONLY[key], key
            else:
                assert key in WIRE, f"{key}: a limited macro input whose wire field the test does not know"
                assert got == expected(specs, *WIRE[key]), key
            seen.add(key)
    assert seen == set(WIRE) | set(FORM_ONLY), "a row of the tables matches no input any more"


def test_the_company_forms_limits(specs):
    """billing/company.html names each field with its limit; each is CompanyUpdate's, as the console's."""
    rows = COMPANY.findall((TEMPLATES / "billing/company.html").read_text())
    assert [name for name, _ in rows] == ["name", "address", "taxpayer_id", "bank", "account", "phone"]
    for name, expression in rows:
        key = ("console/company.html", name)
        want = FORM_ONLY[key] if key in FORM_ONLY else expected(specs, *WIRE[key])
        assert {"maxlength": contract_value(expression)} == want, name


def test_the_contract_is_what_the_schemas_and_the_rules_say(specs):
    """The contract's names against the OpenAPI and the rules behind the form-only limits; the drifts of
    issue 16 (the repair bill's visits, the cancel reason) among them."""
    assert field_schema(specs, "billing", "RepairCreate", "visits")["maximum"] == billing_contract.VISITS_MAX == 1000
    assert field_schema(specs, "billing", "ContractCancel", "reason")["maxLength"] == 1000
    assert field_schema(specs, "billing", "CompanyUpdate", "account")["pattern"] == billing_contract.ACCOUNT_PATTERN
    assert field_schema(specs, "billing", "CompanyUpdate", "phone")["maxLength"] == billing_contract.PHONE_MAX_LENGTH
    assert field_schema(specs, "billing", "RateCardUpdate", "currency")["pattern"] == billing_contract.CURRENCY_PATTERN
    assert tuple(field_schema(specs, "billing", "PaymentIn", "method")["enum"]) == billing_contract.PAYMENT_METHODS
    assert tuple(field_schema(specs, "billing", "BillRead", "status")["enum"]) == billing_contract.BILL_STATUSES
    assert tuple(field_schema(specs, "inventory", "WarehouseCreate", "kind")["enum"]) == \
        inventory_contract.WAREHOUSE_KINDS
    assert tuple(field_schema(specs, "inventory", "PartCreate", "status")["enum"]) == inventory_contract.PART_STATUSES
    assert field_schema(specs, "inventory", "PartCreate", "uom")["maxLength"] == inventory_contract.UOM_MAX_LENGTH
    assert field_schema(specs, "inventory", "ConsumeLineIn", "qty")["minimum"] == inventory_contract.CONSUMED_QTY_MIN
    # the widths a form allows where the wire states a pattern only: the pattern's longest
    assert re.match(billing_contract.ACCOUNT_PATTERN, "1" * billing_contract.ACCOUNT_MAX_CHARS)
    assert not re.match(billing_contract.ACCOUNT_PATTERN, "1" * (billing_contract.ACCOUNT_MAX_CHARS + 1))
    assert re.match(billing_contract.PHONE_PATTERN, "1" * billing_contract.PHONE_MAX_LENGTH)
    assert not re.match(billing_contract.PHONE_PATTERN, "1" * (billing_contract.PHONE_MAX_LENGTH + 1))
    money = specs["billing"]["components"]["schemas"]["RateCardUpdate"]["properties"]["callout_fee"]["pattern"]
    assert re.match(money, "9" * 12 + ".99") and len("9" * 12 + ".99") <= billing_contract.MONEY_MAX_CHARS
    # a code: the longest the catalogue's rule takes is the form's maxlength
    from services.inventory.domain import catalog
    assert catalog.is_valid_code("A" * inventory_contract.CODE_MAX_LENGTH)
    assert not catalog.is_valid_code("A" * (inventory_contract.CODE_MAX_LENGTH + 1))
    # billing's serial number is common's, not a second pattern
    from services.billing import schemas
    from shared import wire
    from shared.contracts import common
    assert schemas.Serial is wire.Serial and wire.SERIAL_PATTERN.pattern == common.SERIAL_PATTERN
    assert "[A-Z0-9-]" not in Path(schemas.__file__).read_text()
