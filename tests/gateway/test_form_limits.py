"""The forms of the desk, the station and the visits restate no limit: every input's maxlength, min, max and
pattern is the contract's (shared/contracts) and equals what the service's OpenAPI says of the field it fills.

Two ways: every limited input of every desk and station template is read from its source (so a form shown
only in some state is checked too), and the desk's forms are rendered by the real web app in the states that
show them (report, fill, dispatch, cancel, loaner, follow-up, complaint, arrival, resolution) and read as a
browser gets them."""

import importlib
import re
from pathlib import Path

import pytest
from test_web_desk import clock, live_desk, organisation, report, sign_in, web  # noqa: F401  (fixtures)

from gateway.web import pages
from shared import settings
from shared.contracts import servicedesk as desk_contract
from shared.contracts import warranty as warranty_contract

from gateway_support import make_key

TEMPLATES = Path(pages.TEMPLATES)
CHECKED = sorted([*TEMPLATES.glob("desk/*.html"), *TEMPLATES.glob("station/*.html"), TEMPLATES / "macros.html"])
LIMITS = ("maxlength", "minlength", "min", "max", "pattern")
TAG = re.compile(r"<(input|textarea)\b(.*?)>", re.S)
ATTRIBUTE = re.compile(r'([\w-]+)="((?:[^"{]|\{\{.*?\}\}|\{%.*?%\})*)"', re.S)
FROM_CONTRACT = re.compile(r"^\{\{ (desk|warranty)_contract\.[A-Z_]+( \| string \| length)? \}\}$")
STATEMENT = re.compile(r"\{%.*?%\}", re.S)

# Where each limited input's value goes: (service, schema, property) in the service's OpenAPI, or
# (service, "GET path", query parameter). One row per (template, input name).
WIRE = {
    ("desk/report.html", "serial"): ("servicedesk", "TicketCreate", "serial_number"),
    ("desk/report.html", "caller_name"): ("servicedesk", "CallerIn", "name"),
    ("desk/report.html", "caller_phone"): ("servicedesk", "CallerIn", "phone"),
    ("desk/report.html", "site_address"): ("servicedesk", "TicketCreate", "site_address"),
    ("desk/report.html", "description"): ("servicedesk", "TicketCreate", "description"),
    ("desk/ticket.html", "emergency_measures"): ("servicedesk", "LoanerIn", "emergency_measures"),
    ("desk/ticket.html", "notes"): ("servicedesk", "FollowUpIn", "notes"),
    ("desk/ticket.html", "caller_phone"): ("servicedesk", "CallerPatch", "phone"),
    ("desk/ticket.html", "site_address"): ("servicedesk", "TicketUpdate", "site_address"),
    ("desk/ticket.html", "serial_number"): ("servicedesk", "TicketUpdate", "serial_number"),
    ("desk/ticket.html", "description"): ("servicedesk", "TicketUpdate", "description"),
    ("desk/ticket.html", "reason"): ("servicedesk", "CancelIn", "reason"),
    ("desk/station_ticket.html", "technician"): ("servicedesk", "ResolveIn", "technician"),
    ("desk/station_ticket.html", "summary"): ("servicedesk", "ResolveIn", "summary"),
    ("desk/station_ticket.html", "invoice_number"): ("servicedesk", "ResolveIn", "invoice_number"),
    ("desk/complaints.html", "caller_name"): ("servicedesk", "ComplaintCaller", "name"),
    ("desk/complaints.html", "caller_phone"): ("servicedesk", "ComplaintCaller", "phone"),
    ("desk/complaints.html", "ticket_id"): ("servicedesk", "ComplaintCreate", "ticket_id"),
    ("desk/complaints.html", "serial_number"): ("servicedesk", "ComplaintCreate", "serial_number"),
    ("desk/complaints.html", "description"): ("servicedesk", "ComplaintCreate", "description"),
    ("desk/complaint.html", "by"): ("servicedesk", "ComplaintAction", "by"),
    ("desk/complaint.html", "notes"): ("servicedesk", "ComplaintAction", "notes"),
    ("desk/board.html", "station"): ("servicedesk", "GET /tickets", "station"),
    ("desk/station_tickets.html", "station"): ("servicedesk", "GET /tickets", "station"),
    ("station/visit_record.html", "notes.{{ item.code }}"): ("servicedesk", "ItemIn", "notes"),
    ("station/visit_record.html", "notes"): ("servicedesk", "VisitRecordIn", "notes"),
    ("station/visit_record.html", "customer_name"): ("servicedesk", "CustomerIn", "name"),
    ("station/visit_record.html", "customer_phone"): ("servicedesk", "CustomerIn", "phone"),
    ("station/visit_list.html", "serial"): ("servicedesk", "GET /visits", "serial_number"),
    ("station/search.html", "serial"): ("warranty", "UnitCreate", "serial_number"),
    ("station/claim.html", "description"): ("warranty", "ClaimCreate", "description"),
    ("station/visit.html", "technician"): ("warranty", "ServiceRecordCreate", "technician"),
    ("station/visit.html", "notes"): ("warranty", "ServiceRecordCreate", "notes"),
    ("station/visit.html", "part_number"): ("warranty", "PartReplaced", "part_number"),
    ("station/visit.html", "part_qty"): ("warranty", "PartReplaced", "qty"),
    ("macros.html", "cert_number"): ("warranty", "ClaimCertificate", "number"),
    ("macros.html", "cert_product_name"): ("warranty", "ClaimCertificate", "product_name"),
    ("macros.html", "cert_model_code"): ("warranty", "ClaimCertificate", "model_code"),
    ("macros.html", "cert_serial_number"): ("warranty", "ClaimCertificate", "serial_number"),
    # part_rows: the parts replaced on a ticket (PartReplaced) and used on a visit (PartUsed), the same limits
    ("macros.html", "part_number"): ("servicedesk", "PartReplaced", "part_number"),
    ("macros.html", "part_qty"): ("servicedesk", "PartReplaced", "qty"),
}
# Limits of the form alone, with no field of the wire to compare (still the contract's, never a literal).
FORM_ONLY = {("station/visit_record.html", "value.{{ item.code }}"): {"maxlength": desk_contract.READING_MAX_CHARS}}
# A date or a time picked: its min and max are days (today, a contract's term), not limits of the contract.
DATES = ("date", "datetime-local")


