"""Bulk registration: many units from a JSON list or a CSV file with a header.

Good rows are kept and bad rows reported, by data-row number (the first unit
is row 1). Rows are validated in memory, checked against existing serials in
batches, and inserted in batches: no transaction or query per row.
"""

import csv
import io
import json
from collections.abc import Callable
from datetime import date, datetime

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from services.warranty import errors, units
from services.warranty.models import PolicyVersion, RegionCalendar, Unit
from services.warranty.schemas import UnitCreate
from shared.db import Database

CSV_COLUMNS = frozenset({
    "serial_number", "model_code", "product_name", "site_name", "site_address", "region",
    "project_code", "accepted_on", "certificate_number",
})
REQUIRED_COLUMNS = ("serial_number", "model_code", "product_name", "site_name", "accepted_on")
MAX_ROWS = 200_000
BATCH = 2_000


def parse_csv(raw: bytes) -> list[dict]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise errors.InvalidImport("The CSV file is not UTF-8 text") from exc
    try:
        return _parse_csv_text(text)
    except csv.Error as exc:  # a file the csv module cannot split into rows at all
        raise errors.InvalidImport(f"The CSV file cannot be read: {exc}") from exc


def _parse_csv_text(text: str) -> list[dict]:
    # newline="": the csv module itself handles \r, \n and \r\n, also inside quoted fields.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = sorted(set(header) - CSV_COLUMNS)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        problems = [f"unknown column {c!r}" for c in unknown] + [f"missing column {c!r}" for c in missing]
        if len(set(header)) != len(header):
            problems.append("a column is named twice")
        raise errors.InvalidImport(
            "; ".join(problems), errors=[{"field": "header", "message": p} for p in problems]
        )
    reader.fieldnames = header
    rows = []
    for record in reader:
        if None in record:
            record = {k: v for k, v in record.items() if k is not None}
            record["__extra__"] = True
        rows.append(_unit_body({k: (v.strip() or None) if isinstance(v, str) else v for k, v in record.items()}))
    return rows


def _unit_body(record: dict) -> dict:
    if record.get("__extra__"):
        return {"__error__": ("invalid_row", "the row has more values than the header has columns")}
    body = {
        "serial_number": record.get("serial_number"),
        "model_code": record.get("model_code"),
        "product_name": record.get("product_name"),
        "site": {"name": record.get("site_name"), "address": record.get("site_address"),
                 "region": record.get("region")},
        "project_code": record.get("project_code"),
        "accepted_on": record.get("accepted_on"),
    }
    if record.get("certificate_number"):
        body["certificate"] = {"number": record["certificate_number"]}
    return body


def parse_json(raw: bytes) -> list[dict]:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise errors.InvalidImport("The body is not valid JSON") from exc
    if not isinstance(data, list):
        raise errors.InvalidImport("A JSON import is a list of units")
    return data


class _Pins:
    """Policy and calendar in force per acceptance day, resolved in memory."""

    def __init__(self, session: Session) -> None:
        self.policies = session.scalars(
            select(PolicyVersion).order_by(PolicyVersion.effective_from, PolicyVersion.version)
        ).all()
        self.calendars: dict[str, list[RegionCalendar]] = {}
        # Thousands of rows share a few acceptance days: resolve each day once.
        self.policy_on: dict[date, int] = {}
        self.calendar_on: dict[tuple[str, date], int | None] = {}
        for row in session.scalars(select(RegionCalendar).order_by(RegionCalendar.version)):
            self.calendars.setdefault(row.region, []).append(row)

    def policy(self, on: date) -> int:
        if on not in self.policy_on:
            in_force = [p for p in self.policies if p.effective_from <= on]
            self.policy_on[on] = (in_force[-1] if in_force else min(self.policies, key=lambda p: p.version)).version
        return self.policy_on[on]

    def calendar(self, region: str, on: date) -> int | None:
        if (region, on) not in self.calendar_on:
            rows = self.calendars.get(region)
            in_force = [r for r in rows or [] if r.effective_from <= on]
            found = in_force[-1] if in_force else (rows[0] if rows else None)
            self.calendar_on[(region, on)] = found.id if found else None
        return self.calendar_on[(region, on)]


def run(db: Database, raw: bytes, parse: Callable[[bytes], list], *, today: date, now: datetime) -> dict:
    """The import as one explicit unit of work (run through `uow.call`): the file is read whole, then
    every chunk of inserts goes into one transaction, committed at the end or not at all."""
    bodies = parse(raw)
    with db.transaction() as session:
        return import_units(session, bodies, today=today, now=now)


def import_units(session: Session, bodies: list, *, today: date, now: datetime) -> dict:
    if len(bodies) > MAX_ROWS:
        raise errors.InvalidImport(f"At most {MAX_ROWS} rows per import")
    problems: list[dict] = []
    valid: list[tuple[int, UnitCreate]] = []
    seen: set[str] = set()
    for row, body in enumerate(bodies, start=1):
        serial = body.get("serial_number") if isinstance(body, dict) else None
        if isinstance(body, dict) and "__error__" in body:
            code, message = body["__error__"]
            problems.append(_problem(row, serial, code, message))
            continue
        try:
            unit_in = UnitCreate.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "row"
            problems.append(_problem(row, serial, "invalid_row", f"{field}: {first['msg']}"))
            continue
        if unit_in.serial_number in seen:
            problems.append(_problem(row, unit_in.serial_number, "duplicate_in_file",
                                     "this serial number appears earlier in the file"))
            continue
        seen.add(unit_in.serial_number)
        valid.append((row, unit_in))
    existing = _existing(session, [u.serial_number for _, u in valid])
    pins = _Pins(session)
    rows, skipped = [], 0
    for row, unit_in in valid:
        if unit_in.serial_number in existing:
            skipped += 1
            continue
        values, problem = _values(unit_in, pins, today=today, now=now)
        if problem:
            problems.append(_problem(row, unit_in.serial_number, *problem))
        else:
            rows.append(values)
    # Core executemany, not the ORM unit of work: a hundred thousand rows in seconds.
    connection = session.connection()
    for start in range(0, len(rows), BATCH):
        connection.execute(insert(Unit.__table__), rows[start:start + BATCH])
    return {"created": len(rows), "skipped": skipped, "errors": problems}


def _values(unit_in: UnitCreate, pins: _Pins, *, today: date, now: datetime):
    try:
        units.check_accepted_on(unit_in.accepted_on, today)
    except errors.AcceptedInFuture as exc:
        return None, (exc.code, exc.detail)
    region = units.region_of(unit_in)
    calendar_id = pins.calendar(region, unit_in.accepted_on)
    if calendar_id is None:
        return None, ("unknown_region", f"no season calendar for region {region!r}")
    policy_version = pins.policy(unit_in.accepted_on)
    return units.unit_values(unit_in, policy_version=policy_version, calendar_id=calendar_id, now=now), None


def _existing(session: Session, serials: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(serials), 900):
        chunk = serials[start:start + 900]
        found.update(session.scalars(select(Unit.serial_number).where(Unit.serial_number.in_(chunk))))
    return found


def _problem(row: int, serial, code: str, message: str) -> dict:
    return {"row": row, "serial_number": serial if isinstance(serial, str) else None,
            "code": code, "message": message}
