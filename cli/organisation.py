"""`aftersales import-sites FILE.csv` and `aftersales import-technicians FILE.csv`: the organisation of the
service desk (domain.md section 7) from a spreadsheet, one POST per row, bad rows reported like the unit import.

Sites: columns `code,name,kind,parent,region,address,phone` and optional `webhook_kind,webhook_url,status`;
a code that exists is skipped. Technicians: `name,phone,station` and optional `skills` (separated by `;`)
and `active` (`true`/`false`). Each row carries an Idempotency-Key made from its content, so running the
same file again within two days does not make a technician twice.
"""

import csv
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass

from cli.common import RowError

SITE_COLUMNS = ("code", "name", "kind", "parent", "region", "address", "phone", "webhook_kind", "webhook_url",
                "status")
SITE_REQUIRED = ("code", "name", "kind", "region", "address", "phone")
TECHNICIAN_COLUMNS = ("name", "phone", "station", "skills", "active")
TECHNICIAN_REQUIRED = ("name", "phone", "station")


@dataclass
class Outcome:
    created: int = 0
    skipped: int = 0
    errors: list[RowError] | None = None


def read_rows(text: str, columns: tuple[str, ...], required: tuple[str, ...]) -> list[dict]:
    """The rows as dicts (row numbers count the header as 1); unknown or missing columns refuse the file."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in columns]
    missing = [c for c in required if c not in header]
    if unknown or missing:
        raise ValueError("; ".join(filter(None, [
            f"unknown columns: {', '.join(unknown)}" if unknown else "",
            f"missing columns: {', '.join(missing)}" if missing else ""])))
    return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]


def site_body(row: dict) -> dict:
    body = {k: row[k] for k in ("code", "name", "kind", "region", "address", "phone") if row.get(k)}
    if row.get("parent"):
        body["parent"] = row["parent"]
    if row.get("webhook_url"):
        body["webhook"] = {"kind": row.get("webhook_kind") or "wecom", "url": row["webhook_url"]}
    if row.get("status"):
        body["status"] = row["status"]
    return body


def technician_body(row: dict) -> dict:
    body = {k: row[k] for k in ("name", "phone", "station") if row.get(k)}
    if row.get("skills"):
        body["skills"] = [s.strip() for s in row["skills"].replace(",", ";").split(";") if s.strip()]
    if row.get("active"):
        body["active"] = row["active"].lower() in ("true", "yes", "1", "是")
    return body


@dataclass(frozen=True)
class Kind:
    name: str  # site or technician: the rows go to the service desk's /{name}s
    columns: tuple[str, ...]
    required: tuple[str, ...]
    body_of: Callable[[dict], dict]
    exists_code: str | None  # the problem a row already there is refused with: it is skipped


SITES = Kind("site", SITE_COLUMNS, SITE_REQUIRED, site_body, "site_exists")
TECHNICIANS = Kind("technician", TECHNICIAN_COLUMNS, TECHNICIAN_REQUIRED, technician_body, None)


def row_key(kind: str, body: dict) -> str:
    return f"import-{kind}-" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:40]


def problem(response) -> tuple[str, str]:
    try:
        answer = response.json()
    except ValueError:
        return "http_error", f"HTTP {response.status_code}"
    detail = answer.get("detail") or answer.get("title") or ""
    for error in answer.get("errors") or []:
        detail += f"; {error.get('field')}: {error.get('message')}"
    return answer.get("code") or "http_error", detail


def send_all(client, rows: list[dict], kind: Kind, *, path: str) -> Outcome:
    """POST each row to `path`; `client.request` is an httpx-like client (the CLI's, or a test's)."""
    outcome = Outcome(errors=[])
    for number, row in enumerate(rows, start=2):
        body = kind.body_of(row)
        response = client.request("POST", path, json=body, headers={"Idempotency-Key": row_key(kind.name, body)})
        if response.status_code == 201:
            if response.headers.get("Idempotent-Replayed") == "true":
                outcome.skipped += 1  # made by an earlier run of the same file
            else:
                outcome.created += 1
            continue
        code, message = problem(response)
        if kind.exists_code is not None and code == kind.exists_code:
            outcome.skipped += 1
            continue
        if response.status_code in (401, 403, 429) or response.status_code >= 500:
            raise RuntimeError(f"{message} ({code}, HTTP {response.status_code}) at row {number}")
        outcome.errors.append(RowError(number, row, code, message))
    return outcome
