"""Bulk registration: many units from a JSON list or a CSV file with a header.

Good rows are kept and bad rows reported, by data-row number (the first unit
is row 1). Rows are validated in memory, checked against existing serials in
batches, and inserted in batches: no transaction or query per row.
"""

import csv
import gc
import io
import json
import operator
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.warranty import errors, units
from services.warranty.domain.terms import DEFAULT_REGION
from services.warranty.models import PolicyVersion, RegionCalendar, Unit
from services.warranty.schemas import SERIAL_PATTERN, UnitCreate
from shared.contracts.common import SERIAL_MAX_LENGTH
from shared.db import Database
from shared.storable import storable
from shared.types import iso_date

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
    # Plain rows, not csv.DictReader (a dict per row), with DictReader's rules: the first line is the
    # header, blank lines are skipped, missing values are None, extra values make the row invalid.
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    unknown = sorted(set(header) - CSV_COLUMNS)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        problems = [f"unknown column {c!r}" for c in unknown] + [f"missing column {c!r}" for c in missing]
        if len(set(header)) != len(header):
            problems.append("a column is named twice")
        raise errors.InvalidImport(
            "; ".join(problems), errors=[{"field": "header", "message": p} for p in problems]
        )
    width = len(header)
    at = {name: header.index(name) if name in header else None for name in CSV_COLUMNS}
    if text.count("\n") > MAX_ROWS:
        # Perhaps too many rows: count them before building any (near-empty rows cost more built than sent).
        _count_rows(csv.reader(io.StringIO(text, newline="")))
    has_nul = "\x00" in text  # no database stores one: those rows are reported, never inserted
    rows = []
    for values in reader:
        if not values:
            continue
        if len(rows) == MAX_ROWS:
            raise errors.InvalidImport(f"At most {MAX_ROWS} rows per import")
        if has_nul and any("\x00" in value for value in values):
            rows.append({"__error__": ("invalid_row", "a value holds a NUL character")})
            continue
        if len(values) > width:
            rows.append({"__error__": ("invalid_row", "the row has more values than the header has columns")})
            continue
        if len(values) < width:
            values = values + [None] * (width - len(values))
        record = {name: (values[i].strip() or None) if isinstance(values[i], str) else values[i]
                  for name, i in at.items() if i is not None}
        rows.append(_unit_body(record))
    return rows


def _count_rows(reader) -> None:
    next(reader, None)  # the header
    count = 0
    for values in reader:
        if values:
            count += 1
            if count > MAX_ROWS:
                raise errors.InvalidImport(f"At most {MAX_ROWS} rows per import")


def _unit_body(record: dict) -> dict:
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
    except RecursionError as exc:  # nested thousands deep: no unit is
        raise errors.InvalidImport("The JSON is nested too deep") from exc
    if not isinstance(data, list):
        raise errors.InvalidImport("A JSON import is a list of units")
    if len(data) > MAX_ROWS:
        raise errors.InvalidImport(f"At most {MAX_ROWS} rows per import")
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


def run(db: Database, raw: bytes, parse: Callable[[bytes], list], *, today: date, now: datetime,
        recorded: Callable[[Session, dict], None] | None = None) -> dict:
    """The import as one explicit unit of work (run through `uow.call`): the file is read whole, then
    every chunk of inserts goes into one transaction, committed at the end or not at all; `recorded`
    writes the audit trail's entry for the file in that same transaction."""
    with _collector_paused():
        bodies = parse(raw)
        with db.transaction() as session:
            # Text decoded from UTF-8 holds only valid characters: the fast check applies (see _fast_values).
            result = import_units(session, bodies, today=today, now=now, decoded_text=parse is parse_csv)
            if recorded is not None:
                recorded(session, result)
            return result


