"""People from the command line: the first admin of a fresh installation, made in the gateway's
database directly (no admin exists yet to ask the gateway)."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True)


class Refused(Exception):
    """The person could not be made; the message says why."""


def register(users_app: typer.Typer) -> None:
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
                where = ".".join(str(p) for p in problem["loc"])
                err.print(f"{where}: {problem['msg']}", highlight=False, markup=False)
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
