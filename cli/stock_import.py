"""`aftersales import-parts`, `import-warehouses` and `import-stock`: the inventory at go-live from
spreadsheets, one request per row through the gateway (api.md, Inventory), bad rows reported like the
organisation's import (cli/organisation.py), with their reasons in Chinese or English.

Parts: `part_number,name,uom,list_price,out_of_warranty_price` and optional `min_stock,status,loaner_class`;
a part number that exists is skipped. Warehouses: `code,name,kind,region`; a code that exists is skipped.
Opening stock: `part_number,warehouse,qty` and optional `reference` (default `--reference`, 期初库存): one
`POST /inventory/receipts` per row. A quantity of 0 is skipped (nothing to receive).

Row numbers are the spreadsheet's: the header is row 1, a blank line still counts. The columns a bad-rows
file adds (`row`, `error_code`, `error`) are ignored when read back, so the corrected file imports as it is
(the rows, their parsing and the words: cli/stock_rows.py).

A receipt must never be made twice. Each row carries an Idempotency-Key made from what it sends (part,
warehouse, quantity and reference), so a row whose answer was lost is replayed, not received again; and
before sending, the receipts already in the ledger at the file's warehouses are read: a row whose part
already has a receipt with the same reference there was done by an earlier run (kept for 48 h only, and
per key, the idempotency record alone would not cover a run days later or with another key). It is
skipped, and said so; with another quantity it is an error (`already_received`): correct the count with
an adjustment. The same part at the same warehouse twice in one file is `duplicate_in_file`.

Exit status 1 when any row failed (after the summary), or when the platform stopped the run (a key not
allowed, the gateway away after retries): what was done before is kept and a second run skips it.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli import common
from cli.common import RowError, bad_rows_csv, write_csv
from cli.stock_rows import (
    DEFAULT_REFERENCE,
    PART_COLUMNS,
    PART_REQUIRED,
    STOCK_COLUMNS,
    STOCK_REQUIRED,
    WAREHOUSE_COLUMNS,
    WAREHOUSE_REQUIRED,
    Invalid,
    Row,
    language,
    notice,
    part_body,
    read_rows,
    row_key,
    say,
    stock_body,
    warehouse_body,
)

RETRIES = 3
SHOWN = 20

out = Console()
err = Console(stderr=True)


@dataclass
class Outcome:
    created: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    done_before: list[int] = field(default_factory=list)  # rows skipped as done by an earlier run
    zero: list[int] = field(default_factory=list)  # rows skipped with nothing to receive


class Stopped(Exception):
    """The platform refused the run itself (a key not allowed, the gateway away): nothing more is sent."""

    def __init__(self, message: str, row: int, outcome: Outcome) -> None:
        super().__init__(message)
        self.row, self.outcome = row, outcome


@dataclass(frozen=True)
class Kind:
    name: str  # part, warehouse, stock
    path: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    exists_code: str | None
    identity: Callable[[dict], tuple]  # two rows with the same identity are one thing twice


PARTS = Kind("part", "/inventory/parts", PART_COLUMNS, PART_REQUIRED, "part_exists",
             lambda body: (body["part_number"],))
WAREHOUSES = Kind("warehouse", "/inventory/warehouses", WAREHOUSE_COLUMNS, WAREHOUSE_REQUIRED, "warehouse_exists",
                  lambda body: (body["code"],))
STOCK = Kind("stock", "/inventory/receipts", STOCK_COLUMNS, STOCK_REQUIRED, None,
             lambda body: (body["warehouse"], body["part_number"]))


def _what(lang: str, kind: Kind, body: dict) -> str:
    return notice(lang, f"what_{kind.name}", **body)


def problem_of(response: httpx.Response) -> tuple[str, str, dict]:
    """The problem's code, its detail (with the fields a 422 names) and its body."""
    try:
        answer = response.json()
    except ValueError:
        return "http_error", f"HTTP {response.status_code}", {}
    if not isinstance(answer, dict):
        return "http_error", f"HTTP {response.status_code}", {}
    detail = str(answer.get("detail") or answer.get("title") or f"HTTP {response.status_code}")
    fields = [f"{e.get('field')}: {e.get('message')}" for e in answer.get("errors") or [] if isinstance(e, dict)]
    if fields:
        detail = "; ".join(fields)
    return str(answer.get("code") or "http_error"), detail, answer


