"""shared/middleware.check_body, which bounds a body before any app reads it at a service and at the
gateway's own routes: what it answers itself, what it reads whole, and what it leaves to count."""

import json

import pytest

from shared import middleware

pytestmark = pytest.mark.anyio


def request(headers: dict[str, str], *pieces: bytes):
    scope = {"type": "http", "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    messages = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]
    messages.append({"type": "http.disconnect"})
    answered: list[dict] = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        answered.append(message)

    return scope, receive, send, answered


def status(answered: list[dict]) -> int | None:
    return answered[0]["status"] if answered else None


async def test_a_declared_length_past_the_limit_is_413_before_anything_is_read():
    scope, receive, send, answered = request({"Content-Length": "11", "Content-Type": "text/plain"}, b"x" * 11)
    assert await middleware.check_body(scope, receive, send, 10) is None
    assert status(answered) == 413


@pytest.mark.parametrize("length", ["5", "0"])
async def test_a_body_not_json_is_left_to_count_with_its_declared_length(length):
    scope, receive, send, answered = request({"Content-Length": length, "Content-Type": "text/csv"}, b"a,b\n")
    checked = await middleware.check_body(scope, receive, send, 10)
    assert checked is not None and checked[0] is receive and checked[1] == int(length) and answered == []


async def test_no_body_declared_leaves_nothing_to_count():
    scope, receive, send, answered = request({})
    assert await middleware.check_body(scope, receive, send, 10) == (receive, None)


@pytest.mark.parametrize("headers", [{"Content-Type": "application/json", "Content-Length": "10"},
                                     {"Transfer-Encoding": "chunked", "Content-Type": "text/plain"}])
async def test_json_and_a_streamed_body_are_read_whole_and_replayed(headers):
    scope, receive, send, answered = request(headers, b'{"a":', b' "b"}')
    replayed, length = await middleware.check_body(scope, receive, send, 10)
    assert length is None and await replayed() == {"type": "http.request", "body": b'{"a": "b"}', "more_body": False}


async def test_a_streamed_body_past_the_limit_is_413():
    scope, receive, send, answered = request({"Transfer-Encoding": "chunked"}, b"x" * 6, b"x" * 6)
    assert await middleware.check_body(scope, receive, send, 10) is None
    assert status(answered) == 413


async def test_a_body_cut_short_is_400_and_never_given_on():
    scope, receive, send, answered = request({"Content-Length": "9", "Content-Type": "application/json"}, b'{"a":')
    assert await middleware.check_body(scope, receive, send, 10) is None
    assert status(answered) == 400


async def test_json_text_no_database_stores_is_422():
    body = json.dumps({"name": "a\u0000b"}).encode()
    scope, receive, send, answered = request({"Content-Length": str(len(body)), "Content-Type": "application/json"},
                                             body)
    assert await middleware.check_body(scope, receive, send, 100) is None
    assert status(answered) == 422
