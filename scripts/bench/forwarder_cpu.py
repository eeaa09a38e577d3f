"""CPU spent by the gateway's forwarder per request, independent of the machine's other load.

Starts a small uvicorn service in another process, sends N GETs through a forwarder with
C requests in flight, and prints the forwarder process's CPU time per request (user + system),
which, unlike req/s, does not move when other processes compete for the cores.

    .venv/bin/python -m scripts.bench.forwarder_cpu [N] [C] [module:Class ...]
"""

import asyncio
import importlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts.ports import free_port

SERVICE = '''
import json
BODY = json.dumps({"serial_number": "BENCH-000001", "covered": True, "days_left": 120, "reasons": []}).encode()
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})
'''


async def measure(factory, url: str, n: int, concurrency: int) -> dict:
    forwarder = factory(url)
    headers = [(b"x-request-id", b"r" * 32), (b"x-caller-role", b"station"), (b"x-caller-signature", b"s" * 64)]
    left = n

    async def worker():
        nonlocal left
        while left > 0:
            left -= 1
            response = await forwarder.request("GET", "/units/BENCH-000001/coverage?on=2025-07-01", headers, b"", 5)
            assert response.status == 200

    await asyncio.gather(*(worker() for _ in range(concurrency)))  # warm the pool
    left = n
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await forwarder.close()
    return {"cpu_us_per_request": round(cpu / n * 1e6, 1), "wall_req_per_s": round(n / wall)}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    names = sys.argv[3:] or ["shared.upstream:Forwarder"]
    port = free_port()
    work = tempfile.TemporaryDirectory()
    Path(work.name, "forwarder_cpu_service.py").write_text(SERVICE)
    service = subprocess.Popen([sys.executable, "-m", "uvicorn", "forwarder_cpu_service:app", "--port", str(port),
                                "--log-level", "warning", "--no-access-log"], cwd=work.name)
    try:
        time.sleep(1.5)
        for name in names:
            module, _, cls = name.partition(":")
            factory = getattr(importlib.import_module(module), cls)
            result = asyncio.run(measure(factory, f"http://127.0.0.1:{port}", n, concurrency))
            print(json.dumps({"forwarder": name, "n": n, "concurrency": concurrency, **result}))
    finally:
        service.terminate()
        service.wait()
        work.cleanup()


if __name__ == "__main__":
    main()
