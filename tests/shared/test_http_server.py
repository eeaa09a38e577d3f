"""shared.http_server.CoalescingTransport (the HTTP_COALESCE=1 measurement knob): writes of one
event-loop turn leave in one write, in order; closing, or too much waiting, sends them at once."""

import asyncio

import pytest

from shared import http_server

pytestmark = pytest.mark.anyio


class Recording:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 1) if name == "peername" else default


async def test_writes_of_one_turn_leave_in_one_write_in_order():
    raw = Recording()
    transport = http_server.CoalescingTransport(raw, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(bytearray(b"body"))
    transport.write(b"")
    assert raw.writes == [] and transport.get_write_buffer_size() == 23
    await asyncio.sleep(0)
    assert raw.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    assert transport.get_extra_info("peername") == ("127.0.0.1", 1)  # the rest is the wrapped transport's


async def test_closing_sends_what_waits_first_and_a_large_answer_leaves_at_once():
    raw = Recording()
    transport = http_server.CoalescingTransport(raw, asyncio.get_running_loop())
    transport.write(b"x" * http_server.COALESCE_MAX_BYTES)
    assert raw.writes == [b"x" * http_server.COALESCE_MAX_BYTES]
    transport.write(b"last")
    transport.close()
    assert raw.writes[-1] == b"last" and raw.closed
    await asyncio.sleep(0)  # the scheduled flush finds nothing more
    assert len(raw.writes) == 2
