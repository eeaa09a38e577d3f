"""What a refused field is called: a refusal names each field by its wire path (`caller.phone`, `lines.0.qty`),
a page by its label in the reader's language (联系电话, 第 1 行 数量), never by the path.

Labels are keyed by the field's name, or by `parent.name` where the name alone says too little (the longest
known ending of the path wins). tests/gateway/test_words_catalog.py feeds every field the services declare.
"""

from gateway.web.i18n import N_, Translator
from gateway.web.words import CAUSES, COMPONENTS

FIELD_LABELS = {
    # whole bodies and forms
    "body": N_("The whole form"),
    "form": N_("The whole form"),
    # units, certificates and claims
    "serial": N_("Serial number"),
    "serial_number": N_("Serial number"),
    "serial_numbers": N_("Serial numbers"),
    "model_code": N_("Model"),
    "product_name": N_("Product name"),
    "project_code": N_("Project"),
    "accepted_on": N_("Accepted on"),
    "site": N_("Site"),
    "site.name": N_("Site name"),
    "site.address": N_("Site address"),
    "site.region": N_("Region"),
    "site_address": N_("Site address"),
    "region": N_("Region"),
    "certificate": N_("Warranty certificate"),
    "certificate.number": N_("Certificate number"),
    "certificate.product_name": N_("Product name on the certificate"),
    "certificate.model_code": N_("Model on the certificate"),
    "certificate.serial_number": N_("Serial on the certificate"),
    "certificate.altered": N_("The certificate looks altered"),
    "failed_on": N_("Failure date"),
    "component": N_("Component"),
    "causes": N_("Causes observed"),
    "description": N_("Description"),
    "performed_on": N_("Date"),
    "technician": N_("Technician"),
    "parts_replaced": N_("Parts replaced"),
    "parts_used": N_("Parts used"),
    "claim_id": N_("Warranty claim"),
    # policies and season calendars
    "terms": N_("Terms"),
    "length": N_("Length"),
    "terms.kind": N_("Counted in"),
    "effective_from": N_("Takes effect on"),
    "apply_to_existing_units": N_("Apply to units already registered"),
    "heating": N_("Heating season"),
    "cooling": N_("Cooling season"),
    "start": N_("First day"),
    "end": N_("Last day"),
    "year": N_("Year"),
    # parts, models, warehouses and stock
    "part_number": N_("Part number"),
    "name": N_("Name"),
    "uom": N_("Unit of measure"),
    "list_price": N_("List price"),
    "out_of_warranty_price": N_("Out-of-warranty price"),
    "min_stock": N_("Minimum stock"),
    "status": N_("Status"),
    "discontinued_on": N_("Production ended on"),
    "loaner_class": N_("Loaner class"),
    "class": N_("Loaner class"),
    "qty_per_unit": N_("Quantity per unit"),
    "code": N_("Code"),
    "kind": N_("Kind"),
    "warehouse": N_("Warehouse"),
    "warehouses": N_("Warehouses"),
    "from_warehouse": N_("From"),
    "to_warehouse": N_("To"),
    "lines": N_("Parts"),
    "qty": N_("Quantity"),
    "delta": N_("Change in quantity"),
    "reason": N_("Reason"),
    "reference": N_("Reference"),
    "repair_reference": N_("Repair reference"),
    "ttl_seconds": N_("Held for (seconds)"),
    "reservation_id": N_("Reservation"),
    "reservation_ids": N_("Reservations"),
    # bills, payments, contracts, rates and the company
    "number": N_("Number"),
    "invoice_number": N_("Fapiao number"),
    "issued_on": N_("Issued on"),
    "labor_hours": N_("Labour hours"),
    "visits": N_("Site visits"),
    "contract_id": N_("Maintenance contract"),
    "method": N_("Paid by"),
    "customer": N_("Customer"),
    "customer.name": N_("Customer's name"),
    "customer.phone": N_("Customer's phone"),
    "customer.signature_png": N_("Customer's signature"),
    "starts_on": N_("Starts on"),
    "ends_on": N_("Ends on"),
    "includes_labor": N_("Labour included"),
    "parts_discount_pct": N_("Parts discount"),
    "labor_rate_per_hour": N_("Labour rate per hour"),
    "callout_fee": N_("Call-out fee"),
    "vat_rate": N_("VAT rate"),
    "currency": N_("Currency"),
    "address": N_("Address"),
    "phone": N_("Phone"),
    "taxpayer_id": N_("Taxpayer ID"),
    "bank": N_("Bank"),
    "account": N_("Account"),
    # tickets, complaints and follow-up calls
    "ticket_id": N_("Ticket"),
    "complaint_id": N_("Complaint"),
    "caller": N_("Caller"),
    "caller.name": N_("Caller's name"),
    "caller.phone": N_("Contact phone"),
    "level": N_("Fault level"),
    "channel": N_("Channel"),
    "reported_at": N_("Call received at"),
    "at": N_("When"),
    "made_at": N_("Made at"),
    "caller_told_at": N_("Caller told at"),
    "station": N_("Station"),
    "technician_id": N_("Technician"),
    "way": N_("How it was fixed"),
    "summary": N_("What was done"),
    "emergency_measures": N_("Emergency measures"),
    "reached": N_("Reached the customer"),
    "satisfaction": N_("Satisfaction"),
    "notes": N_("Notes"),
    "by": N_("Handled by"),
    # commitments and the working calendar
    "levels": N_("Fault level"),
    "dispatch": N_("Dispatch"),
    "on_site": N_("On site"),
    "fixed": N_("Fixed"),
    "loaner": N_("Loaner"),
    "follow_up": N_("Follow-up call"),
    "complaint_answer": N_("Answer"),
    "complaint_resolve": N_("Resolve"),
    "minutes": N_("Time allowed (minutes)"),
    "clock": N_("Clock"),
    "holidays": N_("Holidays"),
    "workdays": N_("Working days in lieu"),
    "hours": N_("Working hours"),
    "hours.open": N_("Work starts at"),
    "hours.close": N_("Work ends at"),
    "provisional": N_("Provisional"),
    # sites, technicians and their messages
    "parent": N_("Service centre"),
    "skills": N_("Skills"),
    "active": N_("Active"),
    "webhook": N_("Group message"),
    "webhook.kind": N_("Message app"),
    "webhook.url": N_("Message address"),
    # planned visits and their checklists
    "visit_id": N_("Visit"),
    "items": N_("Checklist"),
    "result": N_("Result"),
    "value": N_("Reading"),
    "rated_current_a": N_("Rated current (A)"),
    "supply_volts": N_("Supply voltage (V)"),
    "refrigerant": N_("Refrigerant"),
    "due_from": N_("Due from"),
    "due_to": N_("Due until"),
    # people and keys
    "login": N_("Login name"),
    "display_name": N_("Name"),
    "role": N_("Role"),
    "user_id": N_("Person"),
    "key_id": N_("API key"),
    "writable": N_("Warehouses it may change"),
    # lists, searches and figures
    "q": N_("Search"),
    "limit": N_("Rows per page"),
    "cursor": N_("Page"),
    "format": N_("File"),
    "from": N_("First day"),
    "to": N_("Last day"),
    "since": N_("From"),
    "until": N_("Until"),
    "on": N_("Date"),
    "state": N_("State"),
    "group_by": N_("Group by"),
    "actor": N_("Person or program"),
    "object_type": N_("Object"),
    "object_id": N_("Record number or code"),
}
OTHER_FIELD = N_("Another field")
LINE = N_("Line %(n)s: %(field)s")


