"""The HTTP protocol every process runs (shared/http_server.py), on a real socket: a request line,
headers and the time to send them and the body are bounded before any app runs."""

import asyncio
import contextlib
import json
import socket
import threading
import time

import pytest
import uvicorn

from shared.http_server import CORK_MAX_BYTES, Limits, ProblemHttpToolsProtocol, _Corked, extend_body_time

LIMITS = Limits(request_line_bytes=1024, header_bytes=4096, headers=20, header_seconds=1.0, body_seconds=1.0)


class TightProtocol(ProblemHttpToolsProtocol):
    limits = LIMITS


async def echo(scope, receive, send) -> None:
    """Answers with the size of the body it read; `/long` gives its body 3 s."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/long":
        extend_body_time(scope, 3.0)
    if scope["path"] == "/slow":
        await asyncio.sleep(1.5)  # longer than the head's and the body's bounds: the work is not cut short
    if scope["path"] == "/stream":  # the head, then the body a while later
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await asyncio.sleep(0.5)
        await send({"type": "http.response.body", "body": b"late"})
        return
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = json.dumps({"size": size, "headers": len(scope["headers"])}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(echo, host="127.0.0.1", port=free, http=TightProtocol,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.01)
    yield free
    server.should_exit = True
    thread.join(timeout=10)


def read_answer(sock: socket.socket) -> tuple[int | None, dict, bytes]:
    """One answer; (None, {}, b"") when the server closed without answering."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
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


def closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def send_ignoring_reset(sock: socket.socket, data: bytes) -> None:
    # The server may refuse and close while we are still sending: what is asserted next.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        sock.sendall(data)


def exchange(port: int, request: bytes) -> tuple[int | None, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        send_ignoring_reset(sock, request)
        return read_answer(sock)


def assert_problem(answer, status: int, code: str) -> None:
    got, headers, body = answer
    assert got == status, answer
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert json.loads(body)["code"] == code


def test_an_ordinary_request_and_a_second_on_the_same_connection_pass(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        status, _, body = read_answer(sock)
        assert status == 200 and json.loads(body)["size"] == 5
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_answer(sock)[0] == 200


def test_an_answer_that_takes_longer_than_the_bounds_is_not_cut_short(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for _ in range(2):
            sock.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
            status, _, body = read_answer(sock)
            assert status == 200 and json.loads(body)["size"] == 2


def test_a_header_larger_than_the_bound_is_431(port):
    answer = exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n")
    assert_problem(answer, 431, "request_header_too_large")


def test_a_head_streamed_past_the_bound_is_431_without_waiting_for_its_end(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ")
        for _ in range(10):
            send_ignoring_reset(sock, b"a" * 1000)
            time.sleep(0.01)
        assert_problem(read_answer(sock), 431, "request_header_too_large")


def test_more_headers_than_the_bound_is_431(port):
    many = b"".join(b"X-%d: 1\r\n" % i for i in range(25))
    assert_problem(exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n"), 431, "request_header_too_large")


def test_headers_just_within_the_bounds_pass(port):
    many = b"".join(b"X-%d: 1\r\n" % i for i in range(18))
    status, _, body = exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert status == 200 and json.loads(body)["headers"] == 19


def test_a_request_line_longer_than_the_bound_is_414(port):
    assert_problem(exchange(port, b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"), 414, "uri_too_long")


def test_a_head_sent_too_slowly_is_408_and_closed_in_time(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        for _ in range(3):  # a byte now and then keeps no connection open past the bound
            time.sleep(0.3)
            send_ignoring_reset(sock, b"X")
        assert_problem(read_answer(sock), 408, "request_timeout")
        assert time.monotonic() - started < 2.5
        assert closed(sock)


def test_a_connection_that_sends_nothing_is_closed(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        assert closed(sock)
        assert time.monotonic() - started < 2.5


def test_a_body_sent_too_slowly_is_408(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        assert_problem(read_answer(sock), 408, "request_timeout")
        assert time.monotonic() - started < 2.5
        assert closed(sock)


def test_a_chunked_body_without_its_end_is_408(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
        assert_problem(read_answer(sock), 408, "request_timeout")


def test_an_app_may_give_one_body_longer(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /long HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc")
        time.sleep(1.5)  # past the ordinary bound, within the route's
        sock.sendall(b"def")
        status, _, body = read_answer(sock)
        assert status == 200 and json.loads(body)["size"] == 6


def test_the_bounds_are_settings():
    limits = Limits.from_environment({"HTTP_MAX_HEADER_BYTES": "1000", "HTTP_MAX_HEADERS": "7",
                                      "HTTP_MAX_REQUEST_LINE_BYTES": "300", "HTTP_HEADER_TIMEOUT_SECONDS": "2.5",
                                      "HTTP_BODY_TIMEOUT_SECONDS": "9"})
    assert limits == Limits(request_line_bytes=300, header_bytes=1000, headers=7, header_seconds=2.5, body_seconds=9)
    assert Limits.from_environment({}) == Limits()


class Transport:
    """What a connection's transport was asked to do."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True


@pytest.mark.anyio
async def test_writes_made_in_one_step_go_out_as_one_in_order():
    transport = Transport()
    corked = _Corked(transport, asyncio.get_running_loop())
    corked.write(b"HTTP/1.1 200 OK\r\n\r\n")
    corked.write(b"body")
    assert transport.writes == []
    await asyncio.sleep(0)
    assert transport.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    corked.write(b"next")
    await asyncio.sleep(0)
    assert transport.writes[1:] == [b"next"]  # a write alone goes out alone, at the next turn


@pytest.mark.anyio
async def test_a_close_sends_what_is_held_first_and_an_abort_drops_it():
    transport = Transport()
    corked = _Corked(transport, asyncio.get_running_loop())
    corked.write(b"head")
    corked.close()
    assert transport.writes == [b"head"] and transport.closed
    await asyncio.sleep(0)
    assert transport.writes == [b"head"]  # not sent twice
    other = Transport()
    corked = _Corked(other, asyncio.get_running_loop())
    corked.write(b"head")
    corked.abort()
    await asyncio.sleep(0)
    assert other.writes == [] and other.aborted


@pytest.mark.anyio
async def test_a_large_write_is_not_copied_and_keeps_its_place():
    transport = Transport()
    corked = _Corked(transport, asyncio.get_running_loop())
    large = b"x" * (CORK_MAX_BYTES + 1)
    corked.write(b"head")
    corked.write(large)
    corked.write(b"tail")
    await asyncio.sleep(0)
    assert transport.writes == [b"head", large, b"tail"]


def test_a_head_sent_before_its_body_reaches_the_client_before_the_body(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ") and b"late" not in first
        rest = b""
        while b"0\r\n\r\n" not in rest:
            rest += sock.recv(65536)
        assert b"late" in rest
