"""Helpers the gateway tests share: keys, and real HTTP servers on free ports.

The gateway reaches services through one forwarder (gateway/upstream.py), in
tests as in production, so test doubles of services are real uvicorn servers.
"""

import socket
import threading
import time

import uvicorn

ADMIN = "test-admin-key"


async def make_key(client, role: str, warehouses=None) -> dict:
    body = {"role": role, "name": f"{role} key"}
    if warehouses is not None:
        body["warehouses"] = warehouses
    response = await client.post("/admin/api-keys", json=body, headers={"X-API-Key": ADMIN})
    assert response.status_code == 201, response.text
    return response.json()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """An ASGI app served by uvicorn on 127.0.0.1, in a thread of its own (its own event loop)."""

    def __init__(self, app, **options) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        options = {"log_level": "warning", "lifespan": "off", "timeout_graceful_shutdown": 1, **options}
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, **options))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"test server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