def _label_key(names: list[str]) -> str | None:
    """The longest ending of `names` that has a label."""
    for start in range(len(names)):
        key = ".".join(names[start:])
        if key in FIELD_LABELS:
            return key
    return None


def unlabelled(path: str) -> list[str]:
    """The names in a field's wire path that have no label (what the catalog test asks)."""
    names = [part for part in path.split(".") if part and not part.isdigit()]
    return [name for i, name in enumerate(names) if _label_key(names[:i + 1]) is None]


def field_label(t: Translator, path: str) -> str:
    """A refused field's wire path in the reader's words: `caller.phone` → 联系电话, `lines.0.qty` → 第 1 行 数量,
    `levels.0.dispatch.minutes` → 第 1 行 派工 · 时限（分钟）; never the path itself."""
    return _label(t, [], [part for part in str(path or "").split(".") if part]) or t.gettext(OTHER_FIELD)


def _label(t: Translator, context: list[str], parts: list[str]) -> str:
    for i, part in enumerate(parts):
        if part.isdigit():  # a row of a list: the list is said by its row (`lines.0.qty`: line 1, quantity)
            names, rest = parts[:i], parts[i + 1:]
            said = _words(t, context, names[:-1])
            inner = _label(t, [*context, *names], rest) if rest else _words(t, context, names)
            line = t.gettext(LINE, n=int(part) + 1, field=inner or t.gettext(OTHER_FIELD))
            return f"{said} · {line}" if said else line
    return _words(t, context, parts)


def _words(t: Translator, context: list[str], names: list[str]) -> str:
    """The words for `names`, looked up with the names said before them (`terms` then `kind`)."""
    if not names:
        return ""
    key = _label_key([*context, *names])
    if key is None:
        value = _value_word(names[-1])  # `terms.cooling_system`: the terms, of the cooling system
        if value is None:
            return t.gettext(OTHER_FIELD)
        label, covered = t.gettext(value), 1
    else:
        label = t.gettext(FIELD_LABELS[key])
        covered = min(len(key.split(".")), len(names))
    before = _words(t, context, names[:-covered])
    return f"{before} · {label}" if before else label


def _value_word(code: str) -> str | None:
    for table in (COMPONENTS, CAUSES):
        if code in table:
            return table[code]
    return None
