"""kustomize_lite on small kustomizations: each feature it claims, and a refusal
for what it does not do (so a new feature in deploy/k8s cannot be silently ignored)."""

import subprocess
import textwrap

import pytest
import yaml
from k8s_support import kubectl
from kustomize_lite import UnsupportedFeature, identity, merge, render, split_image

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers: [{name: init, image: "app:1"}]
      containers:
        - name: web
          image: app:1
          args: ["--a"]
          env: [{name: A, value: "1"}, {name: B, value: "2"}]
        - {name: sidecar, image: "other/proxy:2"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {X: y}
"""


def same_as_kubectl(directory):
    """Where kubectl is installed, the real kustomize renders the same."""
    if not kubectl():
        return
    out = subprocess.run([kubectl(), "kustomize", str(directory)], capture_output=True, text=True, check=True,
                         timeout=120).stdout
    real = [d for d in yaml.safe_load_all(out) if d]
    mine = render(directory)
    assert sorted(mine, key=identity) == sorted(real, key=identity)


def write(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_an_overlay_over_a_base(tmp_path):
    write(tmp_path, {
        "base/app.yaml": DEPLOYMENT,
        "base/kustomization.yaml": """
            resources: [app.yaml]
            labels: [{pairs: {team: a}, includeTemplates: true}]
        """,
        "prod/kustomization.yaml": """
            namespace: prod
            resources: [../base]
            labels: [{pairs: {env: prod}}]
            images: [{name: app, newName: reg.example/app, newTag: "2.0"}]
            replicas: [{name: web, count: 3}]
            patches:
              - path: delete-secret.yaml
              - patch: |
                  apiVersion: apps/v1
                  kind: Deployment
                  metadata: {name: web}
                  spec:
                    template:
                      spec:
                        containers:
                          - name: web
                            args: ["--b"]
                            env: [{name: B, value: "3"}, {name: C, value: "4"}]
        """,
        "prod/delete-secret.yaml": """
            $patch: delete
            apiVersion: v1
            kind: Secret
            metadata: {name: creds}
        """,
    })
    [deployment] = render(tmp_path / "prod")
    assert deployment["metadata"] == {"name": "web", "namespace": "prod",
                                      "labels": {"app": "web", "team": "a", "env": "prod"}}
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "web"}}  # selectors untouched
    assert deployment["spec"]["template"]["metadata"]["labels"] == {"app": "web", "team": "a"}
    assert deployment["spec"]["replicas"] == 3
    pod = deployment["spec"]["template"]["spec"]
    assert pod["initContainers"][0]["image"] == "reg.example/app:2.0"
    web, sidecar = pod["containers"]
    assert web["image"] == "reg.example/app:2.0" and sidecar["image"] == "other/proxy:2"
    assert web["args"] == ["--b"]  # a plain list is replaced
    # kustomize's order: the patch's items first, then the others.
    assert web["env"] == [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}, {"name": "A", "value": "1"}]
    same_as_kubectl(tmp_path / "prod")


def test_a_component_adds_and_patches(tmp_path):
    write(tmp_path, {
        "base/app.yaml": DEPLOYMENT,
        "base/kustomization.yaml": "resources: [app.yaml]\n",
        "extra/kustomization.yaml": """
            apiVersion: kustomize.config.k8s.io/v1alpha1
            kind: Component
            resources: [cm.yaml]
            patches: [{path: p.yaml}]
        """,
        "extra/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {k: v}\n",
        "extra/p.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: {X: null, Z: z}\n",
        "site/kustomization.yaml": "resources: [../base]\ncomponents: [../extra]\n",
    })
    resources = {r["kind"]: r for r in render(tmp_path / "site")}
    assert resources["ConfigMap"]["data"] == {"k": "v"}
    assert resources["Secret"]["stringData"] == {"Z": "z"}  # null removes a field
    same_as_kubectl(tmp_path / "site")


def test_merge_keys_and_replacement():
    base = {"volumes": [{"name": "a", "emptyDir": {}}], "volumeMounts": [{"mountPath": "/x", "name": "a"}],
            "ports": [{"containerPort": 1}]}
    patch = {"volumes": [{"name": "b", "emptyDir": {}}], "volumeMounts": [{"mountPath": "/x", "readOnly": True}],
             "ports": [{"containerPort": 2}]}
    assert merge(base, patch) == {
        "volumes": [{"name": "b", "emptyDir": {}}, {"name": "a", "emptyDir": {}}],
        "volumeMounts": [{"mountPath": "/x", "name": "a", "readOnly": True}],
        "ports": [{"containerPort": 2}],
    }
    assert base["volumes"] == [{"name": "a", "emptyDir": {}}]  # the inputs are left alone


@pytest.mark.parametrize(("image", "parts"), [
    ("app", ("app", None, None)),
    ("app:1.0", ("app", "1.0", None)),
    ("reg:5000/team/app:1.0", ("reg:5000/team/app", "1.0", None)),
    ("reg:5000/app", ("reg:5000/app", None, None)),
    ("app@sha256:ab", ("app", None, "sha256:ab")),
    ("app:1@sha256:ab", ("app", "1", "sha256:ab")),
])
def test_image_references(image, parts):
    assert split_image(image) == parts


@pytest.mark.parametrize("kustomization", [
    "resources: [app.yaml]\nnamePrefix: x-\n",
    "resources: [app.yaml]\nconfigMapGenerator: [{name: c, literals: [a=b]}]\n",
    "resources: [app.yaml]\nlabels: [{pairs: {a: b}, includeSelectors: true}]\n",
    "resources: [app.yaml]\npatches: [{path: p.yaml, target: {kind: Deployment}}]\n",
])
def test_what_it_does_not_do_is_refused(tmp_path, kustomization):
    write(tmp_path, {"app.yaml": DEPLOYMENT, "kustomization.yaml": kustomization, "p.yaml": "{}"})
    with pytest.raises(UnsupportedFeature):
        render(tmp_path)


def test_a_patch_that_matches_nothing_is_an_error(tmp_path):
    write(tmp_path, {
        "app.yaml": DEPLOYMENT,
        "p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: nope}\n",
        "kustomization.yaml": "resources: [app.yaml]\npatches: [{path: p.yaml}]\n",
    })
    with pytest.raises(ValueError, match="matches 0"):
        render(tmp_path)
