"""Request bodies the warranty tests share."""


def unit_body(serial="HVAC-000001", accepted_on="2024-03-01", region=None, **extra) -> dict:
    site = {"name": "Jinan Hospital", "address": "1 Jingshi Rd"}
    if region:
        site["region"] = region
    body = {
        "serial_number": serial, "model_code": "KFR-72LW", "product_name": "Cabinet air conditioner",
        "site": site, "project_code": "PRJ-7", "accepted_on": accepted_on,
        "certificate": {"number": "CERT-1"},
    }
    body.update(extra)
    return body


def certificate(serial="HVAC-000001", **changes) -> dict:
    cert = {"number": "CERT-1", "product_name": "Cabinet air conditioner", "model_code": "KFR-72LW",
            "serial_number": serial}
    cert.update(changes)
    return cert
