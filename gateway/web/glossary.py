"""The words of the management figures and the audit trail, in one place: what each figure of
domain.md section 9 is called and what kind of number it is, what each grouping, object and action
is called. The manager's pages, the audit page and the Excel workbooks all read them from here, in
the reader's language through the catalogs (the workbooks in Chinese, with English beside it).

A figure a service sends that this list does not know yet is still shown, under its field name, and
typed by its name and value (a `..._rate` is a percentage, a two-place decimal string is money).
"""

import re
from dataclasses import dataclass
from typing import Any

from gateway.web import desk_common, words
from gateway.web.i18n import N_, Translator

REPORT_TITLES = {
    "service": N_("Service desk"),
    "warranty": N_("Warranty"),
    "parts": N_("Parts"),
    "billing": N_("Billing"),
}
GROUPS = {
    "centre": N_("Service centre"),
    "station": N_("Repair station"),
    "technician": N_("Technician"),
    "month": N_("Month"),
    "cause": N_("Cause"),
    "model": N_("Model"),
    "decision": N_("Decision"),
    "part": N_("Part"),
    "warehouse": N_("Warehouse"),
}


@dataclass(frozen=True, slots=True)
class Figure:
    label: str  # catalog id, English
    kind: str  # a gateway.xlsx kind: int, number, money, percent, minutes


FIGURES = {name: Figure(label, kind) for name, label, kind in (
    # service desk
    ("reports", N_("Fault reports"), "int"),
    ("tickets", N_("Fault reports"), "int"),
    ("by_level", N_("Fault reports"), "int"),
    ("by_channel", N_("Fault reports"), "int"),
    ("on_time_rate", N_("On-time rate"), "percent"),
    ("on_time", N_("On-time rate"), "percent"),
    ("dispatch_on_time_rate", N_("Dispatch on time"), "percent"),
    ("on_site_on_time_rate", N_("On site on time"), "percent"),
    ("fixed_on_time_rate", N_("Fixed on time"), "percent"),
    ("minutes_to_dispatch", N_("Business minutes to dispatch"), "minutes"),
    ("minutes_to_site", N_("Business minutes to site"), "minutes"),
    ("minutes_to_fix", N_("Business minutes to fix"), "minutes"),
    ("mean_minutes_to_dispatch", N_("Mean business minutes to dispatch"), "minutes"),
    ("p90_minutes_to_dispatch", N_("90th percentile, business minutes to dispatch"), "minutes"),
    ("mean_minutes_to_site", N_("Mean business minutes to site"), "minutes"),
    ("p90_minutes_to_site", N_("90th percentile, business minutes to site"), "minutes"),
    ("mean_minutes_to_fix", N_("Mean business minutes to fix"), "minutes"),
    ("p90_minutes_to_fix", N_("90th percentile, business minutes to fix"), "minutes"),
    ("first_visit_fix_rate", N_("Fixed at the first visit"), "percent"),
    ("first_time_fix_rate", N_("Fixed at the first visit"), "percent"),
    ("loaners_owed", N_("Loaners owed"), "int"),
    ("loaners_provided", N_("Loaners provided"), "int"),
    ("follow_ups", N_("Follow-up calls"), "int"),
    ("follow_ups_done", N_("Follow-up calls done"), "int"),
    ("follow_ups_on_time", N_("Follow-up calls on time"), "int"),
    ("follow_up_on_time_rate", N_("Follow-up calls on time"), "percent"),
    ("mean_satisfaction", N_("Mean satisfaction"), "number"),
    ("satisfaction", N_("Mean satisfaction"), "number"),
    ("complaints", N_("Complaints"), "int"),
    ("complaints_answered_on_time", N_("Complaints answered on time"), "int"),
    ("complaint_on_time_rate", N_("Complaints answered on time"), "percent"),
    # warranty: services/warranty/report_routes.py (ClaimFigures)
    ("claims", N_("Claims"), "int"),
    ("approved", N_("Covered"), "int"),
    ("rejected", N_("Not covered"), "int"),
    ("units", N_("Units with a claim"), "int"),
    ("approval_rate", N_("Share covered"), "percent"),
    # parts: services/inventory/report_routes.py (PartsFigures)
    ("qty", N_("Parts issued"), "int"),
    ("value", N_("Value of parts issued"), "money"),
    ("issues", N_("Issues from stock"), "int"),
    # billing: services/billing/settlement_schemas.py (BillingReportRow)
    ("issued", N_("Bills issued"), "int"),
    ("paid", N_("Bills paid"), "int"),
    ("voided", N_("Bills voided"), "int"),
    ("net", N_("Net"), "money"),
    ("vat", N_("VAT"), "money"),
    ("total", N_("Total"), "money"),
    ("warranty_cost", N_("Warranty cost"), "money"),
)}
# The parts of a figure that comes as an object (`{"on_time_rate": {"dispatch": 0.9}}`).
PARTS = {
    **{str(level): text for level, text in (
        (1, N_("Level 1")), (2, N_("Level 2")), (3, N_("Level 3")), (4, N_("Level 4")))},
    **desk_common.CHANNELS,
    **desk_common.MILESTONES,
    **words.DECISIONS,
    "approved": N_("Covered"),
    "rejected": N_("Not covered"),
    "mean": N_("Mean"),
    "p90": N_("90th percentile"),
}
# What a row stands for, in words, where the service names it by a code (its own name is English).
ROW_WORDS = {
    "decision": {"approved": N_("Covered"), "rejected": N_("Not covered")},
    "cause": {**words.CAUSES, "none": N_("No cause given")},
}
# What each report's chart shows: the first of these groups of figures the rows carry, all of that group.
CHARTED = {
    "service": (("on_time_rate", "on_time"),
                ("dispatch_on_time_rate", "on_site_on_time_rate", "fixed_on_time_rate")),
    "warranty": (("approved", "rejected"), ("claims",)),
    "parts": (("qty",), ("value",)),
    "billing": (("net", "vat"), ("total",)),
}

