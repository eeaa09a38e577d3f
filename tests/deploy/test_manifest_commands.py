"""The commands and environment written in docker-compose.yml and in the rendered
Kubernetes manifests, run here as plain processes (no Docker here): they migrate,
start, pass their own health checks, and serve through the gateway. Only what a
container would change is changed: ports (free ones on 127.0.0.1, not 0.0.0.0),
the addresses of the others, the secrets, and DATA_DIR."""

import os
import subprocess
import sys
import time
import uuid

import httpx
import pytest
import yaml
from compose_support import COMPOSE_FILE, ENV_EXAMPLE, PROCESSES, ROOT, interpolate, read_env_file
from k8s_support import by_kind, rendered
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from helpers import free_port

pytestmark = pytest.mark.e2e

PRESENT = [name for name, (_port, app) in PROCESSES.items()
           if (ROOT / (app.split(":")[0].replace(".", "/") + ".py")).is_file()]
ADMIN_KEY = f"admin-{uuid.uuid4().hex}"
SECRETS = {"ADMIN_API_KEY": ADMIN_KEY, "INTERNAL_TOKEN": f"token-{uuid.uuid4().hex}"}


@pytest.fixture
def database(tmp_path):
    """A fresh PostgreSQL database when TEST_DATABASE_URL is set, else None (SQLite under DATA_DIR)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield None
        return
    server = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"deploy_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def localise(command: list[str], env: dict[str, str], ports: dict[str, int], tmp_path, database):
    """The container's command and environment, pointed at this machine."""
    command = list(command)
    if command[0] == "uvicorn":
        command = [sys.executable, "-m", "uvicorn", *command[1:]]
    elif command[0] == "python":
        command = [sys.executable, *command[1:]]
    if "--host" in command:
        command[command.index("--host") + 1] = "127.0.0.1"
    if "--workers" in command:
        command[command.index("--workers") + 1] = "1"
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")} \
        | {k: str(v) for k, v in env.items()} | SECRETS
    env.pop("DATABASE_URL", None)
    if database:
        env["DATABASE_URL"] = database
    env["DATA_DIR"] = str(tmp_path / "data")
    for name, port in ports.items():
        env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
    return command, env


def start(name, command, env, ports) -> subprocess.Popen:
    command = list(command)
    command[command.index("--port") + 1] = str(ports[name])
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def until(check, what: str, processes: dict[str, subprocess.Popen], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}: {process.stderr.read()[-2000:]}")
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} not within {timeout} s")


def stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serves_through_the_gateway(port: int) -> None:
    answer = httpx.get(f"http://127.0.0.1:{port}/warranty/policy", headers={"X-API-Key": ADMIN_KEY}, timeout=10)
    assert answer.status_code == 200, answer.text
    refused = httpx.get(f"http://127.0.0.1:{port}/warranty/policy", timeout=10)
    assert refused.status_code == 401


def test_the_compose_file_as_processes(tmp_path, database):
    config = yaml.safe_load(interpolate(COMPOSE_FILE.read_text(encoding="utf-8"), read_env_file(ENV_EXAMPLE)))
    ports = {name: free_port() for name in PRESENT}
    migrate, env = localise(config["services"]["migrate"]["command"], config["services"]["migrate"]["environment"],
                            ports, tmp_path, database)
    done = subprocess.run(migrate, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]

    processes = {}
    try:
        checks = {}
        for name in PRESENT:
            service = config["services"][name]
            command, env = localise(service["command"], service["environment"], ports, tmp_path, database)
            processes[name] = start(name, command, env, ports)
            [kind, python, flag, code] = service["healthcheck"]["test"]
            assert (kind, python, flag) == ("CMD", "python", "-c")
            default = PROCESSES[name][0]
            checks[name] = [sys.executable, "-c", code.replace(f"127.0.0.1:{default}/", f"127.0.0.1:{ports[name]}/")]

        def healthy(name):
            return subprocess.run(checks[name], capture_output=True, timeout=30).returncode == 0

        for name in PRESENT:  # the gateway last: its readiness needs every service
            until(lambda name=name: healthy(name), f"{name}'s health check", processes)
        serves_through_the_gateway(ports["gateway"])
    finally:
        stop(processes)


def test_the_kubernetes_pods_as_processes(tmp_path, database):
    if database is None:
        pytest.skip("the pods run on PostgreSQL: set TEST_DATABASE_URL")
    resources = rendered("overlays/production")
    config = by_kind(resources, "ConfigMap")["aftersales-config"]["data"]
    ports = {name: free_port() for name in PRESENT}

    def pod(name):
        spec = by_kind(resources, "Deployment")[name]["spec"]["template"]["spec"]
        return spec["initContainers"][0], spec["containers"][0]

    def environment(container):
        env = dict(config)
        for entry in container.get("env", []):
            env[entry["name"]] = entry.get("value") or f"from-secret:{entry['valueFrom']['secretKeyRef']['key']}"
        return env

    # Every pod's init container at once, as when the Deployments are first applied.
    inits = {}
    for name in PRESENT:
        init, _ = pod(name)
        command, env = localise(init["command"], environment(init), ports, tmp_path / name, database)
        inits[name] = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
    outputs = {name: p.communicate(timeout=300)[0] for name, p in inits.items()}
    assert {name: p.returncode for name, p in inits.items()} == dict.fromkeys(PRESENT, 0), outputs

    processes = {}
    try:
        for name in PRESENT:
            _, container = pod(name)
            command, env = localise(container["command"], environment(container), ports, tmp_path / name, database)
            processes[name] = start(name, command, env, ports)

        def probe(name, kind):
            path = pod(name)[1][kind]["httpGet"]["path"]
            try:
                return httpx.get(f"http://127.0.0.1:{ports[name]}{path}", timeout=3).status_code == 200
            except httpx.HTTPError:
                return False

        for name in PRESENT:
            until(lambda name=name: probe(name, "readinessProbe"), f"{name}'s readiness", processes)
            assert probe(name, "livenessProbe")
        serves_through_the_gateway(ports["gateway"])
    finally:
        stop(processes)
