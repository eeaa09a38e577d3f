"""A units CSV cut into chunks the import endpoint takes, each with the header row.

Rows are numbered as the server numbers them for a whole file (the first unit
is row 1; blank lines are not rows), and each chunk keeps the original numbers
of its rows, so that an error reported for a chunk's row k names the file's row.
A serial that came earlier in the file is a `duplicate_in_file` error here,
before sending: in another chunk the server could not see it. The columns this
tool adds to a bad-rows file (`row`, `error_code`, `error_message`) are left
out, so that the corrected file can be imported as it is.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

OWN_COLUMNS = frozenset({"row", "error_code", "error_message"})


@dataclass
class Chunk:
    body: bytes
    rows: list[int] = field(default_factory=list)  # the file's row number of each row sent


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    serial_number: str | None
    code: str
    message: str


@dataclass
class Prepared:
    header: list[str]
    records: dict[int, list[str]]
    chunks: list[Chunk]
    local_errors: list[RowError]

    @property
    def total_rows(self) -> int:
        return len(self.records)


def _encode(header: list[str], records: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(records)
    return out.getvalue().encode()


def prepare(text: str, chunk_size: int) -> Prepared:
    if chunk_size < 1:
        raise ValueError("a chunk has at least one row")
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    raw_header = next((row for row in reader if row), [])
    keep = [i for i, name in enumerate(raw_header) if name.strip() not in OWN_COLUMNS]
    header = [raw_header[i] for i in keep]
    names = [h.strip() for h in header]
    serial_at = names.index("serial_number") if "serial_number" in names else None
    records: dict[int, list[str]] = {}
    seen: dict[str, int] = {}
    errors: list[RowError] = []
    chunks: list[Chunk] = []
    pending: list[list[str]] = []
    numbers: list[int] = []
    number = 0
    for record in reader:
        if not record:
            continue
        number += 1
        if len(keep) != len(raw_header):
            record = [record[i] for i in keep if i < len(record)] + record[len(raw_header):]
        records[number] = record
        serial = record[serial_at].strip().upper() if serial_at is not None and serial_at < len(record) else ""
        if serial and serial in seen:
            errors.append(RowError(number, serial, "duplicate_in_file",
                                   f"serial number {serial} is already on row {seen[serial]}"))
            continue
        if serial:
            seen[serial] = number
        pending.append(record)
        numbers.append(number)
        if len(pending) == chunk_size:
            chunks.append(Chunk(_encode(header, pending), numbers))
            pending, numbers = [], []
    if pending or not chunks:
        chunks.append(Chunk(_encode(header, pending), numbers))
    return Prepared(header=header, records=records, chunks=chunks, local_errors=errors)


def bad_rows_csv(prepared: Prepared, errors: list[RowError]) -> Iterator[list[str]]:
    """The bad rows as they were in the file, after their number, with every reason."""
    by_row: dict[int, list[RowError]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(error)
    yield ["row", *prepared.header, "error_code", "error_message"]
    for row in sorted(by_row):
        found = by_row[row]
        record = prepared.records.get(row, [])
        yield [str(row), *record, "; ".join(e.code for e in found), "; ".join(e.message for e in found)]
