"""Planned maintenance and inspections (domain.md section 8): reading, recording, cancelling.

Where visits come from (visit_planning.py). The service desk keeps the
visits; warranty owns the units and calendars, billing the contracts. A
unit's visits are planned from warranty's answer the first time they are
needed (a list by serial number) and remembered (`visit_planning`), so later
reads ask nobody; `POST /visits/plan` plans (again) for the units or the
contract it names, which is how billing or an admin makes them exist before
anyone looks.

A record is taken in one transaction: the visit becomes `done`, items found
`needs_repair` open one level-3 ticket through the ticket use case
(tickets.report), and the record is queued for the unit's history at
warranty (`visit_outbox`, delivered like the tickets' outbox: a claim with a
lease, the other service's Idempotency-Key against doing it twice: visit_history.py).
"""

import base64
import binascii
import struct
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.servicedesk import errors as desk_errors
from services.servicedesk import sites, tickets
from services.servicedesk.clients import UnitCoverage
from services.servicedesk.domain import checklists, visit_plan
from services.servicedesk.domain.calendar import CHINA
from services.servicedesk.domain.checklists import ItemResult, UnitSpec
from services.servicedesk.models import Site, Technician
from services.servicedesk.schemas import CallerIn, TicketCreate
from services.servicedesk.visit_models import Visit, VisitModelSpec, VisitOutbox
from shared import context, pagination
from shared.contracts import servicedesk as desk_contract

log = structlog.get_logger("servicedesk.visits")
SIGNATURE_MAX_BYTES = 200 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SIGNATURE_MAX_SIDE = 4000  # pixels: a small file must not unpack into a huge image when printed
NOTES_LIMIT = 4000  # warranty's limit on a history entry's notes
# The history entry a visit leaves at warranty: a check before the season is maintenance work
# (it cleans and adjusts, §9 "保养工作内容"); the check before shutdown inspects and reports.
HISTORY_KIND = {"pre_season": "maintenance", "pre_shutdown": "inspection", "maintenance": "maintenance",
                "inspection": "inspection"}


def today(now: datetime) -> date:
    return now.astimezone(CHINA).date()


# --- scope and reading ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Scope:
    """The visits a station sees: those of the units in its stations' regions (a service centre: its own
    and its repair stations'), and those planned for one of its stations by name (`POST /visits/plan
    {"station"}`, e.g. a unit just over a region's border that a station was asked to look after)."""

    stations: tuple[str, ...]
    regions: tuple[str, ...]

    def holds(self, visit: Visit) -> bool:
        return visit.region in self.regions or visit.station in self.stations

    def clause(self):
        return or_(Visit.region.in_(self.regions), Visit.station.in_(self.stations))


def station_scope(session: Session, code: str) -> Scope:
    """The scope of a station's (or a centre's) code, from the sites table; a code that names no site
    sees only the visits planned for it by name."""
    stations = sites.covered_by(session, code)
    regions = session.scalars(select(Site.region).where(Site.code.in_(stations)).distinct()).all()
    return Scope(stations, tuple(sorted(regions)))


def scope_of(session: Session, caller: context.Caller) -> Scope | None:
    """The visits a station-bound caller (a station person or key: `caller.station`) sees; None: all."""
    return station_scope(session, caller.station) if caller.station else None


