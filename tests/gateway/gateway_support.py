"""Helpers the gateway tests share: keys, and real HTTP servers on free ports.

The gateway reaches services through one forwarder (shared/upstream.py), in
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


def listening_socket() -> socket.socket:
    """A socket bound and listening on a port the kernel picked: the server is handed the socket itself, so
    no other connection can take its port between choosing it and serving on it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    return sock


class LiveServer:
    """An ASGI app served by uvicorn on 127.0.0.1, in a thread of its own (its own event loop)."""

    def __init__(self, app, **options) -> None:
        self.socket = listening_socket()
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        options = {"log_level": "warning", "lifespan": "off", "timeout_graceful_shutdown": 1, **options}
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, **options))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 60  # a loaded CI host; a start that failed ends the thread at once
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError(f"test server on {self.url} stopped while starting (see the log above)")
            if time.monotonic() > deadline:
                raise RuntimeError(f"test server on {self.url} did not start in 60 s")
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


# People sign in to the web app with a login and a password (never a key): a password that meets the rules.
PASSWORD = "Chang-cheng 2026!"


def token_in(html: str) -> str:
    import re

    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def make_person(client, role: str, **fields) -> dict:
    """A person made by the admin API; the answer with its one-time password."""
    import uuid

    body = {"login": f"{role}-{uuid.uuid4().hex[:8]}", "display_name": f"{role} 用户", "role": role, **fields}
    response = await client.post("/admin/users", json=body, headers={"X-API-Key": ADMIN})
    assert response.status_code == 201, response.text
    return response.json()


async def sign_in(client, who) -> str:
    """Sign `client` in as a person and return the CSRF token of their session. `who` is a person (from
    make_person; their one-time password is replaced by PASSWORD at the first sign-in), or, for the
    tests written when keys signed in, a key (from make_key) or the bootstrap admin key: then a person
    of the same role and scope is made for it once."""
    client.cookies.clear()  # another person on the same client
    if who == ADMIN:
        who = {"role": "admin"}
    if "login" not in who:
        if "person" not in who:
            scope = {k: who[k] for k in ("station", "warehouses") if who.get(k)}
            who["person"] = await make_person(client, who["role"], **scope)
        who = who["person"]
    form = await client.get("/app/login")
    signed = await client.post("/app/login", data={"csrf": token_in(form.text), "login": who["login"],
                                                   "password": who.get("password") or who["one_time_password"]})
    assert signed.status_code == 303, signed.text
    if signed.headers["location"] == "/app/password":
        page = await client.get("/app/password")
        chosen = await client.post("/app/password", data={"csrf": token_in(page.text), "new_password": PASSWORD,
                                                          "confirm_password": PASSWORD})
        assert chosen.status_code == 303, chosen.text
        who["password"] = PASSWORD
    return token_in((await client.get("/app/")).text)

