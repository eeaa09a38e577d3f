"""Examples in the billing contract (/openapi.json, /docs); tests check each against its model."""

RATES_UPDATE = {"labor_rate_per_hour": "120.00", "callout_fee": "80.00", "vat_rate": "0.13", "currency": "CNY"}
RATES = {**RATES_UPDATE, "version": 2, "effective_from": "2026-11-27T08:00:00Z", "created_at": "2026-11-27T08:00:00Z"}
CONTRACT_CREATE = {
    "customer": "Jinan Central Hospital", "serial_numbers": ["KFR72-000001"], "starts_on": "2026-01-01",
    "ends_on": "2026-12-31", "includes_labor": True, "parts_discount_pct": "10", "region": "shandong",
}
CONTRACT = {**CONTRACT_CREATE, "id": 3, "parts_discount_pct": "10.00", "created_at": "2025-12-20T08:00:00Z"}
CONTRACT_CANCEL = {"ends_on": "2026-09-30", "reason": "Customer sold the building"}
CONTRACT_CANCELLED = {
    **CONTRACT, "ends_on": "2026-09-30", "status": "cancelled",
    "cancellation": {"at": "2026-09-01T02:00:00Z", "reason": "Customer sold the building",
                     "original_ends_on": "2026-12-31"},
}
VISITS = [{"date": "2026-04-15", "kind": "maintenance"}, {"date": "2026-10-15", "kind": "inspection"}]
REPAIR_CREATE = {
    "serial_number": "KFR72-000001", "repair_reference": "RO-2026-0042", "performed_on": "2026-11-26",
    "component": "cooling_system", "causes": ["quality_defect"],
    "certificate": {"number": "WC-2024-0001", "product_name": "Cabinet air conditioner",
                    "model_code": "KFR-72LW", "serial_number": "KFR72-000001"},
    "reservation_ids": [12], "labor_hours": "1.5", "visits": 1,
}
BILL = {
    "number": "INV-2026-000042", "status": "issued", "serial_number": "KFR72-000001",
    "repair_reference": "RO-2026-0042", "performed_on": "2026-11-26", "component": "cooling_system",
    "causes": ["quality_defect"], "claim": {"id": 9, "decision": "rejected", "reasons": [
        {"code": "term_expired", "message": "The cooling system was covered through 2026-09-30"}]},
    "contract_id": None, "reservation_ids": [12], "unbilled_reservation_ids": [], "labor_hours": "1.5",
    "visits": 1,
    "lines": [
        {"kind": "part", "description": "FAN-300 Outdoor fan motor", "qty": "1", "unit_price": "240.00",
         "amount": "240.00"},
        {"kind": "labor", "description": "Labour", "qty": "1.5", "unit_price": "120.00", "amount": "180.00"},
        {"kind": "callout", "description": "Call-out", "qty": "1", "unit_price": "80.00", "amount": "80.00"},
    ],
    "net": "500.00", "vat": "65.00", "total": "565.00", "warranty_cost": "0.00", "currency": "CNY",
    "rates": {"version": 2, "labor_rate_per_hour": "120.00", "callout_fee": "80.00", "vat_rate": "0.13",
              "currency": "CNY"},
    "issued_at": "2026-11-27T08:00:00Z", "paid_at": None, "voided_at": None,
}
PAYMENT = {"method": "wechat_pay", "reference": "4200001234202611280012345678"}
BILL_PAID = {
    **BILL, "status": "paid", "paid_at": "2026-11-28T09:00:00Z",
    "payment": {"method": "wechat_pay", "reference": "4200001234202611280012345678",
                "taken_by": {"kind": "user", "id": "user:7", "name": "王会计"}},
}
FAPIAO = {"number": "26372000000012345678", "issued_on": "2026-11-28"}
BILL_WITH_FAPIAO = {**BILL_PAID, "fapiao": {**FAPIAO, "recorded_at": "2026-11-28T09:30:00Z"}}
COMPANY_UPDATE = {
    "name": "山东海信空调售后服务有限公司", "address": "济南市历下区经十路 100 号", "taxpayer_id": "91370100MA3C4XYZ1K",
    "bank": "中国工商银行济南分行", "account": "1602 0012 0910 0123 456", "phone": "0531-88886666",
}
COMPANY = {**COMPANY_UPDATE, "version": 1, "created_at": "2026-11-27T08:00:00Z"}
BILLING_REPORT = {
    "from": "2026-01-01", "to": "2026-02-28", "group_by": "month", "rows": [
        {"key": "2026-01", "name": "2026-01", "issued": 12, "paid": 9, "voided": 1, "net": "9800.00",
         "vat": "1274.00", "total": "11074.00"},
        {"key": "2026-02", "name": "2026-02", "issued": 0, "paid": 0, "voided": 0, "net": "0.00", "vat": "0.00",
         "total": "0.00"},
    ],
}
