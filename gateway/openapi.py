"""The merged contract: every service's paths under its prefix, its schemas
renamed with the service's name so that two services never collide."""

import asyncio
import json

import httpx

SECURITY_SCHEMES = {
    "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "Bearer": {"type": "http", "scheme": "bearer"},
}


def _rename_refs(node, prefix: str):
    if isinstance(node, dict):
        return {
            k: (v.replace("#/components/schemas/", f"#/components/schemas/{prefix}")
                if k == "$ref" and isinstance(v, str) else _rename_refs(v, prefix))
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
    for name, spec in services.items():
        prefix = name.capitalize()
        spec = _rename_refs(spec, prefix)
        for path, item in spec.get("paths", {}).items():
            for operation in item.values():
                if isinstance(operation, dict):
                    operation.setdefault("tags", [name])
            paths[f"/{name}{path}"] = item
        for schema_name, schema in spec.get("components", {}).get("schemas", {}).items():
            schemas[f"{prefix}{schema_name}"] = schema
    return merged


async def fetch_all(upstreams: dict[str, httpx.AsyncClient]) -> dict[str, dict]:
    async def one(name: str, client: httpx.AsyncClient):
        response = await client.get("/openapi.json", timeout=5.0)
        response.raise_for_status()
        return name, response.json()

    results = await asyncio.gather(*(one(n, c) for n, c in upstreams.items()))
    return dict(results)
