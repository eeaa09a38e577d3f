"""The merged contract: every service's paths under its prefix, its schemas
renamed with the service's name so that two services never collide (all but
the shared ones, `Problem` and its parts, kept once), and the gateway's own
refusals (401, 403, 429) on every operation."""

import asyncio
import json

import httpx

from shared import openapi as contract

SECURITY_SCHEMES = {
    "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "Bearer": {"type": "http", "scheme": "bearer"},
}


GATEWAY_ERRORS = {status: contract.ALWAYS_CODES[status] for status in (401, 403, 429)}
SCHEMA_REF = "#/components/schemas/"


def _renamed(ref: str, prefix: str) -> str:
    if not ref.startswith(SCHEMA_REF) or ref[len(SCHEMA_REF):] in contract.SHARED_SCHEMAS:
        return ref
    return SCHEMA_REF + prefix + ref[len(SCHEMA_REF):]


def _rename_refs(node, prefix: str):
    if isinstance(node, dict):
        return {
            k: (_renamed(v, prefix) if k == "$ref" and isinstance(v, str) else _rename_refs(v, prefix))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rename_refs(v, prefix) for v in node]
    return node


def merge(own: dict, services: dict[str, dict]) -> dict:
    merged = json.loads(json.dumps(own))
    merged["info"] = {"title": "After-sales platform API", "version": own.get("info", {}).get("version", "1")}
    paths = merged.setdefault("paths", {})
    schemas = merged.setdefault("components", {}).setdefault("schemas", {})
    merged["components"]["securitySchemes"] = SECURITY_SCHEMES
    merged["security"] = [{"ApiKey": []}, {"Bearer": []}]
    taken = {op["operationId"] for item in paths.values() for op in _operations(item) if "operationId" in op}
    for name, spec in services.items():
        prefix = name.capitalize()
        spec = _rename_refs(spec, prefix)
        for path, item in spec.get("paths", {}).items():
            for operation in _operations(item):
                operation.setdefault("tags", [name])
                contract.add_errors(operation, GATEWAY_ERRORS)
                # Two services may name an operation alike; the merged contract keeps ids unique.
                operation_id = operation.get("operationId")
                if operation_id is None:
                    continue
                if operation_id in taken:
                    operation["operationId"] = operation_id = contract.camel_case(f"{name}_{operation_id}")
                taken.add(operation_id)
            paths[f"/{name}{path}"] = item
        for schema_name, schema in spec.get("components", {}).get("schemas", {}).items():
            if schema_name in contract.SHARED_SCHEMAS:
                schemas[schema_name] = schema
                continue
            # Generated clients name classes after the title: it must be unique too.
            schemas[f"{prefix}{schema_name}"] = {**schema, "title": f"{prefix}{schema_name}"}
    merged["components"]["schemas"] = dict(sorted(schemas.items()))
    return merged


def _operations(item: dict) -> list[dict]:
    return [op for method, op in item.items() if method in contract.METHODS and isinstance(op, dict)]


async def fetch_all(upstreams: dict[str, httpx.AsyncClient]) -> dict[str, dict]:
    async def one(name: str, client: httpx.AsyncClient):
        response = await client.get("/openapi.json", timeout=5.0)
        response.raise_for_status()
        return name, response.json()

    results = await asyncio.gather(*(one(n, c) for n, c in upstreams.items()))
    return dict(results)