_pausing = threading.Lock()
_paused = {"imports": 0, "was_enabled": False}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while an import builds its rows: each full collection walked
    every row made so far, a fifth of the import's time (docs/performance.md). Reference counting
    still frees everything; the collector runs again when the last import in the process ends."""
    with _pausing:
        if _paused["imports"] == 0:
            _paused["was_enabled"] = gc.isenabled()
            gc.disable()
        _paused["imports"] += 1
    try:
        yield
    finally:
        with _pausing:
            _paused["imports"] -= 1
            if _paused["imports"] == 0 and _paused["was_enabled"]:
                gc.enable()


def import_units(session: Session, bodies: list, *, today: date, now: datetime, decoded_text: bool = False) -> dict:
    if len(bodies) > MAX_ROWS:
        raise errors.InvalidImport(f"At most {MAX_ROWS} rows per import")
    problems: list[dict] = []
    valid: list[tuple[int, dict | UnitCreate]] = []
    seen: set[str] = set()
    days: dict[str, date | None] = {}
    for row, body in enumerate(bodies, start=1):
        serial = body.get("serial_number") if isinstance(body, dict) else None
        if isinstance(body, dict) and isinstance(body.get("__error__"), tuple):  # the CSV reader's, never JSON's
            code, message = body["__error__"]
            problems.append(_problem(row, serial, code, message))
            continue
        unit_in = _fast_values(body, days) if decoded_text else None
        if unit_in is None:  # not certainly valid: pydantic decides, and words the problem
            try:
                unit_in = UnitCreate.model_validate(body)
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "row"
                problems.append(_problem(row, serial, "invalid_row", f"{field}: {first['msg']}"))
                continue
            serial_number = unit_in.serial_number
        else:
            serial_number = unit_in["serial_number"]
        if serial_number in seen:
            problems.append(_problem(row, serial_number, "duplicate_in_file",
                                     "this serial number appears earlier in the file"))
            continue
        seen.add(serial_number)
        valid.append((row, unit_in))
    existing = _existing(session, list(seen))
    pins = _Pins(session)
    rows, skipped = [], 0
    for row, unit_in in valid:
        values, problem = _values(unit_in, pins, existing, today=today, now=now)
        if values is _SKIPPED:
            skipped += 1
        elif problem:
            problems.append(_problem(row, values, *problem))
        else:
            rows.append(values)
    _insert(session, rows)
    return {"created": len(rows), "skipped": skipped, "errors": problems}


_SKIPPED = object()
_UNIT_KEYS = frozenset({"serial_number", "model_code", "product_name", "site", "project_code", "accepted_on",
                        "certificate"})
_SITE_KEYS = frozenset({"name", "address", "region"})
_CERTIFICATE_KEYS = frozenset({"number", "product_name", "model_code", "serial_number"})


def _text(value, shortest: int, longest: int, *, optional: bool = False) -> bool:
    if value is None:
        return optional
    return type(value) is str and shortest <= len(value) <= longest


def _fast_values(body, days: dict[str, date | None]) -> dict | None:
    """The row values (as units.unit_values makes them, without the pins) of a body that UnitCreate
    certainly accepts, checked by the same rules without building models; None when not certain,
    and UnitCreate decides with its own words. Only for text decoded from UTF-8 (pydantic also
    refuses a string holding a lone surrogate, which JSON escapes can make)."""
    if type(body) is not dict or not body.keys() <= _UNIT_KEYS:
        return None
    serial, site, certificate = body.get("serial_number"), body.get("site"), body.get("certificate")
    if type(serial) is not str or len(serial) > SERIAL_MAX_LENGTH:
        return None
    serial = serial.strip().upper()
    if not SERIAL_PATTERN.match(serial):
        return None
    model_code, product_name, project_code = body.get("model_code"), body.get("product_name"), body.get("project_code")
    if not (_text(model_code, 1, 100) and _text(product_name, 1, 200) and _text(project_code, 0, 100, optional=True)):
        return None
    if type(site) is not dict or not site.keys() <= _SITE_KEYS:
        return None
    site_name, address, region = site.get("name"), site.get("address"), site.get("region")
    if not (_text(site_name, 1, 200) and _text(address, 0, 500, optional=True)
            and _text(region, 1, 40, optional=True)):
        return None
    accepted = body.get("accepted_on")
    if type(accepted) is not str:
        return None
    if accepted not in days:  # thousands of rows share a few days
        try:
            days[accepted] = iso_date(accepted)
        except ValueError:
            days[accepted] = None
    accepted_on = days[accepted]
    if accepted_on is None:
        return None
    values = {
        "serial_number": serial, "model_code": model_code.strip(), "product_name": product_name.strip(),
        "site_name": site_name.strip(), "site_address": address,
        "region": (region or DEFAULT_REGION).strip().lower(), "project_code": project_code,
        "accepted_on": accepted_on, "certificate_number": None, "certificate_product_name": None,
        "certificate_model_code": None, "certificate_serial_number": None,
    }
    if certificate is not None:
        if type(certificate) is not dict or not certificate.keys() <= _CERTIFICATE_KEYS:
            return None
        number, c_product, c_model, c_serial = (certificate.get(k) for k in (
            "number", "product_name", "model_code", "serial_number"))
        if not (_text(number, 1, 100) and _text(c_product, 1, 200, optional=True)
                and _text(c_model, 1, 100, optional=True) and _text(c_serial, 1, 100, optional=True)):
            return None
        values["certificate_number"] = number
        values["certificate_product_name"] = c_product or product_name
        values["certificate_model_code"] = c_model or model_code
        values["certificate_serial_number"] = (c_serial or serial).strip().upper()
    return values


def _values(unit_in: dict | UnitCreate, pins: _Pins, existing: set[str], *, today: date, now: datetime):
    """(row values, None) to insert; (_SKIPPED, None) for a serial already registered; (serial, problem)."""
    if isinstance(unit_in, UnitCreate):
        serial, accepted_on, region = unit_in.serial_number, unit_in.accepted_on, units.region_of(unit_in)
    else:
        serial, accepted_on, region = unit_in["serial_number"], unit_in["accepted_on"], unit_in["region"]
    if serial in existing:
        return _SKIPPED, None
    try:
        units.check_accepted_on(accepted_on, today)
    except errors.AcceptedInFuture as exc:
        return serial, (exc.code, exc.detail)
    calendar_id = pins.calendar(region, accepted_on)
    if calendar_id is None:
        return serial, ("unknown_region", f"no season calendar for region {region!r}")
    policy_version = pins.policy(accepted_on)
    if isinstance(unit_in, UnitCreate):
        return units.unit_values(unit_in, policy_version=policy_version, calendar_id=calendar_id, now=now), None
    unit_in.update(policy_version=policy_version, calendar_id=calendar_id, created_at=now)
    return unit_in, None


def _existing(session: Session, serials: list[str]) -> set[str]:
    """The serials already registered: on PostgreSQL one query, on SQLite one per 900 (its variable limit),
    sent as the driver takes them (SQLAlchemy compiled an IN list of 900 parameters per chunk)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return set(connection.exec_driver_sql(
            "SELECT serial_number FROM unit WHERE serial_number = ANY(%s)", (serials,)).scalars())
    found: set[str] = set()
    for start in range(0, len(serials), 900):
        chunk = serials[start:start + 900]
        statement = f"SELECT serial_number FROM unit WHERE serial_number IN ({', '.join('?' * len(chunk))})"
        found.update(connection.exec_driver_sql(statement, tuple(chunk)).scalars())
    return found


