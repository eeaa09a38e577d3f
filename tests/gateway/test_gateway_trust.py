"""What the gateway sends a service: the raw path, a signed caller and a deadline; HEAD at once."""

import time

import pytest

from shared import identity

from gateway_support import ADMIN, make_key
from helpers import TOKEN, assert_problem

pytestmark = pytest.mark.anyio
H = {"X-API-Key": ADMIN}


@pytest.mark.parametrize("segment", ["AB%20CD-123", "AB%2FCD", "AB%3FCD", "AB%0D%0Ax-caller-role:%20admin",
                                     "%E4%B8%AD"])
async def test_the_path_goes_to_the_service_still_encoded(gateway, fakes, segment):
    response = await gateway.get(f"/warranty/units/{segment}/coverage?on=2025-07-01&q=%0D%0A", headers=H)
    assert response.status_code == 200
    seen = fakes["warranty"].seen[-1]
    assert seen.raw_path == f"/units/{segment}/coverage"
    assert seen.query == "on=2025-07-01&q=%0D%0A"
    assert [k for k, _ in seen.raw_headers].count(b"x-caller-role") == 1


async def test_an_encoded_service_prefix_is_not_a_service(gateway, fakes):
    assert_problem(await gateway.get("/warranty%2Funits/X", headers=H), 404, "not_found")
    assert fakes["warranty"].seen == []


async def test_the_caller_is_signed_with_the_request_id_and_deadline(gateway, fakes):
    created = await make_key(gateway, "warehouse", warehouses=["SC-01"])
    before = time.time()
    await gateway.get("/inventory/stock", headers={"X-API-Key": created["key"], "X-Request-ID": "trace-7"})
    caller, request_id, at = identity.verify(fakes["inventory"].seen[-1].raw_headers, TOKEN.encode())
    assert (caller.role, caller.key_id, caller.warehouses) == ("warehouse", created["id"], frozenset({"SC-01"}))
    assert request_id == "trace-7"
    # the gateway waits 1 s in these tests; the service must be done a margin before that
    assert before < at < before + 1.0


async def test_client_identity_headers_never_reach_a_service(gateway, fakes):
    created = await make_key(gateway, "warehouse", warehouses=["SC-01"])
    forged = {"X-API-Key": created["key"], "X-Caller-Role": "admin", "X-Caller-Signature": "0" * 64,
              "X-Request-Deadline": "9999999999999", "X-Internal-Token": "guess"}
    await gateway.get("/inventory/stock", headers=forged)
    sent = fakes["inventory"].seen[-1]
    for name in identity.SINGLE:
        assert [k for k, _ in sent.raw_headers].count(name) <= 1
    caller, _rid, _at = identity.verify(sent.raw_headers, TOKEN.encode())
    assert caller.role == "warehouse"


async def test_head_is_forwarded_and_answered_at_once(gateway, fakes):
    started = time.monotonic()
    head = await gateway.head("/warranty/units/X", headers=H)
    get = await gateway.get("/warranty/units/X", headers=H)
    assert time.monotonic() - started < 1.0
    assert head.status_code == 200 and head.content == b""
    # the fake's answer names the method, so HEAD's announced body is one byte longer than GET's
    assert int(head.headers["content-length"]) == len(get.content) + 1
    assert fakes["warranty"].seen[-2].method == "HEAD"
    own = await gateway.head("/admin/api-keys", headers=H)
    assert own.status_code == 200 and own.content == b""


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND"])
async def test_a_method_no_route_takes_is_405_and_never_sent(gateway, fakes, method):
    # found by the fuzzer: the forwarder refuses such a method, which was a 500
    response = await gateway.request(method, "/billing/contracts/1", headers=H)
    assert_problem(response, 405, "method_not_allowed")
    assert "TRACE" not in response.headers["allow"] and "GET" in response.headers["allow"]
    assert fakes["billing"].seen == []