@pytest.fixture(scope="module")
def specs() -> dict[str, dict]:
    found = {}
    for name in ("servicedesk", "warranty"):
        module = importlib.import_module(f"services.{name}.main")
        found[name] = module.create_app(settings.load(name, database_url="sqlite://")).openapi()
    return found


def limited_inputs(html: str) -> list[dict[str, str]]:
    """Every input and textarea that has a limit, as {attribute: value} (a Jinja statement inside a tag, such
    as {% if %}…{% endif %}, is left out)."""
    found = []
    for _tag, inside in TAG.findall(html):
        attributes = dict(ATTRIBUTE.findall(STATEMENT.sub(" ", inside)))
        if attributes.get("type") in DATES or attributes.get("type") == "hidden":
            continue
        if any(limit in attributes for limit in LIMITS):
            found.append(attributes)
    return found


def field_schema(specs: dict, service: str, schema: str, prop: str) -> dict:
    """The JSON schema of one field (a nullable one's non-null branch)."""
    spec = specs[service]
    if schema.startswith("GET "):
        operation = spec["paths"][schema.removeprefix("GET ")]["get"]
        found = next(p["schema"] for p in operation["parameters"] if p["name"] == prop)
    else:
        found = spec["components"]["schemas"][schema]["properties"][prop]
    branches = [b for b in found.get("anyOf", [found]) if b.get("type") != "null"]
    assert len(branches) == 1, (schema, prop, found)
    return branches[0]


def expected_limits(specs: dict, service: str, schema: str, prop: str) -> dict[str, object]:
    """What a form's input must say of a wire field: a string's maxLength (and minLength beyond 1), an integer's
    bounds (a text field taking an id: as many digits as the largest), a pattern as it is."""
    wire = field_schema(specs, service, schema, prop)
    limits: dict[str, object] = {}
    if wire.get("type") == "string":
        if "maxLength" in wire:
            limits["maxlength"] = wire["maxLength"]
        if wire.get("minLength", 0) > 1:
            limits["minlength"] = wire["minLength"]
        if "pattern" in wire:
            limits["pattern"] = wire["pattern"]
    elif wire.get("type") == "integer":
        low = wire["minimum"] if "minimum" in wire else wire["exclusiveMinimum"] + 1
        limits.update(min=int(low), max=int(wire["maximum"]))
    return limits