def get(session: Session, visit_id: int, caller: context.Caller, *, lock: bool = False) -> Visit:
    query = select(Visit).where(Visit.id == visit_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    visit = session.scalars(query).one_or_none()
    scope = scope_of(session, caller) if visit is not None else None
    if visit is None or (scope is not None and not scope.holds(visit)):
        raise desk_errors.VisitNotFound(f"No visit {visit_id}")  # another station's visit is not there for this caller
    return visit


def technicians_for(session: Session, visit: Visit, caller: context.Caller) -> list[dict]:
    """Who may record the visit, to pick from: the active technicians of a station-bound caller's stations;
    for anyone else every active technician, those of the stations in the visit's region first."""
    query = select(Technician, Site.region).join(Site, Site.code == Technician.station).where(Technician.active)
    bound = tickets.scope_of(session, caller)
    if bound is not None:
        query = query.where(Technician.station.in_(bound))
    rows = session.execute(query).all()
    rows.sort(key=lambda r: (r.region != visit.region, r.Technician.station, r.Technician.name, r.Technician.id))
    return [{"id": r.Technician.id, "name": r.Technician.name, "station": r.Technician.station} for r in rows]


def technician_for(session: Session, technician_id: int, caller: context.Caller) -> Technician:
    """The technician a record names: active, and of the caller's stations when the caller is bound to
    one (desk and admin: of any station); 422 `unknown_technician` otherwise."""
    person = session.get(Technician, technician_id)
    bound = tickets.scope_of(session, caller)
    if person is None or not person.active or (bound is not None and person.station not in bound):
        where = f" of {caller.station.upper()}" if bound is not None else ""
        raise desk_errors.UnknownTechnician(f"Technician {technician_id} is not an active technician{where}")
    return person


def spec_for(session: Session, model_code: str | None) -> UnitSpec:
    row = session.get(VisitModelSpec, model_code.upper()) if model_code else None
    if row is None:
        return UnitSpec()
    return UnitSpec(supply_volts=row.supply_volts, refrigerant=row.refrigerant, rated_current_a=row.rated_current_a)


def entries(session: Session, visit: Visit) -> list[checklists.Entry]:
    return checklists.checklist(visit.kind, spec_for(session, visit.model_code), visit.season)


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _measure(measure: checklists.Measure | None) -> dict | None:
    if measure is None:
        return None
    return {"unit": measure.unit, "min": _number(measure.min), "max": _number(measure.max)}


def read(visit: Visit, now: datetime, *, checklist: list[checklists.Entry] | None = None) -> dict:
    """The visit as the wire shows it; with its checklist when given (a single visit's read)."""
    answer = {
        "id": visit.id, "serial_number": visit.serial_number, "kind": visit.kind, "due_on": visit.due_on,
        "status": visit_plan.status_on(visit.status, visit.due_on, today(now)), "contract_id": visit.contract_id,
        "station": visit.station, "region": visit.region, "model_code": visit.model_code, "season": visit.season,
        "season_year": visit.season_year, "recordable_from": visit.due_on - visit_plan.WINDOW,
        "recordable_until": visit.due_on + visit_plan.WINDOW,
    }
    if checklist is not None:
        answer["checklist"] = [{"code": e.code, "label": e.zh, "label_en": e.en, "measure": _measure(e.measure)}
                               for e in checklist]
    if visit.status == "done" and visit.record is not None:
        answer.update(record=visit.record, out_of_range=visit.out_of_range or [], ticket_id=visit.ticket_id,
                      history_delivered=visit.history_delivered)
    if visit.status == "cancelled":
        answer["cancellation"] = {"at": visit.cancelled_at, "reason": visit.cancel_reason or "",
                                  "by": visit.cancelled_by or {"kind": "system", "name": "system"}}
    return answer


def read_one(session: Session, visit_id: int, caller: context.Caller, now: datetime) -> dict:
    visit = get(session, visit_id, caller)
    answer = read(visit, now, checklist=entries(session, visit))
    if visit.status == "planned":
        answer["technicians"] = technicians_for(session, visit, caller)
    return answer


def list_visits(session: Session, *, caller: context.Caller, serial_number: str | None, station: str | None,
                status: str | None, due_from: date | None, due_to: date | None, after: list | None, limit: int,
                now: datetime) -> tuple[list[dict], str | None]:
    """Visits by due day, then id; `missed` is read against today, so it filters on the due day."""
    query = select(Visit)
    scope = scope_of(session, caller)
    if scope is not None:
        query = query.where(scope.clause())
    if serial_number is not None:
        query = query.where(Visit.serial_number == serial_number)
    if station is not None:  # what that station sees
        query = query.where(station_scope(session, station).clause())
    missed_before = today(now) - visit_plan.WINDOW  # planned and due before this day: missed
    if status == "missed":
        query = query.where(Visit.status == "planned", Visit.due_on < missed_before)
    elif status == "planned":
        query = query.where(Visit.status == "planned", Visit.due_on >= missed_before)
    elif status is not None:
        query = query.where(Visit.status == status)
    if due_from is not None:
        query = query.where(Visit.due_on >= due_from)
    if due_to is not None:
        query = query.where(Visit.due_on <= due_to)
    if after is not None:
        try:
            day, last_id = date.fromisoformat(after[0]), int(after[1])
        except (TypeError, ValueError, IndexError):
            raise pagination.BadCursor() from None
        query = query.where((Visit.due_on > day) | ((Visit.due_on == day) & (Visit.id > last_id)))
    rows = list(session.scalars(query.order_by(Visit.due_on, Visit.id).limit(limit + 1)))
    rows, cursor = pagination.page(rows, limit, key=lambda v: [v.due_on.isoformat(), v.id])
    return [read(v, now) for v in rows], cursor


# --- recording --------------------------------------------------------------------------------------

def signature(text: str) -> bytes:
    """The signature's PNG bytes: base64 (or a data: URL of a PNG), a real PNG, at most 200 KB."""
    raw = text.strip()
    if raw.startswith("data:"):
        head, _, raw = raw.partition(",")
        if head != "data:image/png;base64":
            raise desk_errors.invalid("customer.signature_png", "a PNG image, base64")
    try:
        png = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise desk_errors.invalid("customer.signature_png", "not base64") from None
    if not png.startswith(PNG_MAGIC) or png[12:16] != b"IHDR" or len(png) < 24:
        raise desk_errors.invalid("customer.signature_png", "not a PNG image")
    width, height = struct.unpack(">II", png[16:24])
    if not (0 < width <= SIGNATURE_MAX_SIDE and 0 < height <= SIGNATURE_MAX_SIDE):
        raise desk_errors.invalid("customer.signature_png", f"at most {SIGNATURE_MAX_SIDE} pixels a side")
    if len(png) > SIGNATURE_MAX_BYTES:
        raise desk_errors.invalid("customer.signature_png", f"at most {SIGNATURE_MAX_BYTES // 1024} KB")
    return png


@dataclass(frozen=True, slots=True)
class Facts:
    """What checking a record needs, read before anything else is asked."""

    serial_number: str
    kind: str
    entries: list[checklists.Entry]


def facts(session: Session, visit_id: int, caller: context.Caller) -> Facts:
    visit = get(session, visit_id, caller)
    return Facts(visit.serial_number, visit.kind, entries(session, visit))


def check(found: Facts, body) -> checklists.Checked:
    """The record checked against the visit's checklist: 422 on bad items, then on missing ones."""
    results = [ItemResult(i.code, i.result, Decimal(str(i.value)) if i.value is not None else None, i.notes)
               for i in body.items]
    checked = checklists.check(found.entries, results)
    if checked.problems:
        raise desk_errors.invalid_many(checked.problems)
    if checked.missing:
        raise desk_errors.ChecklistIncomplete(checked.missing)
    return checked


def _ticket_description(visit: Visit, entries_by_code: dict[str, checklists.Entry], codes: list[str],
                        items: dict) -> str:
    name_zh, name_en = checklists.KIND_NAMES[visit.kind]
    lines = [f"{name_zh} {name_en} #{visit.id}（{visit.due_on}）发现需维修 / needs repair:"]
    for code in codes:
        entry = entries_by_code[code]
        item = items[code]
        reading = f" {item['value']} {entry.measure.unit}" if item.get("value") is not None and entry.measure else ""
        note = f" — {item['notes']}" if item.get("notes") else ""
        lines.append(f"- {code} {entry.zh} / {entry.en}{reading}{note}")
    return "\n".join(lines)[:desk_contract.DESCRIPTION_MAX_LENGTH]


def _history_notes(visit: Visit, record: dict, needs_repair: list[str], out_of_range: list[str],
                   ticket_number: str | None) -> str:
    name_zh, name_en = checklists.KIND_NAMES[visit.kind]
    parts = [f"{name_zh} {name_en} #{visit.id}: {len(record['items'])} items"]
    if out_of_range:
        parts.append(f"out of range: {', '.join(out_of_range)}")
    if needs_repair:
        parts.append(f"needs repair: {', '.join(needs_repair)}" + (f" ({ticket_number})" if ticket_number else ""))
    if record.get("notes"):
        parts.append(record["notes"])
    return "; ".join(parts)[:NOTES_LIMIT]


def record(session: Session, visit_id: int, *, body, checked: checklists.Checked, png: bytes,
           unit: UnitCoverage | None, caller: context.Caller, now: datetime) -> dict:
    """Record the visit as done (one transaction: the record, the ticket, the history message)."""
    visit = get(session, visit_id, caller, lock=True)
    if visit.status != "planned":
        raise desk_errors.VisitNotPlanned(f"Visit {visit_id} is {visit.status}")
    person = technician_for(session, body.technician_id, caller)
    at = (body.at or now).astimezone(UTC)
    if at > now:
        raise desk_errors.InvalidEventTime("a visit cannot be recorded in the future")
    why = visit_plan.recordable_on(visit.due_on, today(at))
    if why is not None:
        error = desk_errors.VisitTooEarly if today(at) < visit.due_on else desk_errors.VisitNotPlanned
        raise error(f"Visit {visit_id}: {why}")
    entries_now = entries(session, visit)
    by_code = {e.code: e for e in entries_now}
    given = {i.code: i for i in body.items}
    items = []
    for entry in entries_now:  # in checklist order, whatever order they came in
        item = given[entry.code]
        items.append({"code": entry.code, "result": item.result, "value": item.value, "notes": item.notes,
                      "out_of_range": entry.code in checked.out_of_range})
    technician = person.name  # the organisation's name for them, whatever a client sent
    parts = [p.model_dump() for p in body.parts_used or []]
    rec = {"at": at.isoformat(), "entered_at": now.isoformat() if at != now else None,
           "technician_id": person.id, "technician": technician, "station": person.station, "items": items,
           "parts_used": parts,
           "notes": body.notes, "customer": {"name": body.customer.name, "phone": body.customer.phone, "signed": True},
           "by": {"kind": caller.kind, "name": caller.display}}
    ticket = None
    if checked.needs_repair:
        ticket_in = TicketCreate(
            serial_number=visit.serial_number, caller=CallerIn(name=body.customer.name, phone=body.customer.phone),
            description=_ticket_description(visit, by_code, checked.needs_repair, {i["code"]: i for i in items}),
            level=3, channel="web")
        ticket = tickets.report(session, ticket_in=ticket_in, unit=unit, by=caller, now=now)
    visit.status, visit.done_at, visit.entered_at = "done", at, now
    visit.record, visit.signature_png, visit.out_of_range = rec, png, list(checked.out_of_range)
    visit.ticket_id = ticket.id if ticket is not None else None
    visit.done_by, visit.history_delivered, visit.updated_at = caller.actor(), False, now
    history = {"kind": HISTORY_KIND[visit.kind], "performed_on": today(at).isoformat(), "technician": technician,
               "notes": _history_notes(visit, rec, checked.needs_repair, checked.out_of_range,
                                       ticket.number if ticket else None)}
    if parts:
        history["parts_replaced"] = parts
    session.add(VisitOutbox(visit_id=visit.id, payload={"serial_number": visit.serial_number, "record": history},
                            idempotency_key=f"servicedesk-visit-{visit.id}-history", created_at=now,
                            next_attempt_at=now, attempts=0))
    session.flush()
    return read(visit, now, checklist=entries_now)


def cancel(session: Session, visit_id: int, *, reason: str, caller: context.Caller, now: datetime) -> dict:
    visit = get(session, visit_id, caller, lock=True)
    if visit.status != "planned":
        raise desk_errors.VisitNotPlanned(f"Visit {visit_id} is {visit.status}")
    visit.status, visit.cancelled_at, visit.cancel_reason = "cancelled", now, reason
    visit.cancelled_by, visit.updated_at = caller.actor(), now
    session.flush()
    return read(visit, now, checklist=entries(session, visit))


def for_report(session: Session, visit_id: int, caller: context.Caller) -> tuple[dict, list, bytes]:
    visit = get(session, visit_id, caller)
    if visit.status != "done" or visit.record is None:
        status = visit_plan.status_on(visit.status, visit.due_on, visit.due_on)
        raise desk_errors.VisitNotDone(f"Visit {visit_id} is {status}")
    return read(visit, visit.entered_at or visit.updated_at), entries(session, visit), visit.signature_png or b""


# --- model figures ----------------------------------------------------------------------------------

def read_spec(row: VisitModelSpec) -> dict:
    return {"model_code": row.model_code, "supply_volts": row.supply_volts, "refrigerant": row.refrigerant,
            "rated_current_a": _number(row.rated_current_a), "updated_at": row.updated_at}


def put_spec(session: Session, model_code: str, body, now: datetime) -> dict:
    code = model_code.strip().upper()
    row = session.get(VisitModelSpec, code) or VisitModelSpec(model_code=code)
    row.supply_volts, row.refrigerant = body.supply_volts, body.refrigerant
    row.rated_current_a = Decimal(str(body.rated_current_a)) if body.rated_current_a is not None else None
    row.updated_at = now
    session.add(row)
    session.flush()
    return read_spec(row)


def get_spec(session: Session, model_code: str) -> dict:
    code = model_code.strip().upper()
    row = session.get(VisitModelSpec, code)
    if row is None:
        return {"model_code": code, "supply_volts": None, "refrigerant": None, "rated_current_a": None,
                "updated_at": None}
    return read_spec(row)
