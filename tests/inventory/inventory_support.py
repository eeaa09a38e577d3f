"""Request bodies and small steps the inventory tests share."""

from datetime import UTC, datetime

from services.inventory import catalog, stock, warehouses
from services.inventory.schemas import PartCreate, ReceiptCreate, WarehouseCreate
from shared import context, identity
from shared.context import SYSTEM

from helpers import TOKEN, internal_headers

SEEDED_AT = datetime(2026, 3, 1, tzinfo=UTC)
# The inventory tests' clock (conftest.py). Here, not in conftest: every test folder has a conftest module, and
# `from conftest import` would read whichever was loaded last.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def part_body(part_number="P-100", name=None, list_price="100.00", oow="80.00", **extra) -> dict:
    body = {"part_number": part_number, "name": name or f"Part {part_number}", "uom": "pcs",
            "list_price": list_price, "out_of_warranty_price": oow}
    body.update(extra)
    return body


def warehouse_body(code="SC-01", kind="service_center", region="shandong", **extra) -> dict:
    body = {"code": code, "name": f"Warehouse {code}", "kind": kind, "region": region}
    body.update(extra)
    return body


def seed(session, parts=("P-100", "P-200"), places=("CENTRAL", "SC-01"), stock_levels=None) -> None:
    """Parts, warehouses and received stock, written by the use cases in one transaction
    (much faster than one request each, for tests about something else)."""
    for part in parts:
        body = part if isinstance(part, dict) else part_body(part)
        catalog.create_part(session, PartCreate.model_validate(body), now=SEEDED_AT)
    for code in places:
        kind = "central" if code == "CENTRAL" else "service_center"
        warehouse_in = WarehouseCreate.model_validate(warehouse_body(code, kind=kind))
        warehouses.create(session, warehouse_in, now=SEEDED_AT)
    for (code, part), qty in (stock_levels or {}).items():
        receipt = ReceiptCreate(warehouse=code, part_number=part, qty=qty, reference="seed")
        stock.receive(session, caller=SYSTEM, receipt=receipt, now=SEEDED_AT)


async def make_catalog(app, parts=("P-100", "P-200"), warehouses=("CENTRAL", "SC-01"), stock_levels=None):
    with app.state.db.transaction() as session:
        seed(session, parts, warehouses, stock_levels)


async def receive(client, warehouse, part, qty, reference="PO-1") -> dict:
    response = await client.post(
        "/receipts", json={"warehouse": warehouse, "part_number": part, "qty": qty, "reference": reference}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def stock_of(client, warehouse, part) -> dict:
    response = await client.get("/stock", params={"warehouse": warehouse, "part_number": part})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return items[0] if items else {"on_hand": 0, "reserved": 0, "available": 0}


async def reserve(client, lines, warehouse="SC-01", reference="RO-1", headers=None, **extra):
    body = {"warehouse": warehouse, "reference": reference,
            "lines": [{"part_number": p, "qty": q} for p, q in lines], **extra}
    return await client.post("/reservations", json=body, headers=headers)


def warehouse_key(*codes: str) -> dict:
    return internal_headers(role="warehouse", warehouses=",".join(codes), key_id="wh-key")


def person(*codes: str, name: str = "张仓管", user_id: str = "user:7", role: str = "warehouse") -> dict:
    """The signed headers of a person signed in to the web app (not a key), with their warehouses."""
    caller = context.Caller(role=role, key_id=user_id, kind="user", name=name,
                            warehouses=frozenset(codes))
    return {k.decode(): v.decode() for k, v in identity.headers(TOKEN, caller, request_id="req-person")}
