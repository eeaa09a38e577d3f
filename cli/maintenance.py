"""Keeping the SQLite default safe: online backups, restores, and number counters after a restore."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli import backup as backups
from cli import sequences

out = Console()
err = Console(stderr=True)

DirArgument = Annotated[Path, typer.Argument(metavar="DIR", help="The backup's directory")]


def refused(message: str) -> None:
    err.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    @app.command("backup")
    def backup_command(directory: DirArgument) -> None:
        """Back up the SQLite databases of `make run` (DATA_DIR) into DIR, consistent while it runs."""
        if backups.postgresql_configured():
            refused("DATABASE_URL is set: back PostgreSQL up with pg_dump (docs/deploy.md, \"Backups and restore\")")
        try:
            manifest = backups.backup(backups.data_dir(), directory.resolve())
        except backups.Refused as exc:
            refused(str(exc))
        for entry in manifest["files"]:
            out.print(f"{entry['file']}\t{entry['bytes']} bytes\tintegrity ok", highlight=False)
        out.print(f"backed up {len(manifest['files'])} databases into {directory} at {manifest['taken_at']}",
                  highlight=False)


    @app.command("restore")
    def restore_command(
        directory: DirArgument,
        past: Annotated[list[str] | None, typer.Option("--past", help="A number given out after the backup "
                                                       "(INV-2026-000123, SR-2026-000045); repeatable")] = None,
    ) -> None:
        """Put a backup made by `aftersales backup` back under DATA_DIR (stop `make run` first)."""
        if backups.postgresql_configured():
            refused("DATABASE_URL is set: restore PostgreSQL with pg_restore (docs/deploy.md, \"Backups and restore\")")
        try:
            known = sequences.known_numbers(past or [])
            done = backups.restore(directory.resolve(), backups.data_dir())
        except (backups.Refused, sequences.BadNumber) as exc:
            refused(str(exc))
        out.print(f"restored {', '.join(done['files'])} (taken {done['taken_at']})", highlight=False)
        if done["moved_aside"]:
            out.print(f"the files before are in {done['moved_aside']}", highlight=False)
        if done["not_in_backup"]:
            out.print(f"not in the backup, left as they were: {', '.join(done['not_in_backup'])}", highlight=False)
        report(sequences.check(backups.data_dir(), known=known), fixed=True)


    @app.command("check-sequences")
    def check_sequences_command(
        past: Annotated[list[str] | None, typer.Option(
            "--past", help="A number given out that the databases may not hold (INV-2026-000123, SR-2026-000045); "
            "repeatable")] = None,
        log: Annotated[list[Path] | None, typer.Option("--log", help="Billing's log: every bill_issued number "
                                                       "counts as given out; repeatable")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; exit 1 if anything is behind")] = False,
    ) -> None:
        """After a restore: move the number counters (and PostgreSQL's sequences) past every number given out."""
        try:
            known = sequences.known_numbers(past or [], log or [])
        except (sequences.BadNumber, OSError) as exc:
            refused(str(exc))
        findings = sequences.check(backups.data_dir(), known=known, fix=not dry_run)
        report(findings, fixed=not dry_run)
        if any(f.status == "behind" for f in findings):
            raise typer.Exit(1)


def report(findings: list, *, fixed: bool) -> None:
    rows = [[f.what, str(f.last_given), str(f.highest_known), f.status] for f in findings]
    from cli.main import show  # the one table style of the CLI (imported late: main imports this module)

    show("Counters and sequences", ["what", "last given", "highest known", "status"], rows)
    moved = [f for f in findings if f.status == "advanced"]
    if moved:
        out.print(f"moved {len(moved)} forward: no number already given out will be given again", highlight=False)
    if fixed:
        out.print("numbers given out after the backup was taken are not in it: give the last ones with --past "
                  "(the last invoice printed) or --log (billing's log since the backup)", highlight=False)
