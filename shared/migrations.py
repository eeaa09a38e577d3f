"""Alembic glue: each service's env.py is a few lines calling `run`, and
`upgrade` applies a service's migrations from code (make run, tests)."""

from pathlib import Path

from alembic.config import Config
from sqlalchemy import MetaData, text

from alembic import command, context
from shared.db import create_db_engine, is_sqlite
from shared.settings import Settings, database_url_for

ROOT = Path(__file__).resolve().parent.parent


def config(service: str, url: str | None = None, schema: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"), ini_section=service)
    cfg.set_main_option("script_location", str(ROOT / "alembic" / service))
    if url is not None:
        cfg.attributes["url"] = url
        cfg.attributes["schema"] = schema
    return cfg


def upgrade(service: str, url: str, schema: str | None = None, revision: str = "head") -> None:
    command.upgrade(config(service, url, schema), revision)


def run(service: str, target_metadata: MetaData) -> None:
    """Body of alembic/<service>/env.py (online mode only: we migrate live databases)."""
    cfg = context.config
    url = cfg.attributes.get("url")
    schema = cfg.attributes.get("schema")
    if url is None:
        url, schema = database_url_for(service, Settings().data_dir)
    if is_sqlite(url):
        schema = None
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(url, schema=schema)
    try:
        with engine.connect() as connection:
            if schema:
                connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                version_table_schema=schema,
                render_as_batch=is_sqlite(url),
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
