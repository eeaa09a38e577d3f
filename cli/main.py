"""aftersales: import units, look up coverage, manage API keys, from a terminal; back up and
restore the databases of `make run` and check the number counters after a restore (on this machine).

Exit status: 0 done, 1 the platform refused or could not be reached (the
problem's detail on stderr), 2 bad usage.
"""

import json
import re
import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from cli import chunks, common, maintenance, organisation, people, stock_import

DEFAULT_URL = "http://127.0.0.1:8000"
CHUNK_ROWS = 5_000
RETRIES = 3
IMPORT_TIMEOUT_SECONDS = 300.0

app = typer.Typer(help="The after-sales platform from the command line.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
keys_app = typer.Typer(help="API keys (admin).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
users_app = typer.Typer(help="People who sign in to the web app.", no_args_is_help=True)
app.add_typer(users_app, name="users")
out = Console()
err = Console(stderr=True)


# What the platform sends is printed as text: never rich markup (`[link=…]`), never a terminal control sequence.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(value: object) -> str:
    """A value from the platform, safe to print: control characters shown as escapes."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), str(value))


class Refused(Exception):
    """The platform said no (a problem) or could not be reached: exit 1."""


class Api:
    def __init__(self, url: str, key: str) -> None:
        self.client = httpx.Client(base_url=url.rstrip("/"), headers={"X-API-Key": key},
                                   timeout=httpx.Timeout(30.0, connect=5.0))

    def send(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), retry: bool = False,
             **kwargs) -> httpx.Response:
        for attempt in range(RETRIES + 1 if retry else 1):
            try:
                response = self.client.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                if attempt < RETRIES and retry:
                    time.sleep(2**attempt)
                    continue
                raise Refused(f"cannot reach {self.client.base_url}: {exc}") from None
            if retry and response.status_code in (429, 503, 504) and attempt < RETRIES:
                time.sleep(min(30.0, float(response.headers.get("Retry-After", 2**attempt))))
                continue
            if response.status_code in ok:
                return response
            raise Refused(problem_text(response))
        raise AssertionError("unreachable")


def problem_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    text = body.get("detail") or body.get("title") or f"HTTP {response.status_code}"
    for problem in body.get("errors") or []:
        if isinstance(problem, dict):
            text += f"\n  {problem.get('field')}: {problem.get('message')}"
    code = body.get("code")
    return f"{text} ({code}, HTTP {response.status_code})" if code else text


def show(title: str | None, columns: list[str], rows: list[list[str]]) -> None:
    """A table on a terminal; tab-separated lines with a header when piped (for scripts)."""
    if not out.is_terminal:
        for line in (columns, *rows):
            print("\t".join(plain(cell).replace("\t", " ") for cell in line))
        return
    table = Table(title=Text(plain(title)) if title is not None else None)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text(plain(cell)) for cell in row))
    out.print(table)


UrlOption = Annotated[str | None, typer.Option("--url", help="The gateway (also before the command)",
                                               show_default=False)]
KEY_HELP = ("Your API key. On the command line it is visible to other users of this machine (the process "
            "list, shell history): set AFTERSALES_API_KEY instead")
KeyOption = Annotated[str | None, typer.Option("--key", help=KEY_HELP + " (also before the command)",
                                               show_default=False)]


def api(ctx: typer.Context, url: str | None = None, key: str | None = None) -> Api:
    url, key = url or ctx.obj[0], key or ctx.obj[1]
    if not key:
        raise typer.BadParameter("give an API key with --key or AFTERSALES_API_KEY", param_hint="--key")
    return Api(url, key)


def run(action) -> None:
    try:
        action()
    except Refused as exc:
        err.print(f"[red]error:[/red] {escape(plain(exc))}", markup=True, highlight=False)
        raise typer.Exit(1) from None


@app.callback()
def main(
    ctx: typer.Context,
    url: Annotated[str, typer.Option("--url", envvar="AFTERSALES_URL", help="The gateway")] = DEFAULT_URL,
    key: Annotated[str | None, typer.Option("--key", envvar="AFTERSALES_API_KEY", help=KEY_HELP,
                                            show_default=False)] = None,
) -> None:
    ctx.obj = (url, key)


@app.command("import")
def import_units(
    ctx: typer.Context,
    file: common.csv_file("units CSV with a header"),
    errors: Annotated[Path | None, typer.Option("--errors", dir_okay=False,
                                                help="write the bad rows and their reasons here")] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, max=100_000, help="rows per request")] = CHUNK_ROWS,
    url: UrlOption = None,
    key: KeyOption = None,
) -> None:
    """Register the units of a CSV file, in chunks, with a progress bar."""
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise typer.BadParameter("the file is not UTF-8 text", param_hint="FILE") from None
    prepared = chunks.prepare(text, chunk_size)
    client = api(ctx, url, key)

    def action() -> None:
        created = skipped = 0
        found: list[chunks.RowError] = list(prepared.local_errors)
        done = len(prepared.local_errors)
        progress = Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=err, transient=False)
        try:
            with progress:
                task = progress.add_task("import", total=prepared.total_rows, completed=done)
                for chunk in prepared.chunks:
                    response = client.send(
                        "POST", "/warranty/units/import", content=chunk.body, retry=True,
                        headers={"Content-Type": "text/csv"}, timeout=IMPORT_TIMEOUT_SECONDS,
                    )
                    result = response.json()
                    created += result["created"]
                    skipped += result["skipped"]
                    found += [chunks.RowError(chunk.rows[e["row"] - 1], e.get("serial_number"), e["code"],
                                              e["message"]) for e in result["errors"]]
                    progress.advance(task, len(chunk.rows))
        except Refused as exc:
            if created or skipped:
                raise Refused(f"{exc}\nstopped part-way: {created} created and {skipped} skipped before it "
                              "(running the import again skips them)") from None
            raise
        finally:
            if errors is not None:
                common.write_csv(errors, chunks.bad_rows_csv(prepared, found))
        out.print(f"created: {created}\nskipped: {skipped}\nerrors: {len(found)}", highlight=False)
        if found and errors is None:
            for error in sorted(found, key=lambda e: e.row)[:20]:
                err.print(plain(f"row {error.row}: {error.code}: {error.message}"), highlight=False, markup=False)
            if len(found) > 20:
                err.print(f"... and {len(found) - 20} more (--errors FILE writes them all)", highlight=False)

    run(action)


def _day(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise typer.BadParameter("a date is YYYY-MM-DD", param_hint="--on") from None


@app.command()
def coverage(
    ctx: typer.Context,
    serial: Annotated[str, typer.Argument(help="the unit's serial number")],
    on: Annotated[str | None, typer.Option("--on", help="the day (YYYY-MM-DD); default today")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the API's answer as it is")] = False,
    url: UrlOption = None,
    key: KeyOption = None,
) -> None:
    """What of a unit is under warranty on a day."""
    day = _day(on)
    client = api(ctx, url, key)

    def action() -> None:
        params = {"on": day} if day else {}
        body = client.send("GET", f"/warranty/units/{quote(serial.strip(), safe='')}/coverage",
                             params=params).json()
        if as_json:
            out.print_json(json.dumps(body, ensure_ascii=False))
            return
        rows = [
            [c["component"], "yes" if c["covered"] else "no", str(c.get("covered_from") or ""),
             str(c.get("covered_through") or ""), "" if c.get("days_left") is None else str(c["days_left"]),
             c.get("reason") or ""]
            for c in body["components"]
        ]
        show(f"{body['serial_number']} on {body['on']}",
             ["component", "covered", "from", "through", "days_left", "reason"], rows)

    run(action)


def _organisation_import(kind: organisation.Kind, file_help: str, summary: str) -> None:
    """The command loading the service desk's sites or technicians (cli/organisation.py)."""

    @app.command(f"import-{kind.name}s", help=summary)
    def command(
        ctx: typer.Context,
        file: common.csv_file(file_help),
        errors: Annotated[Path | None, typer.Option("--errors", dir_okay=False, help="write the bad rows here")]
        = None,
        url: UrlOption = None, key: KeyOption = None,
    ) -> None:
        rows = common.read_rows(file, organisation.read_rows, kind.columns, kind.required)
        client = api(ctx, url, key)

        def action() -> None:
            try:
                done = organisation.send_all(client.client, rows, kind, path=f"/servicedesk/{kind.name}s")
            except RuntimeError as exc:
                raise Refused(str(exc)) from None
            if errors is not None:
                common.write_csv(errors, common.bad_rows_csv(kind.columns, done.errors))
            out.print(f"created: {done.created}\nskipped: {done.skipped}\nerrors: {len(done.errors)}",
                      highlight=False)
            if errors is None:
                for error in done.errors[:20]:
                    err.print(f"row {error.row}: {error.code}: {error.message}", highlight=False, markup=False)

        run(action)


_organisation_import(organisation.SITES, "sites CSV with a header",
                     "Load the service desk's sites (admin); a code that exists is skipped.")
_organisation_import(organisation.TECHNICIANS, "technicians CSV", "Load the service desk's technicians (admin).")


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option("--role", help="admin, station, desk, warehouse, billing or metrics")],
    name: Annotated[str, typer.Option("--name", help="who holds it")],
    warehouse: Annotated[list[str] | None, typer.Option("--warehouse", help="limit a warehouse key (repeat)")]
    = None,
    url: UrlOption = None,
    key: KeyOption = None,
) -> None:
    """Make a key; it is shown this once."""
    client = api(ctx, url, key)

    def action() -> None:
        body = {"role": role, "name": name}
        if warehouse:
            body["warehouses"] = warehouse
        made = client.send("POST", "/admin/api-keys", json=body, ok=(201,)).json()
        out.print(plain(f"id: {made['id']}\nrole: {made['role']}\nname: {made['name']}"), highlight=False,
                  markup=False)
        if made.get("warehouses"):
            out.print(plain(f"warehouses: {', '.join(made['warehouses'])}"), highlight=False, markup=False)
        out.print(plain(f"key: {made['key']}"), highlight=False, markup=False)
        err.print("The key is shown this once: store it now.")

    run(action)


