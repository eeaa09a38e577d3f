"""Rendering deploy/k8s (kubectl kustomize where installed, else kustomize_lite)
and validating the result in strict mode."""

import copy
import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import kustomize_lite
import yaml
from kubernetes_validate import utils as kv

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATIONS = ("base", "overlays/production", "overlays/production-cloudnative-pg")
# The oldest Kubernetes the manifests promise (docs/deploy.md) and the newest kubernetes-validate bundles.
K8S_VERSIONS = ("1.29.0", "1.37.0")
CRD_SCHEMAS = {("postgresql.cnpg.io/v1", "Cluster"): ROOT / "deploy" / "schemas" / "cnpg-cluster-v1.json"}


def kubectl() -> str | None:
    """A kubectl that can render kustomizations here, if any (KUBECTL=none: use kustomize_lite)."""
    if os.environ.get("KUBECTL") == "none":
        return None
    path = os.environ.get("KUBECTL") or shutil.which("kubectl")
    if not path:
        return None
    probe = subprocess.run([path, "kustomize", "--help"], capture_output=True, timeout=60)
    return path if probe.returncode == 0 else None


def render_with_kubectl(name: str) -> list[dict]:
    out = subprocess.run([kubectl(), "kustomize", str(K8S / name)], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@functools.cache
def _rendered(name: str) -> tuple[str, str]:
    if kubectl():
        return "kubectl", json.dumps(render_with_kubectl(name))
    return "kustomize_lite", json.dumps(kustomize_lite.render(K8S / name))


def rendered(name: str) -> list[dict]:
    return json.loads(_rendered(name)[1])


def renderer(name: str) -> str:
    return _rendered(name)[0]


def by_kind(resources: list[dict], kind: str) -> dict[str, dict]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def strict_crd_schema(schema):
    """The API server's strict field validation: an object that lists its properties and
    does not preserve unknown fields admits no other property."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if ("properties" in node and "additionalProperties" not in node
                    and not node.get("x-kubernetes-preserve-unknown-fields")):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


@functools.cache
def _crd_validator(api_version: str, kind: str):
    schema = json.loads(CRD_SCHEMAS[(api_version, kind)].read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(strict_crd_schema(schema))


def validation_errors(resource: dict, version: str) -> list[str]:
    """Strict schema errors of one resource: Kubernetes' own kinds by kubernetes-validate,
    custom resources by their vendored CRD schema."""
    key = (resource["apiVersion"], resource["kind"])
    if key in CRD_SCHEMAS:
        errors = _crd_validator(*key).iter_errors(resource)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    try:
        kv.validate(resource, version, strict=True)  # SchemaNotFoundError for a kind it does not know
    except kv.ValidationError as exc:
        return [f"{'/'.join(map(str, exc.absolute_path))}: {exc.message}"]
    return []
