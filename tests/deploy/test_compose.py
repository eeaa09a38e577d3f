"""docker-compose.yml, checked without a Docker daemon: it parses, it is valid
Compose (the vendored compose-spec schema; also `docker compose config` where
the client has the compose plugin), every process is in it with a health check
on /readyz, and it holds no secret."""

import json
import os
import re
import shutil
import subprocess

import jsonschema
import pytest
import yaml
from compose_support import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    PROCESSES,
    ROOT,
    SERVICES,
    MissingVariable,
    connections_per_process,
    interpolate,
    read_env_file,
    variables,
)

SCHEMA = json.loads((ROOT / "deploy" / "schemas" / "compose-spec.json").read_text(encoding="utf-8"))
SECRETS = ("ADMIN_API_KEY", "INTERNAL_TOKEN", "POSTGRES_PASSWORD")


@pytest.fixture(scope="module")
def text() -> str:
    return COMPOSE_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def example_env() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


@pytest.fixture(scope="module")
def config(text, example_env) -> dict:
    """The file as Compose runs it, with the example's settings."""
    return yaml.safe_load(interpolate(text, example_env))


def schema_errors(document: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_the_file_as_written_is_valid_compose(text):
    assert schema_errors(yaml.safe_load(text)) == []


def test_the_file_with_the_example_settings_is_valid_compose(config):
    assert schema_errors(config) == []


def test_the_schema_catches_a_mistake(config):
    broken = json.loads(json.dumps(config))
    broken["services"]["gateway"]["healthcheck"]["retrys"] = 3
    broken["services"]["warranty"]["depends_on"]["migrate"]["condition"] = "service_finished"
    assert len(schema_errors(broken)) == 2


def compose_plugin() -> bool:
    if not shutil.which("docker"):
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
    return probe.returncode == 0


@pytest.mark.skipif(not compose_plugin(), reason="the docker client here has no compose plugin; the schema checks it")
def test_docker_compose_config_accepts_it():
    result = subprocess.run(
        ["docker", "compose", "--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_every_process_runs_its_app_on_its_port(config):
    services = config["services"]
    assert {"postgres", "migrate", *PROCESSES} <= set(services)
    for name, (port, app) in PROCESSES.items():
        command = services[name]["command"]
        assert command[:3] == ["uvicorn", app, "--factory"], name
        assert command[command.index("--port") + 1] == str(port), name
        assert command[command.index("--host") + 1] == "0.0.0.0", name
        assert command[command.index("--workers") + 1].isdigit(), name
        module = ROOT / (app.split(":")[0].replace(".", "/") + ".py")
        if module.parent.is_dir():  # servicedesk arrives with its own branch
            assert module.is_file(), module


def test_workers_come_from_the_environment(text):
    for name in PROCESSES:
        assert f'"--workers", "${{{name.upper()}_WORKERS:-' in text, name


def test_every_process_has_a_health_check_on_its_readyz(config):
    for name, (port, _app) in PROCESSES.items():
        check = config["services"][name]["healthcheck"]
        assert check["test"][0] == "CMD"
        assert f"http://127.0.0.1:{port}/readyz" in " ".join(check["test"]), name
        assert check["retries"] >= 1


def test_the_health_check_command_fails_on_an_unready_answer(tmp_path):
    """The check is Python's urlopen, which raises (exit 1) on a 503: shown against a real server."""
    import http.server
    import threading

    class NotReady(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(503 if self.path == "/readyz" else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotReady)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        test = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["warranty"]["healthcheck"]["test"]
        code = test[3].replace("127.0.0.1:8001", f"127.0.0.1:{server.server_port}")
        failed = subprocess.run(["python3", "-c", code], capture_output=True, timeout=30)
        healthy = subprocess.run(["python3", "-c", code.replace("/readyz", "/healthz")],
                                 capture_output=True, timeout=30)
    finally:
        server.shutdown()
    assert failed.returncode != 0
    assert healthy.returncode == 0


def test_processes_start_after_the_migrations_and_the_database(config):
    services = config["services"]
    assert services["postgres"]["image"].split(":")[1].startswith("16")
    assert "healthcheck" in services["postgres"]
    assert services["migrate"]["command"] == ["python", "-m", "scripts.migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    for name in PROCESSES:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    for name in SERVICES:
        assert services["gateway"]["depends_on"][name]["condition"] == "service_healthy"


def test_processes_find_each_other_and_the_database(config):
    for name in ("migrate", *PROCESSES):
        env = config["services"][name]["environment"]
        for other, (port, _app) in PROCESSES.items():
            assert env[f"{other.upper()}_URL"] == f"http://{other}:{port}"
        assert re.fullmatch(r"postgresql://aftersales:[^@]+@postgres:5432/aftersales", env["DATABASE_URL"])
        assert env["INTERNAL_TOKEN"] and env["ADMIN_API_KEY"]


def test_only_the_gateway_is_published(config):
    published = {name for name, service in config["services"].items() if service.get("ports")}
    assert published == {"gateway"}
    assert config["services"]["gateway"]["ports"] == ["127.0.0.1:8000:8000"]


def test_processes_run_read_only_without_privileges(config):
    for name in ("migrate", *PROCESSES):
        service = config["services"][name]
        assert service["read_only"] is True and "/tmp" in service["tmpfs"], name
        assert service["cap_drop"] == ["ALL"], name


def test_no_secret_is_written_in_the_file(text):
    from gateway.config import DEV_ADMIN_API_KEY
    from shared.settings import DEV_INTERNAL_TOKEN

    for literal in (DEV_ADMIN_API_KEY, DEV_INTERNAL_TOKEN, "change-me", "aftersales:aftersales@"):
        assert literal not in text
    document = yaml.safe_load(text)
    for name, service in document["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("PASSWORD", "TOKEN", "KEY", "SECRET")):
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", str(value)), f"{name}.{key} = {value!r}"
        url = (service.get("environment") or {}).get("DATABASE_URL")
        if url:
            password = url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
            assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?[^}]+\}", password)


def test_a_missing_secret_stops_compose_with_a_message(text, example_env):
    for secret in SECRETS:
        env = {k: v for k, v in example_env.items() if k != secret}
        with pytest.raises(MissingVariable, match=f"{secret}: set {secret} in .env"):
            interpolate(text, env)


def test_every_variable_is_in_the_example_or_has_a_default(text, example_env):
    for name, op, _arg in variables(text):
        assert name in example_env or op in (":-", "-"), name
    for secret in SECRETS:
        assert example_env[secret] == "change-me"  # placeholders only; make up writes real ones


def test_the_image_runs_as_a_numeric_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users, "the image must name its user"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) > 0
    assert f"--uid {uid}" in dockerfile


def test_the_image_leaves_out_secrets_tests_and_data():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".env", ".git", ".venv", "tests", "data"):
        assert entry in ignored


def test_make_up_and_down_use_this_file():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    up = makefile.split("\nup:", 1)[1].split("\n\n", 1)[0]
    down = makefile.split("\ndown:", 1)[1].split("\n\n", 1)[0]
    assert "deploy/compose/init_env.py" in up and "up --detach --build --wait" in up
    assert "$(COMPOSE) down" in down
    assert os.path.basename(COMPOSE_FILE) == "docker-compose.yml"  # the name compose finds by itself


def test_postgres_admits_every_connection_the_processes_may_open(config, example_env):
    per_process = connections_per_process()
    command = config["services"]["postgres"]["command"]
    allowed = int(next(c.split("=")[1] for c in command if c.startswith("max_connections=")))
    processes = sum(int(example_env[f"{name.upper()}_WORKERS"]) for name in PROCESSES)
    assert processes * per_process + 1 + 3 <= allowed
