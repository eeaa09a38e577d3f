"""Lists searched by part of a code or a name (`q`, shared/search.py): any case, `%` and `_` as plain
characters, every page of the list (not only the first), with the list's other filters and its cursor."""

import pytest

from inventory_support import part_body, warehouse_body

pytestmark = pytest.mark.anyio


async def codes(inventory, path: str, key: str, **params) -> list[str]:
    answer = await inventory.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return [row[key] for row in answer.json()["items"]]


async def test_parts_by_part_of_their_number_or_name(inventory):
    for number, name in (("CMP-72", "压缩机 7.2 kW"), ("FAN-OUT-72", "室外风机电机"), ("CAP-50", "电容 50%_uF"),
                         ("CMP-35", "压缩机 3.5 kW")):
        assert (await inventory.post("/parts", json=part_body(number, name=name))).status_code == 201
    assert await codes(inventory, "/parts", "part_number", q="cmp") == ["CMP-35", "CMP-72"]
    assert await codes(inventory, "/parts", "part_number", q="风机") == ["FAN-OUT-72"]
    assert await codes(inventory, "/parts", "part_number", q="%_") == ["CAP-50"]  # plain characters
    assert await codes(inventory, "/parts", "part_number", q="%") == ["CAP-50"]
    assert await codes(inventory, "/parts", "part_number", q="  ") == ["CAP-50", "CMP-35", "CMP-72", "FAN-OUT-72"]
    assert await codes(inventory, "/parts", "part_number", q="72", status="active") == ["CMP-72", "FAN-OUT-72"]
    assert await codes(inventory, "/parts", "part_number", q="nothing like it") == []
    first = (await inventory.get("/parts", params={"q": "压缩机", "limit": 1})).json()
    assert [p["part_number"] for p in first["items"]] == ["CMP-35"] and first["next_cursor"]
    rest = await codes(inventory, "/parts", "part_number", q="压缩机", cursor=first["next_cursor"])
    assert rest == ["CMP-72"]
    assert (await inventory.get("/parts", params={"q": "x" * 101})).status_code == 422


async def test_models_and_warehouses_by_code_or_name(inventory):
    for code, name in (("KFR-72LW", "柜式空调 7.2 kW"), ("KFR-35GW", "挂壁式空调 3.5 kW")):
        assert (await inventory.post("/models", json={"model_code": code, "name": name})).status_code == 201
    assert await codes(inventory, "/models", "model_code", q="柜式") == ["KFR-72LW"]
    assert await codes(inventory, "/models", "model_code", q="kfr") == ["KFR-35GW", "KFR-72LW"]
    for code, name, region in (("SC-JN", "济南服务中心", "shandong"), ("SC-HRB", "哈尔滨服务中心", "harbin")):
        made = await inventory.post("/warehouses", json={**warehouse_body(code, region=region), "name": name})
        assert made.status_code == 201, made.text
    assert await codes(inventory, "/warehouses", "code", q="济南") == ["SC-JN"]
    assert await codes(inventory, "/warehouses", "code", q="HARBIN") == ["SC-HRB"]  # by region too
    assert await codes(inventory, "/warehouses", "code", q="服务中心", kind="service_center") == ["SC-HRB", "SC-JN"]