# The audit trail: objects, actions and services, in words.
OBJECT_TYPES = {
    "unit": N_("Unit"),
    "claim": N_("Warranty claim"),
    "service_record": N_("Service record"),
    "policy": N_("Warranty policy"),
    "season_calendar": N_("Season calendar"),
    "part": N_("Part"),
    "model": N_("Model"),
    "bill_of_parts": N_("Bill of parts"),
    "warehouse": N_("Warehouse"),
    "stock_movement": N_("Stock movement"),
    "reservation": N_("Reservation"),
    "invoice": N_("Bill"),
    "contract": N_("Maintenance contract"),
    "rate_card": N_("Rates"),
    "ticket": N_("Ticket"),
    "complaint": N_("Complaint"),
    "commitment": N_("Commitments"),
    "calendar": N_("Working calendar"),
    "site": N_("Site"),
    "technician": N_("Technician"),
    "user": N_("Person"),
    "api_key": N_("API key"),
}
ACTIONS = {
    "create": N_("Created"),
    "created": N_("Created"),
    "update": N_("Changed"),
    "updated": N_("Changed"),
    "delete": N_("Removed"),
    "close": N_("Closed"),
    "revoke": N_("Revoked"),
    "reset_password": N_("Password reset"),
    "issue": N_("Issue"),
    "pay": N_("Paid"),
    "void": N_("Voided"),
    "reserve": N_("Reserved"),
    "consume": N_("Issued"),
    "release": N_("Released"),
    "expire": N_("Lapsed"),
    "receive": N_("Goods in"),
    "transfer": N_("Transfer"),
    "adjust": N_("Count correction"),
    "dispatch": N_("Dispatched"),
    "arrive": N_("Arrived on site"),
    "pause": N_("Paused"),
    "resume": N_("Resumed"),
    "resolve": N_("Fixed"),
    "cancel": N_("Cancel"),
    "follow_up": N_("Follow-up call"),
    "import": N_("Imported"),
}
SERVICES = {
    "warranty": N_("Warranty"),
    "inventory": N_("Parts"),
    "billing": N_("Billing"),
    "servicedesk": N_("Service desk"),
    "gateway": N_("People and keys"),
}
# The fields a change names most often; any other is shown as the service names it.
FIELDS = {
    "name": N_("Name"),
    "display_name": N_("Name"),
    "status": N_("Status"),
    "role": N_("Role"),
    "active": N_("Active"),
    "phone": N_("Phone"),
    "station": N_("Station"),
    "warehouses": N_("Warehouses"),
    "region": N_("Region"),
    "address": N_("Address"),
    "model_code": N_("Model"),
    "serial_number": N_("Serial number"),
    "list_price": N_("List price"),
    "out_of_warranty_price": N_("Out-of-warranty price"),
    "min_stock": N_("Minimum stock"),
    "on_hand": N_("On hand"),
    "reserved": N_("Reserved"),
    "qty": N_("Quantity"),
    "total": N_("Total"),
    "technician": N_("Technician"),
    "level": N_("Fault level"),
}
ACTOR_KINDS = {"user": N_("Person"), "key": N_("Program (API key)"), "system": N_("The platform itself")}

_MONEY_TEXT = re.compile(r"^-?\d+\.\d{2}$")
_NUMBER_TEXT = re.compile(r"^-?\d+(\.\d+)?$")


def kind_of(name: str, sample: Any) -> str:
    """The kind of a figure: from the glossary, else from its name and a value."""
    base = name.split(".", 1)[0]
    if base in FIGURES:
        return FIGURES[base].kind
    if any(word in name for word in ("rate", "share", "ratio")):
        return "percent"
    if "minutes" in name:
        return "minutes"
    if isinstance(sample, bool):
        return "text"
    if isinstance(sample, int):
        return "int"
    if isinstance(sample, float):
        return "number"
    if isinstance(sample, str) and _MONEY_TEXT.match(sample):
        return "money"  # api.md: money is a decimal string with two places
    if isinstance(sample, str) and _NUMBER_TEXT.match(sample):
        return "number"
    return "text"


def label(t: Translator, name: str) -> str:
    """A figure's name in the reader's language; `a.b` is the figure `a`, part `b`."""
    base, _, part = name.partition(".")
    text = t.gettext(FIGURES[base].label) if base in FIGURES else base
    if part:
        text += " · " + (t.gettext(PARTS[part]) if part in PARTS else part)
    return text


def word(t: Translator, table: dict[str, str], code: Any) -> str:
    """A code in words, or the code itself when it is not in the table."""
    code = "" if code is None else str(code)
    return t.gettext(table[code]) if code in table else code


def row_name(t: Translator, group_by: str, key: Any, name: Any) -> str:
    """A row of a report in the reader's words: a decision or cause from the glossary, else the name
    the service gave it (a station's, a part's or a model's own name), else its key."""
    words_of = ROW_WORDS.get(group_by, {})
    key = "" if key is None else str(key)
    if key in words_of:
        return t.gettext(words_of[key])
    return str(name or key)