class Sender:
    """Requests with the CLI's client, sent again on 429/503/504, an idempotent request still in flight
    (409 idempotency_in_progress) and a connection that failed: each row carries its key, so a repeat
    replays or is refused as existing, never done twice."""

    def __init__(self, client: httpx.Client, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client, self.sleep = client, sleep

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        for attempt in range(RETRIES + 1):
            try:
                response = self.client.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                if attempt < RETRIES:
                    self.sleep(2**attempt)
                    continue
                raise ConnectionError(f"cannot reach {self.client.base_url}: {exc}") from None
            busy = response.status_code in (429, 503, 504) or (
                response.status_code == 409 and problem_of(response)[0] == "idempotency_in_progress")
            if busy and attempt < RETRIES:
                try:
                    wait = float(response.headers.get("Retry-After", 2**attempt))
                except ValueError:
                    wait = 2.0**attempt
                self.sleep(min(30.0, max(0.0, wait)))
                continue
            return response
        raise AssertionError("unreachable")


def receipts_at(sender: Sender, warehouse: str) -> dict[tuple[str, str], dict]:
    """The receipts in a warehouse's ledger, by part and reference (the first of each): what earlier runs
    did. A key limited to other warehouses sees none here (and may not receive there)."""
    found: dict[tuple[str, str], dict] = {}
    cursor = None
    while True:
        params = {"warehouse": warehouse, "limit": 500, **({"cursor": cursor} if cursor else {})}
        response = sender.request("GET", "/inventory/movements", params=params)
        if response.status_code != 200:
            code, detail, _ = problem_of(response)
            if response.status_code in (401, 403, 429) or response.status_code >= 500:
                raise PermissionError(f"{detail} ({code}, HTTP {response.status_code})")
            return found
        page = response.json()
        for movement in page["items"]:
            if movement["kind"] == "receipt":
                found.setdefault((movement["part_number"], movement.get("reference") or ""), movement)
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def load(client: httpx.Client, rows: list[Row], kind: Kind, *, lang: str, reference: str = DEFAULT_REFERENCE,
         advance: Callable[[], None] = lambda: None, sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Send each row; `client` is an httpx client with the key (the CLI's, or a test's)."""
    sender = Sender(client, sleep)
    outcome = Outcome()
    seen: dict[tuple, int] = {}
    ledgers: dict[str, dict[tuple[str, str], dict]] = {}

    def refuse(row: Row, code: str, message: str) -> None:
        outcome.errors.append(RowError(row.number, row.values, code, message))

    for row in rows:
        try:
            try:
                if kind is PARTS:
                    body = part_body(row.values)
                elif kind is WAREHOUSES:
                    body = warehouse_body(row.values)
                else:
                    body = stock_body(row.values, reference)
            except Invalid as exc:
                refuse(row, exc.code, say(lang, exc.code, **exc.params))
                continue
            identity = kind.identity(body)
            if identity in seen:
                refuse(row, "duplicate_in_file",
                       say(lang, "duplicate_in_file", what=_what(lang, kind, body), row=seen[identity]))
                continue
            seen[identity] = row.number
            if kind is STOCK:
                if body["qty"] == 0:
                    outcome.skipped += 1
                    outcome.zero.append(row.number)
                    continue
                if body["warehouse"] not in ledgers:
                    try:
                        ledgers[body["warehouse"]] = receipts_at(sender, body["warehouse"])
                    except (PermissionError, ConnectionError) as exc:
                        raise Stopped(str(exc), row.number, outcome) from None
                earlier = ledgers[body["warehouse"]].get((body["part_number"], body["reference"]))
                if earlier is not None:
                    if earlier["qty"] == body["qty"]:
                        outcome.skipped += 1
                        outcome.done_before.append(row.number)
                    else:
                        refuse(row, "already_received", say(lang, "already_received", done=earlier["qty"],
                                                            id=earlier["id"], **body))
                    continue
            try:
                response = sender.request("POST", kind.path, json=body,
                                          headers={"Idempotency-Key": row_key(kind.name, body)})
            except ConnectionError as exc:
                raise Stopped(str(exc), row.number, outcome) from None
            if response.status_code == 201:
                if response.headers.get("Idempotent-Replayed") == "true":
                    outcome.skipped += 1  # sent by an earlier run of the same file
                    outcome.done_before.append(row.number)
                else:
                    outcome.created += 1
                continue
            code, detail, _ = problem_of(response)
            if kind.exists_code is not None and code == kind.exists_code:
                outcome.skipped += 1
                outcome.done_before.append(row.number)
                continue
            if code != "warehouse_forbidden" and (
                    response.status_code in (401, 403, 429) or response.status_code >= 500):
                raise Stopped(f"{detail} ({code}, HTTP {response.status_code})", row.number, outcome)
            refuse(row, code, say(lang, code, detail=detail, **body))
        finally:
            advance()
    return outcome


def _rows_text(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:SHOWN])
    return shown + (f", … (+{len(numbers) - SHOWN})" if len(numbers) > SHOWN else "")


def run_import(rows: list[Row], errors: Path | None, kind: Kind, *, client: httpx.Client, lang: str,
               reference: str = DEFAULT_REFERENCE) -> int:
    """The command: send with a progress bar, report; the exit status (0, or 1 when a row failed)."""
    progress = Progress(TextColumn(f"importing {kind.name}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, transient=False)
    stopped: Stopped | None = None
    with progress:
        task = progress.add_task(kind.name, total=len(rows))
        try:
            outcome = load(client, rows, kind, lang=lang, reference=reference,
                           advance=lambda: progress.advance(task))
        except Stopped as exc:
            stopped, outcome = exc, exc.outcome
    if errors is not None:
        write_csv(errors, bad_rows_csv(kind.columns, outcome.errors))
    out.print(f"created: {outcome.created}\nskipped: {outcome.skipped}\nerrors: {len(outcome.errors)}",
              highlight=False, markup=False, soft_wrap=True)
    if outcome.done_before:
        _tell(notice(lang, "done_before", rows=_rows_text(outcome.done_before)))
    if outcome.zero:
        _tell(notice(lang, "zero", rows=_rows_text(outcome.zero)))
    if errors is None:
        for error in sorted(outcome.errors, key=lambda e: e.row)[:SHOWN]:
            _tell(notice(lang, "row", row=error.row, code=error.code, message=error.message))
        if len(outcome.errors) > SHOWN:
            _tell(notice(lang, "more", n=len(outcome.errors) - SHOWN))
    if stopped is not None:
        _tell(f"error: {stopped}")
        _tell(notice(lang, "stopped", row=stopped.row, created=outcome.created, skipped=outcome.skipped))
        return 1
    return 1 if outcome.errors else 0


def _tell(text: str) -> None:
    """A line on stderr, as text: what the platform or the file held is never markup nor a control sequence,
    and never wrapped (one reason, one line, for grep)."""
    from cli.main import plain  # imported here: cli/main.py imports this module

    err.print(plain(text), highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer, *, api, url_option, key_option) -> None:
    """The three commands on the CLI; `api(ctx, url, key)` gives the CLI's client (cli/main.py)."""
    errors_option = Annotated[Path | None, typer.Option(
        "--errors", dir_okay=False, help="write the bad rows and their reasons here (import it once corrected)")]
    lang_option = Annotated[str | None, typer.Option(
        "--lang", envvar="AFTERSALES_LANG", help="the reasons in zh or en (default: the terminal's locale)",
        show_default=False)]

    def command(kind: Kind, ctx: typer.Context, file: Path, errors: Path | None, url, key, lang: str | None,
                reference: str = DEFAULT_REFERENCE) -> None:
        if lang is not None and lang.lower() not in ("zh", "en"):
            raise typer.BadParameter("zh or en", param_hint="--lang")
        rows = common.read_rows(file, read_rows, kind.columns, kind.required)
        client = api(ctx, url, key)
        raise typer.Exit(run_import(rows, errors, kind, client=client.client, lang=language(lang),
                                    reference=reference))

    def catalog_import(kind: Kind, file_help: str, summary: str) -> None:
        @app.command(f"import-{kind.name}s", help=summary)
        def import_catalog(ctx: typer.Context, file: common.csv_file(file_help), errors: errors_option = None,
                           lang: lang_option = None, url: url_option = None, key: key_option = None) -> None:
            command(kind, ctx, file, errors, url, key, lang)

    catalog_import(PARTS, "parts CSV with a header: part_number,name,uom,list_price,out_of_warranty_price"
                   "[,min_stock,status,loaner_class]",
                   "Load the parts (admin); a part number that exists is skipped. Exit 1 when a row failed.")
    catalog_import(WAREHOUSES, "warehouses CSV with a header: code,name,kind,region",
                   "Load the warehouses (admin); a code that exists is skipped. Exit 1 when a row failed.")

    @app.command("import-stock")
    def import_stock(
        ctx: typer.Context,
        file: common.csv_file("opening stock CSV with a header: part_number,warehouse,qty[,reference]"),
        errors: errors_option = None, lang: lang_option = None,
        reference: Annotated[str, typer.Option("--reference", help="the receipts' reference where a row has none")]
        = DEFAULT_REFERENCE,
        url: url_option = None, key: key_option = None,
    ) -> None:
        """Receive the opening stock, a receipt per row (admin, or a warehouse key at its warehouses). Running
        the same file again receives nothing twice. Exit 1 when a row failed."""
        command(STOCK, ctx, file, errors, url, key, lang, reference.strip() or DEFAULT_REFERENCE)