def _insert(session: Session, rows: list[dict]) -> None:
    """Every row in this transaction, in chunks, with the values SQLAlchemy itself would bind."""
    if not rows:
        return
    connection = session.connection()
    table = Unit.__table__
    names = [c.name for c in table.columns]
    # A column's bind processing (dates to text on SQLite, timestamps to UTC), once per distinct value:
    # thousands of rows share one created_at and a few acceptance days.
    processing = [(c.name, processor, {}) for c in table.columns
                  if (processor := c.type._cached_bind_processor(connection.dialect)) is not None]
    for values in rows:
        for name, processor, cache in processing:
            value = values[name]
            if value is not None:
                if value not in cache:
                    cache[value] = processor(value)
                values[name] = cache[value]
    line_of = operator.itemgetter(*names)
    tuples = [line_of(values) for values in rows]
    driver = connection.connection.driver_connection
    columns = ", ".join(names)
    if connection.dialect.name == "postgresql":
        # COPY: one stream, checked like INSERTs (keys, foreign keys, the statement timeout).
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for line in tuples:
                copy.write_row(line)
        return
    statement = f"INSERT INTO {table.name} ({columns}) VALUES ({', '.join('?' * len(names))})"
    for start in range(0, len(tuples), BATCH):
        connection.exec_driver_sql(statement, tuples[start:start + BATCH])


def _problem(row: int, serial, code: str, message: str) -> dict:
    # A serial no answer can carry (a lone surrogate, from a JSON escape) is not echoed.
    return {"row": row, "serial_number": serial if isinstance(serial, str) and storable(serial) else None,
            "code": code, "message": message}
