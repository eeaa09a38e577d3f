"""A small kustomize for the features deploy/k8s uses, so that CI renders and
validates the manifests even where no kustomize or kubectl binary is installed.

Supported, in kustomize's meaning: `resources` (YAML files and directories
holding a kustomization), `components` (kind Component), `namespace`, `labels`
(`pairs`, `includeTemplates`), `images` (`name`, `newName`, `newTag`, `digest`),
`replicas`, and `patches` given by `path` or inline `patch` as strategic merge
patches found by apiVersion, kind and name (`$patch: delete` removes the
resource; a null value removes a field; lists of containers, init containers,
env, volumes and image pull secrets merge by `name`, volume mounts by
`mountPath`, the patch's items first as kustomize orders them; any other list
is replaced). Anything else in a kustomization is
refused (UnsupportedFeature), never ignored. Output order differs from
kustomize's; tests compare by identity. Where kubectl is installed,
tests/deploy/test_k8s.py checks that this renders exactly what
`kubectl kustomize` does.
"""

import copy
from pathlib import Path

import yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED = {"apiVersion", "kind", "resources", "components", "namespace", "labels", "images",
             "replicas", "patches"}
MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
              "imagePullSecrets": "name", "volumeMounts": "mountPath"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                  "PersistentVolume", "StorageClass", "PriorityClass", "IngressClass"}
TEMPLATED = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
SCALABLE = {"Deployment", "StatefulSet", "ReplicaSet"}


class UnsupportedFeature(Exception):
    pass


def identity(resource: dict) -> tuple[str, str, str]:
    return resource["apiVersion"], resource["kind"], resource["metadata"]["name"]


def render(directory: Path | str) -> list[dict]:
    """The resources `kubectl kustomize <directory>` would print."""
    return _build(Path(directory), expect_kind="Kustomization", resources=[])


def _read_kustomization(directory: Path) -> dict:
    for name in KUSTOMIZATION_FILES:
        if (directory / name).is_file():
            return yaml.safe_load((directory / name).read_text(encoding="utf-8")) or {}
    raise FileNotFoundError(f"no kustomization in {directory}")


def _load_documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _build(directory: Path, expect_kind: str, resources: list[dict]) -> list[dict]:
    spec = _read_kustomization(directory)
    kind = spec.get("kind", "Kustomization")
    if kind != expect_kind:
        raise UnsupportedFeature(f"{directory}: a {kind} where a {expect_kind} was expected")
    unknown = set(spec) - SUPPORTED
    if unknown:
        raise UnsupportedFeature(f"{directory}: {sorted(unknown)}")
    for entry in spec.get("resources", []):
        target = directory / entry
        if target.is_dir():
            _add(resources, render(target))
        else:
            _add(resources, _load_documents(target))
    for entry in spec.get("components", []):
        resources = _build(directory / entry, "Component", resources)
    for patch in spec.get("patches", []):
        resources = _apply_patch(resources, _patch_documents(directory, patch))
    namespace = spec.get("namespace")
    for resource in resources:
        if namespace and resource["kind"] not in CLUSTER_SCOPED:
            resource["metadata"]["namespace"] = namespace
        for entry in spec.get("labels", []):
            _add_labels(resource, entry)
        for image in spec.get("images", []):
            _set_image(resource, image)
        for replicas in spec.get("replicas", []):
            if resource["kind"] in SCALABLE and resource["metadata"]["name"] == replicas["name"]:
                resource["spec"]["replicas"] = replicas["count"]
    return resources


def _add(resources: list[dict], new: list[dict]) -> None:
    seen = {identity(r) for r in resources}
    for resource in new:
        if identity(resource) in seen:
            raise ValueError(f"{identity(resource)} is defined twice")
        seen.add(identity(resource))
        resources.append(copy.deepcopy(resource))


def _patch_documents(directory: Path, entry: dict) -> list[dict]:
    if set(entry) - {"path", "patch"}:
        raise UnsupportedFeature(f"patch options {sorted(set(entry) - {'path', 'patch'})}")
    if "path" in entry:
        return _load_documents(directory / entry["path"])
    return [d for d in yaml.safe_load_all(entry["patch"]) if d]


def _apply_patch(resources: list[dict], patches: list[dict]) -> list[dict]:
    for patch in patches:
        matches = [r for r in resources if identity(r) == identity(patch)]
        if len(matches) != 1:
            raise ValueError(f"patch {identity(patch)} matches {len(matches)} resources")
        if patch.get("$patch") == "delete":
            resources = [r for r in resources if r is not matches[0]]
        else:
            merged = merge(matches[0], patch)
            resources = [merged if r is matches[0] else r for r in resources]
    return resources


def merge(base, patch, field: str | None = None):
    """A strategic merge patch of `patch` onto `base` (a copy is returned)."""
    if isinstance(patch, dict) and isinstance(base, dict):
        if "$patch" in patch:
            raise UnsupportedFeature(f"$patch: {patch['$patch']} inside a resource")
        result = copy.deepcopy(base)
        for key, value in patch.items():
            if value is None:
                result.pop(key, None)
            elif key in result:
                result[key] = merge(result[key], value, key)
            else:
                result[key] = copy.deepcopy(value)
        return result
    if isinstance(patch, list) and isinstance(base, list) and field in MERGE_KEYS:
        # As kustomize orders them: the patch's items (merged into their namesakes), then the rest.
        key = MERGE_KEYS[field]
        patched = {item.get(key) for item in patch}
        result = []
        for item in patch:
            old = next((o for o in base if o.get(key) == item.get(key)), None)
            result.append(copy.deepcopy(item) if old is None else merge(old, item))
        return result + [copy.deepcopy(o) for o in base if o.get(key) not in patched]
    return copy.deepcopy(patch)


def _pod_templates(resource: dict) -> list[dict]:
    if resource["kind"] in TEMPLATED:
        return [resource["spec"]["template"]]
    if resource["kind"] == "CronJob":
        return [resource["spec"]["jobTemplate"]["spec"]["template"]]
    return []


def _add_labels(resource: dict, entry: dict) -> None:
    if set(entry) - {"pairs", "includeTemplates", "includeSelectors"} or entry.get("includeSelectors"):
        raise UnsupportedFeature(f"labels options {entry}")
    pairs = entry.get("pairs", {})
    resource["metadata"].setdefault("labels", {}).update(pairs)
    if entry.get("includeTemplates"):
        for template in _pod_templates(resource):
            template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """`registry:5000/team/app:1.2@sha256:...` as its name, tag and digest."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        tag = last.split(":", 1)[1]
        name = name[: -(len(tag) + 1)]
    return name, tag, digest or None


def _set_image(resource: dict, entry: dict) -> None:
    if set(entry) - {"name", "newName", "newTag", "digest"}:
        raise UnsupportedFeature(f"images options {entry}")
    for template in _pod_templates(resource):
        spec = template.get("spec", {})
        for container in spec.get("initContainers", []) + spec.get("containers", []):
            name, tag, digest = split_image(container.get("image", ""))
            if name != entry["name"]:
                continue
            new = entry.get("newName", name)
            if "digest" in entry:
                container["image"] = f"{new}@{entry['digest']}"
            elif "newTag" in entry:
                container["image"] = f"{new}:{entry['newTag']}"
            else:
                container["image"] = new + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
