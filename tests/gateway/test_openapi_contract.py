"""The merged contract tells the truth: one Problem schema, every error status
an operation can answer, names a person would write, examples that are valid,
a spec that validates and a client generated from it without a warning; and
/docs that needs nothing from the internet."""

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from openapi_spec_validator import validate

from gateway import config
from gateway import openapi as merging
from gateway.main import create_app
from shared import settings

ROOT = Path(__file__).resolve().parents[2]
CLIENT_CONFIG = ROOT / "docs" / "client-config.yaml"
PROBLEM_REF = "#/components/schemas/Problem"
CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]+$")
EVERY_SERVICE_OPERATION = {"401", "403", "429", "503", "504"}


def service_specs() -> dict[str, dict]:
    specs = {}
    for name in settings.SERVICES:
        module = importlib.import_module(f"services.{name}.main")
        specs[name] = module.create_app(settings.load(name, database_url="sqlite://")).openapi()
    return specs


@pytest.fixture(scope="module")
def specs() -> dict[str, dict]:
    return service_specs()


@pytest.fixture(scope="module")
def merged(specs) -> dict:
    gateway = create_app(config.load(database_url="sqlite://", admin_api_key="contract-test-key"))
    return merging.merge(gateway.app.openapi(), specs)


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                yield path, method, op


def validator_for(merged: dict, schema: dict) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({**schema, "components": merged["components"]})


def test_the_merged_contract_and_every_service_contract_validate(merged, specs):
    validate(merged)
    for spec in specs.values():
        validate(spec)


def test_no_fastapi_validation_error_is_left_anywhere(merged, specs):
    for spec in (merged, *specs.values()):
        text = json.dumps(spec)
        assert "HTTPValidationError" not in text and "ValidationError" not in text


def test_one_problem_schema_with_the_fields_every_problem_carries(merged):
    schemas = merged["components"]["schemas"]
    assert [name for name in schemas if name.endswith("Problem")] == ["Problem"]
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code", "request_id"}
    assert problem["additionalProperties"] is True  # extras such as `shortages`
    assert schemas["FieldError"]["required"] == ["field", "message"]
    for example in problem["examples"]:
        validator_for(merged, {"$ref": PROBLEM_REF}).validate(example)


def test_every_error_answer_is_a_problem_and_every_operation_lists_the_ones_it_can_meet(merged):
    for path, method, op in operations(merged):
        where = f"{method.upper()} {path}"
        statuses = set(op["responses"])
        for status, response in op["responses"].items():
            if status >= "400":
                assert list(response["content"]) == ["application/problem+json"], where
                assert response["content"]["application/problem+json"]["schema"] == {"$ref": PROBLEM_REF}, where
                assert response["x-problem-codes"], f"{where} {status} names no code"
                assert all(f"`{code}`" in response["description"] for code in response["x-problem-codes"]), where
        assert {"401", "403", "429"} <= statuses, where
        if path.split("/")[1] in settings.SERVICES:  # the gateway's own (/admin/..., /metrics) call no service
            assert statuses >= EVERY_SERVICE_OPERATION, where
        if "{" in path:
            assert "404" in statuses, where
        if op.get("parameters") or "requestBody" in op:
            assert "422" in statuses, where
        if "requestBody" in op:
            assert "413" in statuses, where
        if any(p["name"] == "Idempotency-Key" for p in op.get("parameters", [])):
            assert "409" in statuses and "idempotency_key_reused" in op["responses"]["422"]["x-problem-codes"], where


def test_the_codes_the_spec_promises_are_listed_where_it_promises_them(merged):
    def codes(path, method, status):
        return merged["paths"][path][method]["responses"][status]["x-problem-codes"]

    assert "unit_exists" in codes("/warranty/units", "post", "409")
    assert "unit_not_found" in codes("/warranty/units/{serial}/coverage", "get", "404")
    assert "insufficient_stock" in codes("/inventory/reservations", "post", "409")
    assert "reservation_not_active" in codes("/inventory/reservations/{reservation_id}/consume", "post", "409")
    assert "invalid_invoice_state" in codes("/billing/invoices/{number}/pay", "post", "409")
    assert "below_legal_minimum" in codes("/warranty/policy", "put", "422")


def test_operation_ids_and_summaries_are_ones_a_person_would_write(merged):
    ids = [op["operationId"] for _, _, op in operations(merged)]
    assert len(ids) == len(set(ids))
    for path, method, op in operations(merged):
        assert CAMEL.match(op["operationId"]), op["operationId"]
        summary = op["summary"]
        # FastAPI's default is the function name in Title Case ("Get Coverage").
        assert summary and (len(summary.split()) == 1 or summary != summary.title()), f"{method.upper()} {path}"
    coverage = merged["paths"]["/warranty/units/{serial}/coverage"]["get"]
    assert (coverage["operationId"], coverage["summary"]) == ("getCoverage", "Coverage of a unit on a day")
    assert merged["paths"]["/admin/api-keys"]["post"]["operationId"] == "createApiKey"


def test_every_request_body_has_a_valid_example_and_so_do_the_main_answers(merged):
    answered = 0
    for path, method, op in operations(merged):
        for media_type, media in op.get("requestBody", {}).get("content", {}).items():
            assert "example" in media, f"{method.upper()} {path} {media_type}"
            validator_for(merged, media["schema"]).validate(media["example"])
        for status, response in op["responses"].items():
            for media in response.get("content", {}).values():
                if "example" in media:
                    validator_for(merged, media["schema"]).validate(media["example"])
                    answered += status.startswith("2")
                elif status == "201":
                    raise AssertionError(f"{method.upper()} {path}: what it creates has no example")
    assert answered >= 35


def test_the_import_says_in_its_schema_that_bad_rows_are_reported_not_refused(merged):
    body = merged["paths"]["/warranty/units/import"]["post"]["requestBody"]["content"]
    items = body["application/json"]["schema"]["items"]
    assert {} in items["anyOf"] and "not refused" in items["description"]
    assert "text/csv" in body


def test_a_client_generated_from_the_merged_contract_has_no_warning(merged, tmp_path):
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(merged))
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    result = subprocess.run(
        [os.path.join(bin_dir, "openapi-python-client"), "generate", "--path", str(spec), "--meta", "none",
         "--config", str(CLIENT_CONFIG), "--output-path", str(tmp_path / "client")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower() and "error" not in output.lower(), output
    package = tmp_path / "client"
    assert (package / "models" / "problem.py").exists()
    coverage = (package / "api" / "units" / "get_coverage.py").read_text()
    for status in ("401", "403", "404", "422", "429", "503", "504"):
        assert f"response_{status} = Problem.from_dict(response.json())" in coverage, status


@pytest.mark.anyio
async def test_docs_load_swagger_ui_from_the_gateway_only(gateway):
    page = await gateway.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.text)
    assert urls, page.text
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "cdn" not in page.text.lower() and "http://" not in page.text and "https://" not in page.text
    assets = [u for u in urls if u.startswith("/docs/")]
    assert {"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"} <= set(assets)
    for url in assets:  # no API key: as open as /docs itself
        response = await gateway.get(url)
        assert response.status_code == 200, url
        assert len(response.content) > 1000
    assert (await gateway.get("/docs/swagger-ui-bundle.js")).headers["content-type"].startswith("text/javascript")
    missing = await gateway.get("/docs/nothing.js")
    assert missing.status_code == 401  # only the listed files are open; anything else needs a key
