"""Reading docker-compose.yml as Compose does: `${VAR}` interpolation from an env file."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
# The processes of the platform, their port and their app (README, scripts/run.py, issue 11).
PROCESSES = {
    "gateway": (8000, "gateway.main:create_app"),
    "warranty": (8001, "services.warranty.main:create_app"),
    "inventory": (8002, "services.inventory.main:create_app"),
    "billing": (8003, "services.billing.main:create_app"),
    "servicedesk": (8004, "services.servicedesk.main:create_app"),
}
SERVICES = tuple(name for name in PROCESSES if name != "gateway")

_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
                       r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


class MissingVariable(Exception):
    pass


def variables(text: str) -> list[tuple[str, str | None, str | None]]:
    """Every `${NAME[op arg]}` in the text: (name, op, arg)."""
    return [(m["name"] or m["bare"], m["op"], m["arg"]) for m in _VARIABLE.finditer(text) if not m["escaped"]]


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation: ${V}, ${V:-default}, ${V-default}, ${V:?error}, ${V?error}, $$."""

    def one(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name = match["name"] or match["bare"]
        op, arg = match["op"], match["arg"]
        value = env.get(name)
        if op in (":-", ":?") and value == "":
            value = None
        if value is not None:
            return value
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            raise MissingVariable(f"{name}: {arg}")
        return ""

    return _VARIABLE.sub(one, text)


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep, f"not NAME=value: {line!r}"
        env[name.strip()] = value.strip()
    return env


def connections_per_process() -> int:
    """The most connections one process's database pool may open, read from shared/db.py."""
    from shared.db import create_db_engine

    engine = create_db_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", schema="x")
    sync = getattr(engine, "sync_engine", engine)  # an asyncio engine keeps its pool on its sync engine
    try:
        return sync.pool.size() + max(0, getattr(sync.pool, "_max_overflow", 0))
    finally:
        sync.dispose()
