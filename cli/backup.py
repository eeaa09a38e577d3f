"""Backups of the embedded default (`make run`: one SQLite file per process under DATA_DIR).

`backup` copies each file with SQLite's online backup API (`sqlite3.Connection.backup`): one read
transaction per file, so each copy is consistent and holds every committed write, those still in
the WAL included (a plain `cp` of a file in WAL mode may hold none of them), while the platform
runs and writes. The copies are made self-contained (journal mode DELETE, no -wal file), checked
(`PRAGMA integrity_check`) and listed with their SHA-256 in `backup.json`.

`restore` refuses while the platform runs (its files open), checks every file of the backup before
touching anything, moves the current files aside (DATA_DIR/before-restore-<time>/), puts the copies
in place, and then checks the counters of invoice and ticket numbers (cli/sequences.py).

PostgreSQL is backed up with pg_dump (docs/deploy.md); these commands refuse when DATABASE_URL is set.
"""

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from shared import processes
from shared.settings import SERVICES

PROCESSES = ("gateway", *SERVICES)
MANIFEST = "backup.json"
RUN_PID_FILE = "run.pid"  # scripts/run.py keeps `make run`'s process id there while it runs


class Refused(Exception):
    """Nothing was changed; the message says why."""


def data_dir(environ: dict[str, str] | None = None) -> Path:
    """DATA_DIR as `make run` reads it (scripts/run.py)."""
    return Path((environ or os.environ).get("DATA_DIR") or "./data").resolve()


def postgresql_configured(environ: dict[str, str] | None = None) -> bool:
    environ = environ or os.environ
    return any(environ.get(name) for name in ("DATABASE_URL", *(f"{p.upper()}_DATABASE_URL" for p in PROCESSES)))


def database_files(directory: Path) -> dict[str, Path]:
    return {name: directory / f"{name}.sqlite3" for name in PROCESSES if (directory / f"{name}.sqlite3").exists()}


def backup(source: Path, target: Path) -> dict:
    """Every process's database under `source` into the new directory `target`; returns the manifest."""
    files = database_files(source)
    if not files:
        raise Refused(f"no database under {source} (DATA_DIR): nothing to back up")
    if target.exists() and any(target.iterdir()):
        raise Refused(f"{target} is not empty: give a new directory for each backup")
    target.mkdir(parents=True, exist_ok=True)
    taken = []
    for name, path in files.items():
        partial = target / f".{name}.sqlite3.part"
        copy_database(path, partial)
        problem = integrity(partial)
        if problem:
            partial.unlink()
            raise Refused(f"the copy of {name} is damaged ({problem}); is {path} itself sound?")
        final = target / path.name
        partial.rename(final)
        taken.append({"process": name, "file": final.name, "bytes": final.stat().st_size, "sha256": sha256(final),
                      "schema_version": schema_version(final)})
    manifest = {"format": 1, "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "data_dir": str(source), "files": taken}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def copy_database(source: Path, target: Path) -> None:
    """A consistent, self-contained copy of a live database (SQLite's online backup)."""
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # all pages in one step: one read transaction, one moment
            dst.execute("PRAGMA journal_mode=DELETE")  # a single file, no -wal beside it
        finally:
            dst.close()
    finally:
        src.close()


def integrity(path: Path) -> str | None:
    """None when SQLite finds the file sound, else what it found."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if rows == ["ok"] else "; ".join(rows[:3])


def schema_version(path: Path) -> str | None:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except sqlite3.DatabaseError:
        return None
    finally:
        connection.close()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def in_use(directory: Path) -> str | None:
    """Who has the databases under `directory` open (the platform running), or None."""
    pid_file = directory / RUN_PID_FILE
    if pid_file.exists():
        with contextlib.suppress(ValueError, OSError):
            pid = int(pid_file.read_text().strip())
            if pid != os.getpid() and processes.alive(pid):
                return f"`make run` (process {pid})"
    names = {str(path) + suffix for path in database_files(directory).values() for suffix in ("", "-wal", "-shm")}
    for proc in Path("/proc").glob("[0-9]*"):
        if proc.name == str(os.getpid()):
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in names:
                    command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                    return f"process {proc.name} ({command[:120]})"
        except OSError:
            continue  # gone meanwhile, or not ours to look at
    return None


def read_manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise Refused(f"{source} holds no backup made by `aftersales backup` ({MANIFEST}: {exc})") from None
    return manifest


def verify(source: Path, manifest: dict) -> None:
    """Every file of the backup is there, unchanged and sound, before anything is touched."""
    for entry in manifest.get("files", []):
        path = source / entry["file"]
        if entry.get("process") not in PROCESSES or path.name != f"{entry['process']}.sqlite3":
            raise Refused(f"{MANIFEST} names an unexpected file: {entry.get('file')}")
        if not path.exists():
            raise Refused(f"{path} is missing from the backup")
        if sha256(path) != entry["sha256"]:
            raise Refused(f"{path} changed since the backup was taken (SHA-256 differs)")
        problem = integrity(path)
        if problem:
            raise Refused(f"{path} is damaged: {problem}")


def restore(source: Path, target: Path) -> dict:
    """Put the backup in `source` in place under `target` (DATA_DIR); returns what was done."""
    manifest = read_manifest(source)
    verify(source, manifest)
    user = in_use(target)
    if user is not None:
        raise Refused(f"the platform is running: {user} has the databases under {target} open; stop it "
                      "first (Ctrl-C on `make run`), then restore")
    target.mkdir(parents=True, exist_ok=True)
    aside = None
    restored = {entry["process"] for entry in manifest["files"]}
    current = {name: path for name, path in database_files(target).items() if name in restored}
    if current:
        aside = target / f"before-restore-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
        aside.mkdir()
        for path in current.values():
            for suffix in ("", "-wal", "-shm"):
                companion = Path(str(path) + suffix)
                if companion.exists():
                    shutil.move(companion, aside / companion.name)
    for entry in manifest["files"]:
        final = target / entry["file"]
        partial = target / f".{entry['file']}.part"
        copy_database(source / entry["file"], partial)
        for suffix in ("-wal", "-shm"):  # never a stale WAL beside the restored file
            Path(str(final) + suffix).unlink(missing_ok=True)
        partial.rename(final)
        problem = integrity(final)
        if problem:
            raise Refused(f"{final} is damaged after the copy: {problem}; the files before are in {aside}")
    kept = sorted(set(database_files(target)) - restored)
    return {"taken_at": manifest.get("taken_at"), "files": [e["file"] for e in manifest["files"]],
            "moved_aside": str(aside) if aside else None, "not_in_backup": kept}
