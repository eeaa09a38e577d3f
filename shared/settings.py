"""Settings read from the environment, built by a function the app factory calls."""

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Local development only; `make run` replaces it with a random token per run.
DEV_INTERNAL_TOKEN = "dev-internal-token-change-me"
DEFAULT_PORTS = {"gateway": 8000, "warranty": 8001, "inventory": 8002, "billing": 8003, "servicedesk": 8004}
SERVICES = ("warranty", "inventory", "billing", "servicedesk")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service: str = "service"
    data_dir: Path = Path("./data")
    database_url: str = ""
    database_schema: str | None = None
    internal_token: str = DEV_INTERNAL_TOKEN
    log_level: str = "INFO"
    upstream_timeout_seconds: float = 10.0
    service_urls: dict[str, str] = Field(default_factory=dict)
    reservation_ttl_seconds: int = 259_200
    max_body_bytes: int = 10 * 1024 * 1024
    # How long a claimed Idempotency-Key whose process died blocks a retry, at least; a request
    # holds its claim until its deadline if that is later (shared/idempotency.py).
    idempotency_lease_seconds: float = 10.0
    # The service desk's station webhooks may point at private or plain-http addresses (development).
    webhook_allow_private: bool = False


def service_url(name: str) -> str:
    explicit = os.environ.get(f"{name.upper()}_URL")
    if explicit:
        return explicit.rstrip("/")
    port = os.environ.get(f"{name.upper()}_PORT", str(DEFAULT_PORTS[name]))
    return f"http://127.0.0.1:{port}"


def database_url_for(name: str, data_dir: Path) -> tuple[str, str | None]:
    """The URL and PostgreSQL schema of one service's own database.

    `<NAME>_DATABASE_URL` wins, then `DATABASE_URL` (each service in a schema of
    its own name), else one SQLite file per service under DATA_DIR.
    """
    url = os.environ.get(f"{name.upper()}_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        schema = os.environ.get(f"{name.upper()}_DATABASE_SCHEMA", name)
        return normalise_url(url), schema
    return f"sqlite:///{(data_dir / f'{name}.sqlite3').resolve()}", None


def normalise_url(url: str) -> str:
    # Plain postgres:// URLs mean the psycopg 3 driver, the one we ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def development() -> bool:
    """Local development, said explicitly (`make run`, the tests): AFTERSALES_ENV=development."""
    return os.environ.get("AFTERSALES_ENV", "").strip().lower() == "development"


class InsecureSecrets(RuntimeError):
    """Outside development a process refuses to start with a secret anyone can read in the source."""


def require_secrets(internal_token: str, **more: tuple[str, str]) -> None:
    """Refuses (outside development) the development internal token, and any other secret given
    as name=(value, its development value) that is empty or that development value."""
    if development():
        return
    bad = [] if internal_token and internal_token != DEV_INTERNAL_TOKEN else ["INTERNAL_TOKEN"]
    bad += [name for name, (value, dev_value) in more.items() if not value or value == dev_value]
    if bad:
        raise InsecureSecrets(f"refusing to start: set {' and '.join(bad)} (or AFTERSALES_ENV=development "
                              "for local development, where the documented development values are used)")


def load(name: str, **overrides) -> Settings:
    """Settings of service `name` from the environment; keyword overrides win (tests)."""
    base = Settings()
    data_dir = Path(overrides.get("data_dir", base.data_dir))
    url, schema = database_url_for(name, data_dir)
    values = {
        "service": name,
        "data_dir": data_dir,
        "database_url": url,
        "database_schema": schema,
        "service_urls": {other: service_url(other) for other in SERVICES if other != name},
    }
    values.update(overrides)
    settings = base.model_copy(update=values)
    require_secrets(settings.internal_token)
    return settings
