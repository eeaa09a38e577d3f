"""The unit import under abuse: text no database stores, JSON nested thousands deep, far too many
near-empty rows, a body cut short, and the import's larger body bound for its own route alone."""

import json
import tracemalloc

import pytest

from services.warranty import errors, importer
from services.warranty.main import create_app
from shared import settings as settings_module

from helpers import TOKEN, asgi_client, assert_problem, internal_headers
from warranty_support import unit_body

pytestmark = pytest.mark.anyio
CSV = "text/csv"
HEADER = "serial_number,model_code,product_name,site_name,accepted_on,certificate_number\n"


async def test_a_csv_row_holding_a_nul_is_reported_and_the_others_kept(warranty):
    csv = HEADER + "NUL-000001,KFR-72LW,Cabinet AC,Site A,2024-03-01,WC-1\n" \
                   "NUL-000002,KFR-72LW,Cabinet\x00AC,Site A,2024-03-01,WC-2\n"
    response = await warranty.post("/units/import", content=csv.encode(), headers={"Content-Type": CSV})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 1
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(2, "invalid_row")]
    assert (await warranty.get("/units/NUL-000002")).status_code == 404


@pytest.mark.parametrize("bad", ["\x00", "\ud800"])
async def test_a_json_row_with_unstorable_text_refuses_the_file_before_anything_is_kept(warranty, bad):
    rows = [unit_body(serial="JS-000001"), unit_body(serial="JS-000002", product_name="Cabinet" + bad)]
    response = await warranty.post("/units/import", content=json.dumps(rows),
                                   headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 422, "validation_error")
    assert [e["field"] for e in problem["errors"]] == ["1.product_name"]
    assert (await warranty.get("/units/JS-000001")).status_code == 404


async def test_a_lone_surrogate_in_a_serial_is_never_echoed():
    assert importer._problem(1, "AB\ud800", "invalid_row", "x")["serial_number"] is None


async def test_json_nested_thousands_deep_is_an_invalid_file(warranty):
    deep = "[" * 5000 + "]" * 5000
    response = await warranty.post("/units/import", content=deep, headers={"Content-Type": "application/json"})
    assert_problem(response, 422, "invalid_import")


async def test_a_row_nested_deep_is_an_invalid_row(warranty):
    nested: object = "x"
    for _ in range(100):
        nested = {"a": nested}
    rows = [unit_body(serial="DEEP-000001"), unit_body(serial="DEEP-000002", site=nested)]
    body = (await warranty.post("/units/import", json=rows)).json()
    assert body["created"] == 1
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(2, "invalid_row")]


def test_too_many_near_empty_rows_are_refused_before_they_are_built():
    raw = (HEADER + "a\n" * 300_000).encode()  # 0.6 MB: 300 000 rows, past MAX_ROWS
    tracemalloc.start()
    try:
        with pytest.raises(errors.InvalidImport):
            importer.parse_csv(raw)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, peak  # it was ~140 MB of row dicts before the count


def test_a_json_list_past_the_row_bound_is_refused_at_parsing():
    with pytest.raises(errors.InvalidImport):
        importer.parse_json(b"[" + b"0," * importer.MAX_ROWS + b"0]")


@pytest.fixture
async def small_bodies(database_factory):
    """The warranty service with a 1 KiB body limit: the import's own bound is larger."""
    db = database_factory("warranty")
    settings = settings_module.load("warranty", database_url=db.url, database_schema=db.schema,
                                    internal_token=TOKEN, max_body_bytes=1024)
    app = create_app(settings)
    async with asgi_client(app, headers=internal_headers()) as client:
        client.app = app
        yield client


async def test_the_import_bound_is_for_post_units_import_exactly(small_bodies):
    csv = HEADER + "".join(f"BIG-{i:06d},KFR-72LW,Cabinet AC,Site A,2024-03-01,WC-{i}\n" for i in range(40))
    assert len(csv) > 1024
    response = await small_bodies.post("/units/import", content=csv, headers={"Content-Type": CSV})
    assert response.json()["created"] == 40
    for method, path in (("POST", "/units/import/"), ("POST", "/units/importer"), ("PUT", "/units/import")):
        response = await small_bodies.request(method, path, content=csv, headers={"Content-Type": CSV})
        assert_problem(response, 413, "payload_too_large")


async def test_a_body_cut_short_is_refused_and_nothing_is_imported(small_bodies):
    """A body shorter than its Content-Length (the client left): 400, and not a unit registered."""
    csv = (HEADER + "CUT-000001,KFR-72LW,Cabinet AC,Site A,2024-03-01,WC-1001\n"
                    "CUT-000002,KFR-72LW,Cabinet AC,Site A,2024-03-01,WC-1002\n").encode()
    for content_type in (CSV, "application/json"):
        messages = [{"type": "http.request", "body": csv[:-3], "more_body": True}, {"type": "http.disconnect"}]
        sent = []

        async def receive(messages=messages):
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message, sent=sent):
            sent.append(message)

        headers = [(k.encode(), v.encode()) for k, v in internal_headers().items()]
        headers += [(b"content-type", content_type.encode()), (b"content-length", str(len(csv)).encode())]
        scope = {"type": "http", "method": "POST", "path": "/units/import", "raw_path": b"/units/import",
                 "query_string": b"", "headers": headers, "http_version": "1.1", "scheme": "http",
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "root_path": ""}
        await small_bodies.app(scope, receive, send)
        assert sent[0]["status"] == 400, sent
        assert json.loads(sent[1]["body"])["code"] == "incomplete_body"
    for serial in ("CUT-000001", "CUT-000002"):
        assert (await small_bodies.get(f"/units/{serial}")).status_code == 404
