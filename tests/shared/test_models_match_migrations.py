"""The tables the migrations make are the tables the models declare (alembic's own comparison).

A model's column type, width, nullability, index or constraint that no migration made (or a migration
the models no longer describe) would pass every other test and fail on the first database made from
the migrations alone; this compares the two on each backend, service by service."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

SERVICES = {
    "warranty": "services.warranty.models",
    "inventory": "services.inventory.models",
    "billing": "services.billing.models",
    "servicedesk": "services.servicedesk.visit_models",  # the visits' tables share the desk's Base
    "gateway": "gateway.models",
}


def _differences(engine, metadata) -> list:
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            # On PostgreSQL the test database is a schema on the connection's search_path: the default one.
            "compare_type": True, "compare_server_default": False,
        })
        return [diff for diff in compare_metadata(context, metadata) if not (sqlite and _sqlite_only(diff))]


# Indexes whose SQLite form is on purpose another than the model's, which declares PostgreSQL's:
# SQLite has no INCLUDE, so its migration puts the included columns in the key (0006_figures_fast).
SQLITE_FORMS = {"ix_ticket_figures"}


def _sqlite_only(diff) -> bool:
    return diff[0] in ("add_index", "remove_index") and diff[1].name in SQLITE_FORMS


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_migrated_schema_is_the_models_schema(database_factory, service):
    models = importlib.import_module(SERVICES[service])
    database = database_factory(service)
    assert _differences(database.engine, models.Base.metadata) == []
