import os

import pytest

from helpers import backends, new_database

BACKENDS = backends()


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(autouse=True)
def no_frozen_heap(request, monkeypatch):
    """An app's start freezes what exists then (shared/heap.py): right for a process that serves one app
    for its life, a leak in a test process that starts thousands (what is frozen and becomes cyclic
    garbage is never collected). The tests of it (marked `frozen_heap`) keep the real one."""
    if request.node.get_closest_marker("frozen_heap") is None:
        from shared import heap

        monkeypatch.setattr(heap, "settle", lambda: None)


@pytest.fixture(scope="session")
def pg_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from shared.settings import normalise_url

        yield normalise_url(url)
        return
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:15", driver="psycopg") as container:
        yield container.get_connection_url()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def database_factory(backend, tmp_path_factory, request):
    """Migrated databases per service for one backend, made on first use."""
    made = {}
    tmp_dir = tmp_path_factory.mktemp(f"db-{backend}")

    def get(service: str):
        if service not in made:
            url = request.getfixturevalue("pg_url") if backend == "postgres" else None
            made[service] = new_database(service, backend, tmp_dir, url)
        database = made[service]
        database.reset()
        return database

    yield get
    for database in made.values():
        database.drop()