@keys_app.command("list")
def keys_list(ctx: typer.Context, url: UrlOption = None, key: KeyOption = None) -> None:
    """Every key (never the key itself)."""
    client = api(ctx, url, key)

    def action() -> None:
        rows, cursor = [], None
        while True:
            params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = client.send("GET", "/admin/api-keys", params=params).json()
            rows += [[k["id"], k["name"], k["role"], ",".join(k["warehouses"]), k["created_at"],
                      k.get("last_used_at") or "", k.get("revoked_at") or ""] for k in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        show(None, ["id", "name", "role", "warehouses", "created_at", "last_used_at", "revoked_at"], rows)

    run(action)


@keys_app.command("revoke")
def keys_revoke(ctx: typer.Context, key_id: Annotated[str, typer.Argument(metavar="ID")],
                url: UrlOption = None, key: KeyOption = None) -> None:
    """Revoke a key at once."""
    client = api(ctx, url, key)

    def action() -> None:
        client.send("DELETE", f"/admin/api-keys/{quote(key_id, safe='')}", ok=(204,))
        out.print(plain(f"revoked {key_id}"), highlight=False, markup=False)

    run(action)


people.register(users_app)
# import-parts, import-warehouses, import-stock: the inventory at go-live (cli/stock_import.py).
stock_import.register(app, api=api, url_option=UrlOption, key_option=KeyOption)


# Operations on this machine's data (DATA_DIR, or DATABASE_URL), not through the gateway: no key needed.
maintenance.register(app)


if __name__ == "__main__":
    sys.exit(app())
