"""The gateway's door under abuse: bodies bounded on every path before they are read, never sent
on when cut short, the import's larger bound for its route and role alone, and X-Forwarded-* believed
only from a trusted proxy. Raw sockets against the gateway served by our own HTTP protocol."""

import json
import re
import socket
import time

import httpx
import pytest

from gateway.forwarded import TrustedProxies
from gateway.main import create_app
from gateway.web import pages
from shared.http_server import ProblemHttpToolsProtocol

from gateway_support import ADMIN, LiveServer, make_person, sign_in
from helpers import asgi_client

pytestmark = pytest.mark.anyio


@pytest.fixture
def door(gateway_settings, fakes):
    """The gateway on a real port (max_body_bytes=1024), with its lifespan, as uvicorn runs it."""
    settings = gateway_settings.model_copy(update={"web_form_max_bytes": 512, "import_max_body_bytes": 4096})
    with LiveServer(create_app(settings), lifespan="on", http=ProblemHttpToolsProtocol) as server:
        yield server


def read_answer(sock: socket.socket) -> tuple[int | None, dict, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return None, {}, b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


def send(port: int, head: bytes, body: bytes = b"", *, half_close: bool = False):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return read_answer(sock)


def head(method: str, path: str, *extra: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: door", f"X-API-Key: {ADMIN}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def code_of(answer) -> str:
    return json.loads(answer[2])["code"]


@pytest.mark.parametrize("path", ["/app/login", "/warranty/units", "/admin/api-keys"])
def test_a_declared_body_past_the_limit_is_413_before_a_byte_of_it_is_sent(door, fakes, path):
    # Nothing of the 200 MB is sent: the answer comes on the head alone, and the connection is closed.
    answer = send(door.port, head("POST", path, "Content-Length: 200000000", "Content-Type: text/plain"))
    assert answer[0] == 413 and code_of(answer) == "payload_too_large"
    assert answer[1]["connection"] == "close"
    assert not fakes["warranty"].seen


@pytest.mark.parametrize("path", ["/app/login", "/warranty/units", "/admin/api-keys"])
def test_a_chunked_body_past_the_limit_is_cut_at_the_limit(door, fakes, path):
    chunks = b"".join(b"100\r\n" + b"a" * 256 + b"\r\n" for _ in range(40)) + b"0\r\n\r\n"
    answer = send(door.port, head("POST", path, "Transfer-Encoding: chunked", "Content-Type: text/plain"), chunks)
    assert answer[0] == 413 and code_of(answer) == "payload_too_large"
    assert not fakes["warranty"].seen


def test_a_body_shorter_than_declared_is_never_forwarded(door, fakes):
    send(door.port, head("POST", "/warranty/units/import", "Content-Length: 100", "Content-Type: text/csv"),
         b"serial_number,model_code\nA,", half_close=True)
    time.sleep(0.5)
    assert not fakes["warranty"].seen


def test_a_chunked_body_without_its_end_is_never_forwarded(door, fakes):
    send(door.port, head("POST", "/warranty/units", "Transfer-Encoding: chunked", "Content-Type: application/json"),
         b"5\r\n{\"a\":\r\n", half_close=True)
    time.sleep(0.5)
    assert not fakes["warranty"].seen


def test_a_whole_body_is_forwarded_as_sent(door, fakes):
    answer = send(door.port, head("POST", "/warranty/units", "Content-Length: 7", "Content-Type: application/json"),
                  b'{"a":1}')
    assert answer[0] == 201
    assert fakes["warranty"].seen[-1].content == b'{"a":1}'


def test_the_import_limit_is_for_the_import_route_exactly(door, fakes):
    body = b"a" * 2000  # past max_body_bytes (1024), within import_max_body_bytes (4096)
    extra = (f"Content-Length: {len(body)}", "Content-Type: text/csv")
    assert send(door.port, head("POST", "/warranty/units/import", *extra), body)[0] == 201
    for path in ("/warranty/x/units/import", "/warranty/units/import/", "/inventory/units/import"):
        answer = send(door.port, head("POST", path, *extra), body)
        assert answer[0] == 413, path
    assert send(door.port, head("PUT", "/warranty/units/import", *extra), body)[0] == 413
    assert len(fakes["warranty"].seen) == 1


def test_the_import_limit_is_for_admin_alone(door, fakes):
    created = httpx.post(door.url + "/admin/api-keys", json={"role": "station", "name": "station key"},
                         headers={"X-API-Key": ADMIN})
    assert created.status_code == 201, created.text
    body = b"a" * 2000
    answer = send(door.port, ("POST /warranty/units/import HTTP/1.1\r\nHost: d\r\n"
                              f"X-API-Key: {created.json()['key']}\r\nContent-Length: {len(body)}\r\n\r\n").encode(),
                  body)
    assert answer[0] in (403, 413)  # a station may not import: it never gets the import's bound
    assert not fakes["warranty"].seen


def test_a_form_past_the_page_bound_is_413(door):
    body = b"api_key=" + b"a" * 600
    answer = send(door.port, head("POST", "/app/login", f"Content-Length: {len(body)}",
                                  "Content-Type: application/x-www-form-urlencoded"), body)
    assert answer[0] == 413


# Behind a proxy

def test_forwarded_headers_are_believed_from_a_trusted_proxy_only():
    proxies = TrustedProxies("10.0.0.0/8, 127.0.0.1")

    def scope_from(peer: str, *headers: tuple[bytes, bytes]) -> dict:
        scope = {"client": (peer, 5000), "scheme": "http", "headers": list(headers)}
        proxies.apply(scope)
        return scope

    trusted = scope_from("10.1.2.3", (b"x-forwarded-proto", b"https"), (b"x-forwarded-for", b"203.0.113.9"))
    assert trusted["scheme"] == "https" and trusted["client"] == ("203.0.113.9", 0)
    untrusted = scope_from("192.0.2.1", (b"x-forwarded-proto", b"https"), (b"x-forwarded-for", b"203.0.113.9"))
    assert untrusted["scheme"] == "http" and untrusted["client"] == ("192.0.2.1", 5000)
    # What the client wrote itself (left of the proxies') is not believed: the first untrusted hop from the right.
    chain = scope_from("10.1.2.3", (b"x-forwarded-for", b"1.1.1.1, 198.51.100.7, 10.9.9.9"))
    assert chain["client"] == ("198.51.100.7", 0)
    assert scope_from("10.1.2.3", (b"x-forwarded-for", b"not-an-address"))["client"] == ("10.1.2.3", 5000)
    assert scope_from("10.1.2.3", (b"x-forwarded-proto", b"gopher"))["scheme"] == "http"
    assert not TrustedProxies("")


@pytest.mark.parametrize(("trusted", "secure"), [("127.0.0.1,::1", True), ("10.0.0.0/8", False), ("", False)])
async def test_cookies_are_secure_and_hsts_sent_behind_a_trusted_tls_proxy(gateway_settings, fakes, trusted, secure):
    settings = gateway_settings.model_copy(update={"trusted_proxies": trusted})
    # The ASGI client connects from 127.0.0.1.
    async with asgi_client(create_app(settings)) as client:
        admin = await make_person(client, "admin")
        form = await client.get("/app/login", headers={"X-Forwarded-Proto": "https"})
        token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        # A Secure cookie is not sent back over the client's plain http: as the browser behind TLS would.
        csrf_cookie = f"{pages.LOGIN_CSRF_COOKIE}={form.cookies[pages.LOGIN_CSRF_COOKIE]}"
        signed = await client.post("/app/login", data={"csrf": token, "login": admin["login"],
                                                       "password": admin["one_time_password"]},
                                   headers={"X-Forwarded-Proto": "https", "Cookie": csrf_cookie})
    assert signed.status_code == 303
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith(pages.SESSION_COOKIE + "="))
    assert ("secure" in [part.strip().lower() for part in cookie.split(";")]) is secure
    assert ("strict-transport-security" in signed.headers) is secure
    if secure:
        assert signed.headers["strict-transport-security"] == "max-age=31536000"


async def test_no_hsts_over_plain_http(gateway):
    response = await gateway.get("/app/login")
    assert "strict-transport-security" not in response.headers


async def test_a_station_code_in_chinese_is_remembered_encoded_in_its_cookie(gateway_settings, fakes):
    """`?station=济南站` was written raw into a Set-Cookie header: a 500."""
    async with asgi_client(create_app(gateway_settings)) as client:
        await sign_in(client, await make_person(client, "station"))
        listed = await client.get("/app/station/tickets", params={"station": "济南站"})
        assert listed.status_code == 200, listed.text[:300]
        assert "aftersales_station=%E6%B5%8E%E5%8D%97%E7%AB%99" in listed.headers["set-cookie"]
        fakes["servicedesk"].seen.clear()
        again = await client.get("/app/station/tickets")  # the remembered code, decoded
        assert again.status_code == 200
    assert {seen.url.params["station"] for seen in fakes["servicedesk"].seen} == {"济南站"}