def rendered_limits(attributes: dict[str, str], values: dict | None = None) -> dict[str, object]:
    """An input's limits as numbers (or a pattern's text); the source's {{ … }} rendered with the contracts."""
    out: dict[str, object] = {}
    for limit in LIMITS:
        if limit in attributes:
            text = pages.environment.from_string(attributes[limit]).render(values or {})
            out[limit] = text if limit == "pattern" else int(text)
    return out


def as_a_text_field(attributes: dict[str, str], limits: dict[str, object]) -> dict[str, object]:
    """A text field that takes a number (an id typed in) is limited by its digits: the largest id's."""
    if attributes.get("type") != "number" and "max" in limits and "maxlength" not in limits:
        return {"maxlength": len(str(limits["max"]))}
    return limits


def test_no_desk_or_station_template_writes_a_limit_as_a_literal():
    literal = re.compile(r'\b(maxlength|minlength|min|max|pattern)="(?!\{\{)[^"]*"')
    for path in CHECKED:
        text = STATEMENT.sub(" ", path.read_text())
        for tag, inside in TAG.findall(text):
            for limit in literal.findall(inside):
                attributes = dict(ATTRIBUTE.findall(inside))
                assert attributes.get("type") in DATES, f"{path.name}: {limit} written as a literal in <{tag}{inside}>"
    # and no page module restates the serial number's pattern
    for module in ("desk.py", "desk_common.py", "desk_station.py", "station.py", "visits.py"):
        source = (TEMPLATES.parent / module).read_text()
        assert "[A-Z0-9-]" not in source and "6,40" not in source, module
    scan = (TEMPLATES.parent / "static" / "scan.js").read_text()
    assert "[A-Z0-9-]" not in scan and 'getAttribute("data-serial-pattern")' in scan
    search = (TEMPLATES / "station/search.html").read_text()
    assert 'data-serial-pattern="{{ warranty_contract.SERIAL_CHARS }}"' in search


def test_every_limited_input_takes_its_limits_from_the_contract_and_they_equal_the_services_schema(specs):
    seen = set()
    for path in CHECKED:
        template = str(path.relative_to(TEMPLATES))
        for attributes in limited_inputs(path.read_text()):
            key = (template, attributes.get("name", ""))
            for limit in LIMITS:
                if limit in attributes:
                    assert FROM_CONTRACT.match(attributes[limit]), f"{key}: {limit}={attributes[limit]!r}"
            got = rendered_limits(attributes)
            if key in FORM_ONLY:
                assert got == FORM_ONLY[key], key
            else:
                assert key in WIRE, f"{key}: a limited input whose wire field the test does not know"
                assert got == as_a_text_field(attributes, expected_limits(specs, *WIRE[key])), key
            seen.add(key)
    assert seen == set(WIRE) | set(FORM_ONLY), "a row of the table matches no input any more"


