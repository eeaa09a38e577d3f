"""`make run`: migrate, then start the three services and the gateway on this
machine, stay in the foreground, and stop them all on SIGINT or SIGTERM."""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from shared import migrations
from shared.http_server import HTTP_PROTOCOL
from shared.settings import DEFAULT_PORTS, SERVICES, database_url_for

APPS = {
    "warranty": "services.warranty.main:create_app",
    "inventory": "services.inventory.main:create_app",
    "billing": "services.billing.main:create_app",
    "servicedesk": "services.servicedesk.main:create_app",
    "gateway": "gateway.main:create_app",
}
STOP_GRACE_SECONDS = 10


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATA_DIR", "./data")
    env["DATA_DIR"] = str(Path(env["DATA_DIR"]).resolve())
    # Local development, said explicitly: the documented admin key works without ADMIN_API_KEY
    # (outside development the gateway and the services refuse development secrets).
    env.setdefault("AFTERSALES_ENV", "development")
    # One secret per run shared by gateway and services, unless the operator fixes one.
    env.setdefault("INTERNAL_TOKEN", secrets.token_urlsafe(32))
    # Development: a station's webhook may be a local test receiver (docs/servicedesk.md).
    env.setdefault("WEBHOOK_ALLOW_PRIVATE", "1")
    for name, port in DEFAULT_PORTS.items():
        env.setdefault(f"{name.upper()}_PORT", str(port))
    return env


def migrate(env: dict[str, str]) -> None:
    """Every process's migrations, under the migration lock (deploy/migrate_locked.py): two starts
    at once migrate one after the other, and the second finds nothing to do."""
    from deploy.migrate_locked import migrate_locked  # it imports this module

    migrate_locked(env, lambda: migrate_all(env), lambda message: print(f"migrate: {message}", flush=True))


def migrate_all(env: dict[str, str]) -> None:
    data_dir = Path(env["DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in ("gateway", *SERVICES):
        url, schema = database_url_for(name, data_dir)
        migrations.upgrade(name, url, schema)
        print(f"migrated {name}", flush=True)


def fresh_metrics_dir(name: str, env: dict[str, str]) -> Path:
    """The service's own PROMETHEUS_MULTIPROC_DIR, emptied: figures of a previous run must not be added in."""
    path = Path(env.get("METRICS_DIR") or Path(env["DATA_DIR"]) / "metrics") / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def start(name: str, env: dict[str, str]) -> subprocess.Popen:
    env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(fresh_metrics_dir(name, env))}
    port = env[f"{name.upper()}_PORT"]
    workers = env.get(f"{name.upper()}_WORKERS", "1")
    command = [
        sys.executable, "-m", "uvicorn", APPS[name], "--factory",
        "--host", "127.0.0.1", "--port", port, "--workers", workers,
        "--no-access-log", "--log-level", "warning", "--timeout-graceful-shutdown", "5",
        # What the HTTP parser refuses (a raw control character in the target) is a problem+json 400 too.
        "--http", HTTP_PROTOCOL,
    ]
    if name == "gateway":
        # X-Forwarded-* are believed from TRUSTED_PROXIES alone (gateway/forwarded.py), not by uvicorn.
        command.append("--no-proxy-headers")
    return subprocess.Popen(command, env=env)


def stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# While `make run` runs, its process id is here: `aftersales restore` refuses to replace files in use.
PID_FILE = "run.pid"


def main() -> int:
    env = environment()
    os.environ.update({k: env[k] for k in ("DATA_DIR",)})
    from deploy.migrate_locked import Timeout

    try:
        migrate(env)
    except Timeout as exc:
        print(f"migrate: {exc}", file=sys.stderr, flush=True)
        return 1
    pid_file = Path(env["DATA_DIR"]) / PID_FILE
    pid_file.write_text(f"{os.getpid()}\n")
    try:
        return serve(env)
    finally:
        pid_file.unlink(missing_ok=True)


def serve(env: dict[str, str]) -> int:
    stopping = False

    def on_signal(signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    processes = {name: start(name, env) for name in (*SERVICES, "gateway")}
    print(f"gateway on http://127.0.0.1:{env['GATEWAY_PORT']} (Ctrl-C stops everything)", flush=True)
    status = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"{name} exited with {process.returncode}; stopping the rest", file=sys.stderr)
                stopping, status = True, 1
                break
        time.sleep(0.2)
    stop(processes)
    return status


if __name__ == "__main__":
    sys.exit(main())
