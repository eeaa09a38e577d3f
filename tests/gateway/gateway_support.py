"""Helpers the gateway tests share."""

ADMIN = "test-admin-key"


async def make_key(client, role: str, warehouses=None) -> dict:
    body = {"role": role, "name": f"{role} key"}
    if warehouses is not None:
        body["warehouses"] = warehouses
    response = await client.post("/admin/api-keys", json=body, headers={"X-API-Key": ADMIN})
    assert response.status_code == 201, response.text
    return response.json()