def test_the_contract_is_what_the_schemas_say(specs):
    """The contract's own names against the OpenAPI, the drifted fields of issue 16 among them."""
    assert expected_limits(specs, "servicedesk", "CallerIn", "phone") == {"maxlength": desk_contract.PHONE_MAX_LENGTH}
    assert desk_contract.PHONE_MAX_LENGTH == 40
    assert field_schema(specs, "servicedesk", "TicketCreate", "site_address")["maxLength"] == 500
    assert field_schema(specs, "servicedesk", "TicketCreate", "description")["maxLength"] == 4000
    assert field_schema(specs, "servicedesk", "FollowUpIn", "satisfaction")["maximum"] == desk_contract.SCORE_MAX
    assert field_schema(specs, "servicedesk", "TicketCreate", "level")["maximum"] == desk_contract.LEVEL_MAX
    assert tuple(field_schema(specs, "servicedesk", "ResolveIn", "way")["enum"]) == desk_contract.WAYS
    assert tuple(field_schema(specs, "servicedesk", "TicketCreate", "channel")["enum"]) == desk_contract.CHANNELS
    assert tuple(field_schema(specs, "servicedesk", "PauseIn", "reason")["enum"]) == desk_contract.PAUSE_REASONS
    for field in ("part_number", "qty"):  # one macro's rows serve a ticket's parts and a visit's
        assert expected_limits(specs, "servicedesk", "PartUsed", field) == \
            expected_limits(specs, "servicedesk", "PartReplaced", field)
    assert tuple(field_schema(specs, "warranty", "ServiceRecordCreate", "kind")["enum"]) == \
        warranty_contract.HISTORY_KINDS
    limit = next(p for p in specs["servicedesk"]["paths"]["/tickets"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == desk_contract.PAGE_SIZE_MAX


# ---- the same, rendered: the forms as a browser gets them ------------------------------------------------

def check_page(specs, html: str, template: str, *, expect: set[str]) -> None:
    """Every limited input of a rendered page is one of its template's (or the certificate macro's), with the
    contract's value, which is the schema's; `expect` names the inputs that must be there."""
    found = set()
    for attributes in limited_inputs(html):
        name = attributes.get("name", "")
        key = next((k for k in ((template, name), ("macros.html", name)) if k in WIRE), None)
        assert key is not None, f"{template}: {name} rendered with a limit the test does not know"
        limits = {k: (v if k == "pattern" else int(v)) for k, v in attributes.items() if k in LIMITS}
        assert limits == as_a_text_field(attributes, expected_limits(specs, *WIRE[key])), (template, name)
        found.add(name)
    assert expect <= found, (template, expect - found)


@pytest.mark.anyio
async def test_the_desks_forms_rendered_carry_the_contracts_limits(web, specs, clock):  # noqa: F811
    people = await organisation(web)
    desk_key, station_key = await make_key(web, "desk"), await make_key(web, "station")
    csrf = await sign_in(web, desk_key)
    check_page(specs, (await web.get("/app/desk/report")).text, "desk/report.html",
               expect={"serial", "caller_name", "caller_phone", "site_address", "description"})
    check_page(specs, (await web.get("/app/desk/complaints")).text, "desk/complaints.html",
               expect={"caller_name", "caller_phone", "ticket_id", "serial_number", "description"})
    check_page(specs, (await web.get("/app/desk")).text, "desk/board.html", expect={"station"})

    incomplete = (await report(web, csrf, caller_phone="")).headers["location"].split("?")[0]
    check_page(specs, (await web.get(incomplete)).text, "desk/ticket.html",
               expect={"caller_phone", "site_address", "serial_number", "description", "reason"})
    ticket = (await report(web, csrf, reported_at="2026-11-27T09:50")).headers["location"].split("?")[0]
    check_page(specs, (await web.get(ticket)).text, "desk/ticket.html", expect={"reason"})
    dispatched = await web.post(f"{ticket}/dispatch", data={"csrf": csrf, "technician_id": people["王磊"],
                                                            "station": "JN-07", "at": "2026-11-27T09:55"})
    assert dispatched.status_code == 303, dispatched.text

    tid = ticket.rsplit("/", 1)[1]
    csrf = await sign_in(web, station_key)
    check_page(specs, (await web.get("/app/station/tickets?station=JN-07")).text, "desk/station_tickets.html",
               expect={"station"})
    base = f"/app/station/tickets/{tid}"
    check_page(specs, (await web.get(base)).text, "desk/station_ticket.html", expect={"technician"})
    assert (await web.post(f"{base}/arrive", data={"csrf": csrf, "technician": "王磊",
                                                   "at": "2026-11-27T09:58"})).status_code == 303
    check_page(specs, (await web.get(base)).text, "desk/station_ticket.html",
               expect={"technician", "summary", "part_number", "part_qty", "invoice_number"})

    clock.advance(days=3)  # level 1 not fixed within its 48 hours: a loaner is due
    csrf = await sign_in(web, desk_key)
    check_page(specs, (await web.get(ticket)).text, "desk/ticket.html", expect={"emergency_measures", "reason"})
    csrf = await sign_in(web, station_key)
    assert (await web.post(f"{base}/resolve", data={"csrf": csrf, "technician": "王磊",
                                                    "summary": "更换风机电机"})).status_code == 303

    csrf = await sign_in(web, desk_key)
    check_page(specs, (await web.get(ticket)).text, "desk/ticket.html", expect={"notes"})
    called = await web.post(f"{ticket}/follow-up", data={"csrf": csrf, "reached": "yes", "satisfaction": "2",
                                                         "notes": "来得太慢"})
    assert called.status_code == 303
    complaint = re.search(r'href="/app/desk/complaints/(\d+)"', (await web.get("/app/desk/complaints")).text)
    check_page(specs, (await web.get(f"/app/desk/complaints/{complaint.group(1)}")).text, "desk/complaint.html",
               expect={"by", "notes"})
