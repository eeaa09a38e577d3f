"""Ports for servers started by the benchmarks and the tests."""

import random
import socket


def free_port() -> int:
    """A port nothing listens on now, for a server started later (a process of its own). It is drawn below the
    kernel's ephemeral range (32768-60999 here), from which a port asked for with 0 would come: there, any
    outgoing connection of the suite (a browser's, a client's) may take it before the server binds it."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")
