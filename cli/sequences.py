"""`aftersales check-sequences`: after a restore, every number the platform gives out next is past
every number it has already given out.

- Invoice numbers (billing, `INV-<year>-<n>`) come from `invoice_counter`, ticket numbers (service
  desk, `SR-<year>-<n>`) from `ticket_counter`: one row per year holding the last number given,
  moved on in the transaction that issues the number. Each counter must be at least the highest
  number of its year in `bill` / `ticket`.
- On PostgreSQL, every sequence behind an id column of the platform's schemas must be past the
  highest id (pg_restore sets them; a partial or data-only restore may not).

A backup cannot hold the numbers given out after it was taken, and those may be printed on an
invoice a customer holds: give them with `--past INV-2026-000123` (the last one printed) or
`--log billing.log` (billing's JSON log: every `bill_issued` line names its number), and the
counters are moved past them too. Counters are only ever moved forward.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, inspect, text

from shared.db import create_db_engine, is_sqlite
from shared.settings import SERVICES, database_url_for

NUMBER = re.compile(r"^(INV|SR)-(\d{4})-(\d{6})$")


@dataclass(frozen=True)
class Counter:
    service: str
    prefix: str
    table: str  # where the numbers are
    counter_table: str
    counter_column: str


COUNTERS = (
    Counter("billing", "INV", "bill", "invoice_counter", "last_sequence"),
    Counter("servicedesk", "SR", "ticket", "ticket_counter", "last"),
)


@dataclass(frozen=True)
class Finding:
    what: str  # "invoice numbers 2026", "billing.bill_id_seq"
    last_given: int  # what the counter or sequence says was given last
    highest_known: int  # the highest number found in the data or given by --past / --log
    status: str  # "ok", "advanced" (fixed), "behind" (not fixed: --dry-run)


class BadNumber(ValueError):
    pass


def known_numbers(past: Iterable[str], logs: Iterable[Path] = ()) -> dict[tuple[str, int], int]:
    """The highest number per (prefix, year) among those given on the command line and in logs."""
    numbers = [n.strip() for n in past]
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("event") == "bill_issued" and entry.get("number"):
                numbers.append(str(entry["number"]))
    highest: dict[tuple[str, int], int] = {}
    for number in numbers:
        match = NUMBER.match(number)
        if match is None:
            raise BadNumber(f"{number!r} is not an invoice (INV-2026-000123) or ticket (SR-2026-000045) number")
        key = (match[1], int(match[2]))
        highest[key] = max(highest.get(key, 0), int(match[3]))
    return highest


def check(data_dir: Path, *, known: dict[tuple[str, int], int] | None = None, fix: bool = True) -> list[Finding]:
    """Every counter and sequence of the platform's databases (as DATA_DIR / DATABASE_URL say)."""
    known = known or {}
    findings: list[Finding] = []
    counters = {c.service: c for c in COUNTERS}
    for name in ("gateway", *SERVICES):
        url, schema = database_url_for(name, data_dir)
        if is_sqlite(url) and not Path(url.removeprefix("sqlite:///")).exists():
            continue
        engine = create_db_engine(url, schema=schema)
        try:
            with engine.begin() as conn:
                if name in counters:
                    findings += _counter(conn, counters[name], known, fix)
                if not is_sqlite(url):
                    findings += _sequences(conn, schema or "public", fix)
        finally:
            engine.dispose()
    return findings


def _counter(conn: Connection, counter: Counter, known: dict, fix: bool) -> list[Finding]:
    tables = inspect(conn)
    if not (tables.has_table(counter.table) and tables.has_table(counter.counter_table)):
        return []  # not migrated yet: nothing given out
    year_at, sequence_at = len(counter.prefix) + 2, len(counter.prefix) + 7
    rows = conn.execute(text(
        f"SELECT substr(number, {year_at}, 4), max(substr(number, {sequence_at}, 6)) FROM {counter.table}"
        f" WHERE number LIKE '{counter.prefix}-%' GROUP BY substr(number, {year_at}, 4)"
    )).all()
    issued = {int(year): int(last) for year, last in rows if year.isdigit() and last and last.isdigit()}
    for (prefix, year), last in known.items():
        if prefix == counter.prefix:
            issued[year] = max(issued.get(year, 0), last)
    column = counter.counter_column
    given = dict(conn.execute(text(f"SELECT year, {column} FROM {counter.counter_table}")).all())
    kind = "invoice numbers" if counter.prefix == "INV" else "ticket numbers"
    findings = []
    for year in sorted(set(issued) | set(given)):
        have, need = given.get(year), issued.get(year, 0)
        if have is not None and have >= need:
            findings.append(Finding(f"{kind} {year}", have, need, "ok"))
            continue
        if fix:
            if have is None:
                conn.execute(text(f"INSERT INTO {counter.counter_table} (year, {column}) VALUES (:y, :n)"),
                             {"y": year, "n": need})
            else:
                conn.execute(text(f"UPDATE {counter.counter_table} SET {column} = :n"
                                  f" WHERE year = :y AND {column} < :n"), {"y": year, "n": need})
        findings.append(Finding(f"{kind} {year}", have or 0, need, "advanced" if fix else "behind"))
    return findings


OWNED_SEQUENCES = text("""
    SELECT seq.relname, tbl.relname, att.attname
    FROM pg_class seq
    JOIN pg_namespace ns ON ns.oid = seq.relnamespace
    JOIN pg_depend dep ON dep.objid = seq.oid AND dep.classid = 'pg_class'::regclass
         AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')
    JOIN pg_class tbl ON tbl.oid = dep.refobjid
    JOIN pg_attribute att ON att.attrelid = tbl.oid AND att.attnum = dep.refobjsubid
    WHERE seq.relkind = 'S' AND ns.nspname = :schema
    ORDER BY seq.relname
""")


def _sequences(conn: Connection, schema: str, fix: bool) -> list[Finding]:
    findings = []
    for sequence, table, column in conn.execute(OWNED_SEQUENCES, {"schema": schema}).all():
        qualified = f'"{schema}"."{sequence}"'
        last, called = conn.execute(text(f"SELECT last_value, is_called FROM {qualified}")).one()
        given = last if called else last - 1
        highest = conn.execute(text(f'SELECT max("{column}") FROM "{schema}"."{table}"')).scalar() or 0
        if given >= highest:
            findings.append(Finding(f"{schema}.{sequence}", given, highest, "ok"))
            continue
        if fix:
            conn.execute(text("SELECT setval(CAST(:sequence AS regclass), :value)"),
                         {"sequence": qualified, "value": highest})
        findings.append(Finding(f"{schema}.{sequence}", given, highest, "advanced" if fix else "behind"))
    return findings
