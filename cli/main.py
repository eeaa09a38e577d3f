"""aftersales: import units, look up coverage, manage API keys, from a terminal.

Exit status: 0 done, 1 the platform refused or could not be reached (the
problem's detail on stderr), 2 bad usage.
"""

import csv
import json
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli import chunks

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
            print("\t".join(line))
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    out.print(table)


UrlOption = Annotated[str | None, typer.Option("--url", help="The gateway (also before the command)",
                                               show_default=False)]
KeyOption = Annotated[str | None, typer.Option("--key", help="Your API key (also before the command)",
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
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None


@app.callback()
def main(
    ctx: typer.Context,
    url: Annotated[str, typer.Option("--url", envvar="AFTERSALES_URL", help="The gateway")] = DEFAULT_URL,
    key: Annotated[str | None, typer.Option("--key", envvar="AFTERSALES_API_KEY", help="Your API key",
                                            show_default=False)] = None,
) -> None:
    ctx.obj = (url, key)


@app.command("import")
def import_units(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="units CSV with a header")],
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
                with errors.open("w", newline="", encoding="utf-8") as bad:
                    csv.writer(bad).writerows(chunks.bad_rows_csv(prepared, found))
        out.print(f"created: {created}\nskipped: {skipped}\nerrors: {len(found)}", highlight=False)
        if found and errors is None:
            for error in sorted(found, key=lambda e: e.row)[:20]:
                err.print(f"row {error.row}: {error.code}: {error.message}", highlight=False, markup=False)
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
        out.print(f"id: {made['id']}\nrole: {made['role']}\nname: {made['name']}", highlight=False, markup=False)
        if made.get("warehouses"):
            out.print(f"warehouses: {', '.join(made['warehouses'])}", highlight=False)
        out.print(f"key: {made['key']}", highlight=False, markup=False)
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
        out.print(f"revoked {key_id}", highlight=False)

    run(action)


@users_app.command("create-admin")
def users_create_admin(
    login: Annotated[str, typer.Option("--login", help="the login name (letters, digits, . _ @ -)")],
    name: Annotated[str, typer.Option("--name", help="the display name, e.g. 张伟")],
    phone: Annotated[str, typer.Option("--phone", help="a mobile phone number")] = "",
) -> None:
    """Make an administrator directly in the gateway's database (DATA_DIR or DATABASE_URL), e.g. the
    first one on a fresh installation; prints a one-time password to change at the first sign-in."""
    from pydantic import ValidationError

    from gateway.schemas import UserCreate

    try:
        person = UserCreate(login=login, display_name=name, phone=phone or None, role="admin")
    except ValidationError as exc:
        for problem in exc.errors():
            err.print(f"{'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    try:
        one_time = create_admin(person)
    except Refused as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None
    out.print(f"login: {person.login.strip().lower()}\none-time password: {one_time}", highlight=False,
              markup=False)
    err.print("Give it to the person once: they choose their own password at the first sign-in.")


def create_admin(person) -> str:
    """The person in the gateway's database, migrated first; their one-time password."""
    import os

    from gateway import passwords, users
    from shared import context, migrations
    from shared.db import Database
    from shared.settings import database_url_for

    url, schema = database_url_for("gateway", Path(os.environ.get("DATA_DIR", "./data")))
    try:
        migrations.upgrade("gateway", url, schema)
    except Exception as exc:
        raise Refused(f"cannot reach the gateway's database: {type(exc).__name__}") from None
    one_time = passwords.one_time()
    password_hash = passwords.hash_password(one_time)
    who = context.Caller(role="admin", key_id="command-line", kind="system", name="aftersales users create-admin")
    db = Database.connect(url, schema=schema)
    try:
        with db.transaction() as session:
            users.create(session, login=person.login, display_name=person.display_name.strip(),
                         phone=(person.phone or "").strip(), role="admin", station="", warehouses=None,
                         password_hash=password_hash, caller=who, now=datetime.now(UTC))
    except users.LoginExists as exc:
        raise Refused(exc.detail) from None
    finally:
        db.dispose()
    return one_time


if __name__ == "__main__":
    sys.exit(app())
