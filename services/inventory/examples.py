"""Examples in the inventory contract (/openapi.json, /docs); tests check each against its model."""

PART_CREATE = {
    "part_number": "FAN-300", "name": "Outdoor fan motor", "uom": "pcs", "list_price": "300.00",
    "out_of_warranty_price": "240.00", "min_stock": 10, "status": "active",
}
PART = {**PART_CREATE, "loaner_class": None}
PART_UPDATE = {"list_price": "320.00", "min_stock": 12}
MODEL_CREATE = {"model_code": "KFR-72LW", "name": "Cabinet air conditioner 7.2 kW", "discontinued_on": None,
                "loaner_class": "cabinet_7.2kW"}
BILL = [{"part_number": "FAN-300", "qty_per_unit": 1}, {"part_number": "FLT-100", "qty_per_unit": 2}]
MODEL = {**MODEL_CREATE, "guaranteed_through": None, "parts": BILL}
MODEL_UPDATE = {"discontinued_on": "2026-06-30"}
WAREHOUSE_CREATE = {"code": "SC-01", "name": "Jinan service centre", "kind": "service_center", "region": "shandong"}
RECEIPT_CREATE = {"warehouse": "SC-01", "part_number": "FAN-300", "qty": 20, "reference": "PO-2026-0113"}
MOVEMENT = {
    "id": 41, "at": "2026-11-27T08:00:00Z", "kind": "receipt", "warehouse": "SC-01", "part_number": "FAN-300",
    "qty": 20, "reference": "PO-2026-0113", "reason": None, "reservation_id": None,
}
TRANSFER_CREATE = {
    "from_warehouse": "CW", "to_warehouse": "SC-01", "part_number": "FAN-300", "qty": 5, "reference": "TR-0457",
}
TRANSFER = {
    "transfer_out": {**MOVEMENT, "id": 42, "kind": "transfer_out", "warehouse": "CW", "qty": -5,
                     "reference": "TR-0457"},
    "transfer_in": {**MOVEMENT, "id": 43, "kind": "transfer_in", "qty": 5, "reference": "TR-0457"},
}
ADJUSTMENT_CREATE = {"warehouse": "SC-01", "part_number": "FAN-300", "delta": -1, "reason": "Damaged in storage"}
ADJUSTMENT = {**MOVEMENT, "id": 44, "kind": "adjustment", "qty": -1, "reference": None, "reason": "Damaged in storage"}
RESERVATION_CREATE = {
    "warehouse": "SC-01", "reference": "RO-2026-0042", "lines": [{"part_number": "FAN-300", "qty": 1}],
    "ttl_seconds": 259200,
}
RESERVATION = {
    "id": 12, "warehouse": "SC-01", "reference": "RO-2026-0042", "status": "active",
    "created_at": "2026-11-27T08:00:00Z", "expires_at": "2026-11-30T08:00:00Z", "closed_at": None,
    "lines": [{"part_number": "FAN-300", "name": "Outdoor fan motor", "uom": "pcs", "qty": 1, "consumed_qty": 0,
               "list_price": "300.00", "out_of_warranty_price": "240.00"}],
}
CONSUME = {"lines": [{"part_number": "FAN-300", "qty": 1}]}
SUPPLY_GUARANTEE = {
    "on": "2026-11-27", "models": [{"model_code": "KFR-72LW", "guaranteed_through": "2031-06-30"}],
    "shortfalls": [{"part_number": "FAN-300", "min_stock": 10, "on_hand_total": 4, "short_by": 6,
                    "models": ["KFR-72LW"]}],
}
LOANERS = {
    "loaner_class": "cabinet_7.2kW", "region": "shandong",
    "items": [
        {"warehouse": "SC-01", "warehouse_name": "Jinan service centre", "kind": "service_center",
         "region": "shandong", "same_region": True, "part_number": "LN-CAB-72",
         "name": "Loaner cabinet unit 7.2 kW", "available": 2},
        {"warehouse": "CW", "warehouse_name": "Central warehouse", "kind": "central", "region": "beijing",
         "same_region": False, "part_number": "LN-CAB-72", "name": "Loaner cabinet unit 7.2 kW", "available": 6},
    ],
}
