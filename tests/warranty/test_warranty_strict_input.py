"""Inputs the contract calls invalid are refused, as the fuzzer (tests/e2e/test_e2e_fuzz.py) checks."""

import pytest

from helpers import assert_problem
from warranty_support import unit_body

pytestmark = pytest.mark.anyio

SEASONS = {"heating": {"start": "11-15", "end": "03-15"}, "cooling": {"start": "05-15", "end": "09-30"}}


@pytest.mark.parametrize("flag", [0, 1, "true", None])
async def test_a_boolean_sent_as_anything_but_true_or_false_is_refused(warranty, flag):
    response = await warranty.put("/regions/shandong", json={**SEASONS, "apply_to_existing_units": flag})
    body = assert_problem(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["apply_to_existing_units"]


async def test_an_altered_flag_on_a_claims_certificate_must_be_a_boolean(warranty):
    await warranty.post("/units", json=unit_body())
    certificate = {"number": "WC-1", "product_name": "AC", "model_code": "M", "serial_number": "HVAC-000001",
                   "altered": 1}
    claim = {"serial_number": "HVAC-000001", "failed_on": "2026-01-10", "component": "unit",
             "causes": ["quality_defect"], "certificate": certificate}
    body = assert_problem(await warranty.post("/claims", json=claim), 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["certificate.altered"]
