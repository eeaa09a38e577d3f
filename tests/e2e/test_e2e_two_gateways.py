"""Two gateway processes on one database: a key revoked through one is refused by the other at once,
though the other had it in its cache."""

import httpx
import pytest

from scripts import run

from helpers import free_port
from platform_support import ADMIN_KEY, wait_ready

pytestmark = pytest.mark.e2e


def test_a_key_revoked_on_one_gateway_is_refused_at_once_by_the_other(platform):
    env = dict(platform.env, GATEWAY_PORT=str(free_port()))
    second = run.start("gateway", env)
    try:
        other = f"http://127.0.0.1:{env['GATEWAY_PORT']}"
        wait_ready(other + "/readyz", process=second)
        with platform.client() as admin:
            created = admin.post("/admin/api-keys", json={"role": "station", "name": "two gateways"}).json()
        with httpx.Client(base_url=other, headers={"X-API-Key": created["key"]}, timeout=30) as there:
            for _ in range(3):  # looked up once, then served from the second gateway's memory
                assert there.get("/warranty/regions").status_code == 200
            with platform.client() as admin:
                assert admin.delete(f"/admin/api-keys/{created['id']}").status_code == 204
            refused = there.get("/warranty/regions")
            assert refused.status_code == 401, refused.text
        with httpx.Client(base_url=other, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as there:
            assert there.get("/warranty/regions").status_code == 200
    finally:
        run.stop({"gateway": second})
