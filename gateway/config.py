"""Gateway settings, read from the environment by `load`."""

import os
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import DEV_INTERNAL_TOKEN, SERVICES, database_url_for, require_secrets, service_url

# Local development only (README): set ADMIN_API_KEY anywhere else.
DEV_ADMIN_API_KEY = "dev-admin-key"


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    data_dir: Path = Path("./data")
    database_url: str = ""
    database_schema: str | None = None
    admin_api_key: str = DEV_ADMIN_API_KEY
    internal_token: str = DEV_INTERNAL_TOKEN
    log_level: str = "INFO"
    gateway_timeout_seconds: float = 10.0
    gateway_import_timeout_seconds: float = 300.0
    gateway_upstream_connections: int = 64
    max_body_bytes: int = 10 * 1024 * 1024
    import_max_body_bytes: int = 100 * 1024 * 1024
    rate_limit_per_second: float = 100.0
    rate_limit_burst: int = 200
    service_urls: dict[str, str] = {}
    # A page's form body (the web app reads no more: pages.MAX_FORM_BYTES).
    web_form_max_bytes: int = 256 * 1024
    # Addresses (or networks, comma-separated) whose X-Forwarded-Proto/-For the gateway believes.
    trusted_proxies: str = "127.0.0.1,::1"
    # Strict-Transport-Security on answers over https; 0 sends none.
    hsts_seconds: int = 31_536_000
    # The web app signs a browser out after this long without a page request (long enough for a
    # technician's phone between two visits) ...
    web_session_idle_seconds: int = 12 * 3600
    # ... and after this long whatever the use.
    web_session_max_seconds: int = 7 * 24 * 3600


def load(**overrides) -> GatewaySettings:
    base = GatewaySettings()
    data_dir = Path(overrides.get("data_dir", base.data_dir))
    url, schema = database_url_for("gateway", data_dir)
    values = {
        "data_dir": data_dir,
        "database_url": url,
        "database_schema": schema,
        "service_urls": {name: service_url(name) for name in SERVICES},
    }
    values.update(overrides)
    if not os.environ.get("ADMIN_API_KEY") and "admin_api_key" not in overrides:
        values["admin_api_key"] = ""  # refused below outside development
    settings = base.model_copy(update=values)
    require_secrets(settings.internal_token, ADMIN_API_KEY=(settings.admin_api_key, DEV_ADMIN_API_KEY))
    if not settings.admin_api_key:  # development: the documented value (README)
        settings = settings.model_copy(update={"admin_api_key": DEV_ADMIN_API_KEY})
    return settings
