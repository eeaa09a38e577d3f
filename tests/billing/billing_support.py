"""Data and helpers of the billing tests (a unique module name: tests have no packages)."""

import os

import httpx

# The billing app's PostgreSQL connections carry this name: test runs in parallel share one server.
APPLICATION_NAME = f"billing-test-{os.getpid()}"

SERIAL = "AC-100001"
OTHER_SERIAL = "AC-100002"
CERTIFICATE = {"number": "CERT-1", "product_name": "Split air conditioner", "model_code": "KFR-72LW",
               "serial_number": SERIAL}
COMPRESSOR = ("CMP-100", "Compressor", 1, "1200.00", "1000.00")
FILTER = ("FLT-2", "Filter", 3, "15.50", "12.00")


def repair_body(**overrides) -> dict:
    body = {
        "serial_number": SERIAL,
        "repair_reference": "REP-2026-0001",
        "performed_on": "2026-03-01",
        "component": "cooling_system",
        "causes": ["improper_use"],
        "certificate": CERTIFICATE,
        "reservation_ids": [],
        "labor_hours": "2.5",
        "visits": 1,
    }
    body.update(overrides)
    return body


async def post_repair(client: httpx.AsyncClient, body: dict, key: str | None = "repair-1") -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return await client.post("/repairs", json=body, headers=headers)
