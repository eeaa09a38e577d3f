"""The door under abuse, end to end: the real gateway and services (started as `make run` starts
them), attacked over raw sockets as issue 18 found them. Every attack gets a bounded answer
(431/414/413/408/400, or the connection closed) in bounded time, on a page path and an API path,
and the gateway's memory (RSS from /proc) does not grow past a set figure."""

import contextlib
import json
import socket
import time

import httpx
import pytest
from web_support import person

from platform_support import ADMIN_KEY, Platform

pytestmark = pytest.mark.e2e
HEADER_SECONDS = 2.0
BODY_SECONDS = 2.0
# What the gateway may grow by over one attack: the attacks send tens of MB, the bounds keep ~256 KiB.
RSS_GROWTH_BYTES = 30 * 1024 * 1024
PATHS = ["/app/login", "/warranty/units"]
CSV = (b"serial_number,model_code,product_name,site_name,accepted_on,certificate_number\n"
       b"DOOR-000001,KFR-72LW,Cabinet AC,Site A,2024-03-01,WC-1001\n"
       b"DOOR-000002,KFR-72LW,Cabinet AC,Site A,2024-03-01,WC-1002\n")


@pytest.fixture(scope="module")
def door(tmp_path_factory):
    """A platform of its own, with short times for the head and the body so that waiting is short."""
    platform = Platform(tmp_path_factory.mktemp("door"))
    platform.env.update({"HTTP_HEADER_TIMEOUT_SECONDS": str(HEADER_SECONDS),
                         "HTTP_BODY_TIMEOUT_SECONDS": str(BODY_SECONDS)})
    platform.start()
    try:
        yield platform
    finally:
        platform.close()


