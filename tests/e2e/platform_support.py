"""The real processes on real ports, started the way `make run` starts them."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from scripts import run
from scripts.ports import free_port
from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "e2e-admin-key"


def platform_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update({
        "DATA_DIR": str(data_dir), "ADMIN_API_KEY": ADMIN_KEY, "INTERNAL_TOKEN": "e2e-internal-token",
        "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
        "WEBHOOK_ALLOW_PRIVATE": "1",  # as `make run` (scripts/run.py): a station's robot may be local
    })
    for name in ("gateway", *SERVICES):
        env[f"{name.upper()}_PORT"] = str(free_port())
    return env


def wait_ready(url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} was ready")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout} s")


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Platform:
    """Gateway and services as separate processes, each of which a test may stop and restart."""

    def __init__(self, data_dir: Path) -> None:
        self.env = platform_env(data_dir)
        self.processes: dict[str, subprocess.Popen] = {}
        self.url = f"http://127.0.0.1:{self.env['GATEWAY_PORT']}"

    def port(self, name: str) -> int:
        return int(self.env[f"{name.upper()}_PORT"])

    def start(self) -> "Platform":
        subprocess.run([sys.executable, "-c", "from scripts import run; run.migrate(run.environment())"],
                       env=self.env, cwd=ROOT, check=True, capture_output=True)
        for name in (*SERVICES, "gateway"):
            self.processes[name] = run.start(name, self.env)
        wait_ready(self.url + "/readyz")
        return self

    def stop_service(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def start_service(self, name: str) -> None:
        self.processes[name] = run.start(name, self.env)
        wait_ready(f"http://127.0.0.1:{self.port(name)}/readyz", process=self.processes[name])

    def client(self, key: str = ADMIN_KEY) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": key}, timeout=30.0)

    def close(self) -> None:
        run.stop(self.processes)