def rss(platform: Platform) -> int:
    pid = platform.processes["gateway"].pid
    with open(f"/proc/{pid}/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kb * 1024


@contextlib.contextmanager
def bounded_memory(platform: Platform):
    before = rss(platform)
    yield
    time.sleep(0.2)
    grown = rss(platform) - before
    assert grown < RSS_GROWTH_BYTES, f"the gateway grew by {grown / 1e6:.1f} MB"


def connect(platform: Platform, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(("127.0.0.1", platform.port("gateway")), timeout=15,
                                    source_address=(source, 0))


def send_all(sock: socket.socket, data: bytes) -> bool:
    """False once the gateway has closed (it refused while we were still sending)."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


def answer(sock: socket.socket) -> tuple[int | None, dict, bytes]:
    """The status, headers and body of one answer; None when the connection closed without one."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None, {}, b""
            data += chunk
    except ConnectionResetError:
        return None, {}, b""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    with contextlib.suppress(ConnectionResetError, TimeoutError):
        while len(body) < int(headers.get("content-length", "0")):
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(lines[0].split()[1]), headers, body


def assert_refused(got, *statuses: int) -> None:
    status, headers, body = got
    if status is None:
        return  # closed without an answer: bounded too
    assert status in statuses, (status, body[:300])
    assert headers["content-type"].startswith("application/problem+json")


def request_head(method: str, path: str, *extra: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: door", f"X-API-Key: {ADMIN_KEY}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize("path", PATHS)
def test_a_20_mb_header_is_refused_without_being_kept(door, path):
    with bounded_memory(door), connect(door) as sock:
        send_all(sock, f"GET {path} HTTP/1.1\r\nHost: door\r\nX-Big: ".encode())
        for _ in range(20 * 16):  # 20 MB in 64 KiB pieces, as long as the gateway listens
            if not send_all(sock, b"a" * 65536):
                break
        assert_refused(answer(sock), 431)


@pytest.mark.parametrize("path", PATHS)
def test_fifty_thousand_headers_are_refused(door, path):
    many = b"".join(b"X-%d: 1\r\n" % i for i in range(50_000))
    with bounded_memory(door), connect(door) as sock:
        send_all(sock, f"GET {path} HTTP/1.1\r\nHost: door\r\n".encode() + many + b"\r\n")
        assert_refused(answer(sock), 431)


def test_two_connections_with_huge_headers_at_once_cost_nothing(door):
    with bounded_memory(door), connect(door) as first, connect(door) as second:
        for sock in (first, second):
            send_all(sock, b"GET /app/login HTTP/1.1\r\nHost: door\r\nX-Big: ")
        for _ in range(100):
            sent = [send_all(sock, b"a" * 65536) for sock in (first, second)]
            if not any(sent):
                break
        for sock in (first, second):
            assert_refused(answer(sock), 431)


def test_a_long_request_line_is_414(door):
    with connect(door) as sock:
        send_all(sock, b"GET /warranty/units?q=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: door\r\n\r\n")
        assert_refused(answer(sock), 414)


@pytest.mark.parametrize("path", PATHS)
def test_half_sent_headers_hold_a_connection_no_longer_than_the_bound(door, path):
    with connect(door) as sock:
        started = time.monotonic()
        send_all(sock, f"GET {path} HTTP/1.1\r\nHost: door\r\n".encode())
        sock.settimeout(0.5)
        data = b""
        while time.monotonic() - started < HEADER_SECONDS + 5:
            if not send_all(sock, b"X"):  # a byte now and then keeps nothing open
                break
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                pass
            break
        assert time.monotonic() - started < HEADER_SECONDS + 2
        if data:
            assert data.startswith(b"HTTP/1.1 408 "), data[:200]


@pytest.mark.parametrize("path", PATHS)
def test_a_declared_200_mb_body_is_413_before_it_is_sent(door, path):
    with bounded_memory(door), connect(door) as sock:
        send_all(sock, request_head("POST", path, "Content-Length: 200000000", "Content-Type: text/plain"))
        assert_refused(answer(sock), 413)


@pytest.mark.parametrize("path", PATHS)
def test_a_chunked_body_is_cut_at_the_limit(door, path):
    piece = b"10000\r\n" + b"a" * 65536 + b"\r\n"
    with bounded_memory(door), connect(door) as sock:
        send_all(sock, request_head("POST", path, "Transfer-Encoding: chunked", "Content-Type: text/plain"))
        for _ in range(12 * 16):  # 12 MB: past the API's 10 MiB and the pages' 256 KiB
            if not send_all(sock, piece):
                break
        send_all(sock, b"0\r\n\r\n")
        assert_refused(answer(sock), 413)


@pytest.mark.parametrize("path", PATHS)
def test_a_body_sent_too_slowly_is_408(door, path):
    with connect(door) as sock:
        started = time.monotonic()
        send_all(sock, request_head("POST", path, "Content-Length: 1000", "Content-Type: text/plain") + b"ab")
        assert_refused(answer(sock), 408)
        assert time.monotonic() - started < BODY_SECONDS + 2


def test_an_import_three_bytes_short_registers_nothing(door):
    with connect(door) as sock:
        send_all(sock, request_head("POST", "/warranty/units/import", f"Content-Length: {len(CSV)}",
                                    "Content-Type: text/csv") + CSV[:-3])
        time.sleep(0.3)
    time.sleep(1.0)
    with door.client() as client:
        for serial in ("DOOR-000001", "DOOR-000002"):
            assert client.get(f"/warranty/units/{serial}").status_code == 404


def test_a_chunked_import_without_its_end_registers_nothing(door):
    with connect(door) as sock:
        send_all(sock, request_head("POST", "/warranty/units/import", "Transfer-Encoding: chunked",
                                    "Content-Type: text/csv") + b"%x\r\n" % len(CSV) + CSV + b"\r\n")
        time.sleep(0.3)
    time.sleep(1.0)
    with door.client() as client:
        assert client.get("/warranty/units/DOOR-000001").status_code == 404


def test_the_whole_import_goes_through(door):
    with door.client() as client:
        response = client.post("/warranty/units/import", content=CSV, headers={"Content-Type": "text/csv"})
        assert response.json()["created"] == 2
        assert client.get("/warranty/units/DOOR-000002").json()["certificate"]["number"] == "WC-1002"


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/warranty/claims", {"serial_number": "DOOR-000001", "description": "a\x00b"}, "description"),
    ("/warranty/units", {"serial_number": "DOOR-000009", "product_name": "a\ud800"}, "product_name"),
    ("/inventory/parts", {"part_number": "P-1", "name": "a\x00"}, "name"),
    ("/billing/contracts", {"customer_name": "a\ud800b"}, "customer_name"),
    ("/servicedesk/tickets", {"caller": {"name": "a\x00"}}, "caller.name"),
    ("/admin/api-keys", {"role": "station", "name": "a\x00"}, "name"),
])
def test_text_no_database_stores_is_422_in_every_service(door, path, body, field):
    with door.client() as client:
        response = client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error" and [e["field"] for e in problem["errors"]] == [field]


def login_cookies(door: Platform, source: str) -> tuple[dict, list[str]]:
    """Sign in as a browser behind a TLS proxy would (X-Forwarded-Proto: https), from `source`."""
    def exchange(raw: bytes) -> tuple[dict, list[str]]:
        with connect(door, source) as sock:
            send_all(sock, raw)
            data = b""
            with contextlib.suppress(TimeoutError):
                sock.settimeout(5)
                while chunk := sock.recv(65536):
                    data += chunk
                    if b"</html>" in data or (b"\r\n\r\n" in data and b" 303 " in data.split(b"\r\n", 1)[0]):
                        break
        head = data.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
        headers = {}
        cookies = []
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "set-cookie":
                cookies.append(value.strip())
            headers[name.strip().lower()] = value.strip()
        headers["_body"] = data.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")
        return headers, cookies

    form, cookies = exchange(b"GET /app/login HTTP/1.1\r\nHost: door\r\nX-Forwarded-Proto: https\r\n"
                             b"Connection: close\r\n\r\n")
    csrf_cookie = next(c for c in cookies if c.startswith("aftersales_login_csrf=")).split(";")[0]
    token = form["_body"].split('name="csrf" value="', 1)[1].split('"', 1)[0]
    with door.client() as admin:
        who = person(admin, "admin")  # people sign in, with a login and a password
    body = str(httpx.QueryParams({"csrf": token, "login": who.login, "password": who.password})).encode()
    return exchange(b"POST /app/login HTTP/1.1\r\nHost: door\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\nCookie: " + csrf_cookie.encode() +
                    b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


def test_behind_a_trusted_tls_proxy_the_session_cookie_is_secure_with_hsts(door):
    headers, cookies = login_cookies(door, "127.0.0.1")  # TRUSTED_PROXIES' default: loopback
    session = next(c for c in cookies if c.startswith("aftersales_session="))
    assert "secure" in [flag.strip().lower() for flag in session.split(";")]
    assert headers["strict-transport-security"].startswith("max-age=")


def test_from_an_untrusted_address_the_forwarded_scheme_is_not_believed(door):
    headers, cookies = login_cookies(door, "127.0.0.2")  # loopback too, but not a trusted proxy
    session = next(c for c in cookies if c.startswith("aftersales_session="))
    assert "secure" not in [flag.strip().lower() for flag in session.split(";")]
    assert "strict-transport-security" not in headers
