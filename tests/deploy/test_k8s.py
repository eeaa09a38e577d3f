"""deploy/k8s rendered (base, production, production with CloudNativePG) and
validated against the Kubernetes schemas in strict mode, plus what the schemas
cannot say: every process is there with its probes, limits, non-root user,
disruption budget, and autoscaler where promised, and no secret is in the repository."""

import re

import kustomize_lite
import pytest
from compose_support import PROCESSES, SERVICES, connections_per_process
from k8s_support import (
    K8S_VERSIONS,
    KUSTOMIZATIONS,
    ROOT,
    by_kind,
    kubectl,
    render_with_kubectl,
    rendered,
    validation_errors,
)

PRODUCTION = ("overlays/production", "overlays/production-cloudnative-pg")
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_every_rendered_resource_is_valid_in_strict_mode(name, version):
    errors = {f"{r['kind']}/{r['metadata']['name']}": validation_errors(r, version) for r in rendered(name)}
    assert {k: v for k, v in errors.items() if v} == {}


def test_strict_validation_refuses_an_unknown_field():
    deployment = by_kind(rendered("base"), "Deployment")["gateway"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {"path": "/readyz"}
    assert validation_errors(deployment, K8S_VERSIONS[0])
    cluster = by_kind(rendered("overlays/production-cloudnative-pg"), "Cluster")["aftersales-db"]
    cluster["spec"]["storage"]["sise"] = "1Gi"
    assert validation_errors(cluster, K8S_VERSIONS[0])


@pytest.mark.skipif(not kubectl(), reason="no kubectl here: kustomize_lite renders alone")
@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_kustomize_lite_renders_what_kubectl_renders(name):
    def keyed(resources):
        return {(r["apiVersion"], r["kind"], r["metadata"].get("namespace"), r["metadata"]["name"]): r
                for r in resources}

    assert keyed(kustomize_lite.render(ROOT / "deploy" / "k8s" / name)) == keyed(render_with_kubectl(name))


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_every_process_has_a_deployment_a_service_and_a_disruption_budget(name):
    resources = rendered(name)
    deployments, services = by_kind(resources, "Deployment"), by_kind(resources, "Service")
    budgets = by_kind(resources, "PodDisruptionBudget")
    assert set(deployments) == set(PROCESSES)
    assert set(services) == {*PROCESSES, "postgres"}
    for process, (port, app) in PROCESSES.items():
        pod = deployments[process]["spec"]["template"]
        selector = deployments[process]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod["metadata"]["labels"].items()
        assert services[process]["spec"]["selector"] == selector
        assert budgets[process]["spec"]["selector"]["matchLabels"] == selector
        assert budgets[process]["spec"]["maxUnavailable"] == 1  # a drain always makes progress
        [container] = pod["spec"]["containers"]
        assert container["command"][:3] == ["uvicorn", app, "--factory"]
        assert container["command"][container["command"].index("--port") + 1] == str(port)
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert services[process]["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http"}]


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_readiness_on_readyz_and_liveness_on_healthz(name):
    for process, deployment in by_kind(rendered(name), "Deployment").items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, process
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, process
        # Liveness never fails before readiness would: a slow database makes a pod unready, not killed.
        liveness, readiness = container["livenessProbe"], container["readinessProbe"]
        assert (liveness["periodSeconds"] * liveness["failureThreshold"]
                > readiness["periodSeconds"] * readiness["failureThreshold"])


def quantity(value) -> float:
    """A Kubernetes quantity as a number (cores, bytes)."""
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value)).groups()
    return float(number) * units[unit]


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_every_container_has_requests_and_limits_and_runs_as_the_images_user(name):
    uid = int(re.findall(r"^USER\s+(\d+)", DOCKERFILE, re.M)[-1])
    for process, deployment in by_kind(rendered(name), "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == uid
        assert pod["enableServiceLinks"] is False  # WARRANTY_PORT=tcp://... would confuse the settings
        for container in pod["initContainers"] + pod["containers"]:
            resources = container["resources"]
            for kind in ("cpu", "memory"):
                assert quantity(resources["requests"][kind]) <= quantity(resources["limits"][kind]), process
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_gateway_and_warranty_scale_by_autoscaler_and_the_rest_by_replicas(name):
    resources = rendered(name)
    deployments, autoscalers = by_kind(resources, "Deployment"), by_kind(resources, "HorizontalPodAutoscaler")
    assert set(autoscalers) == {"gateway", "warranty"}
    for process, hpa in autoscalers.items():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": process}
        assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        assert "replicas" not in deployments[process]["spec"]  # an apply must not reset the autoscaler
    for process in set(PROCESSES) - set(autoscalers):
        assert deployments[process]["spec"]["replicas"] >= 2


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_pods_migrate_first_under_the_lock_then_start(name):
    for process, deployment in by_kind(rendered(name), "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        [init] = pod["initContainers"]
        assert init["command"] == ["python", "-m", "deploy.migrate_locked"]
        assert init["image"] == pod["containers"][0]["image"], process  # the same version's migrations
    assert (ROOT / "deploy" / "migrate_locked.py").is_file()


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_the_config_names_every_service_where_its_service_listens(name):
    resources = rendered(name)
    config = by_kind(resources, "ConfigMap")["aftersales-config"]["data"]
    for process, (port, _app) in PROCESSES.items():
        assert config[f"{process.upper()}_URL"] == f"http://{process}:{port}"
    assert config["DATA_DIR"].startswith("/tmp")  # the only writable place
    for deployment in by_kind(resources, "Deployment").values():
        for container in deployment["spec"]["template"]["spec"]["initContainers"] + \
                deployment["spec"]["template"]["spec"]["containers"]:
            assert {"configMapRef": {"name": "aftersales-config"}} in container["envFrom"]


def secret_refs(resources) -> dict[str, set[str]]:
    """Secret key each container reads, by container."""
    refs = {}
    for deployment in by_kind(resources, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["initContainers"] + pod["containers"]:
            refs[container["name"]] = {
                e["valueFrom"]["secretKeyRef"]["key"] for e in container.get("env", []) if "valueFrom" in e
            }
    return refs


def test_the_base_secret_is_a_placeholder_with_every_key_read():
    resources = rendered("base")
    secret = by_kind(resources, "Secret")["aftersales-secrets"]
    assert all("REPLACE-ME" in value for value in secret["stringData"].values())
    read = set().union(*secret_refs(resources).values())
    assert read == set(secret["stringData"]) == {"DATABASE_URL", "INTERNAL_TOKEN", "ADMIN_API_KEY"}


def test_only_the_gateway_reads_the_admin_key():
    refs = secret_refs(rendered("base"))
    assert {name for name, keys in refs.items() if "ADMIN_API_KEY" in keys} == {"gateway"}
    assert refs["migrate"] == {"DATABASE_URL"}
    for service in SERVICES:
        assert refs[service] == {"DATABASE_URL", "INTERNAL_TOKEN"}


@pytest.mark.parametrize("name", PRODUCTION)
def test_production_ships_no_secret_a_real_image_and_one_namespace(name):
    resources = rendered(name)
    assert by_kind(resources, "Secret") == {}
    assert {r["metadata"].get("namespace") for r in resources} == {"aftersales"}
    for deployment in by_kind(resources, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["initContainers"] + pod["containers"]:
            image, _, tag = container["image"].rpartition(":")
            assert "/" in image and tag not in ("", "latest")


def test_no_secret_value_anywhere_under_deploy_k8s():
    from gateway.config import DEV_ADMIN_API_KEY
    from shared.settings import DEV_INTERNAL_TOKEN

    for path in (ROOT / "deploy" / "k8s").rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert DEV_ADMIN_API_KEY not in text and DEV_INTERNAL_TOKEN not in text, path
        for url in re.findall(r"postgres(?:ql)?://\S+", text):
            password = url.split("://", 1)[1].split("@", 1)[0].partition(":")[2]
            assert password in ("", "REPLACE-ME", "<password>"), (path, url)


def test_postgres_is_external_by_default_and_the_cluster_with_the_component():
    for name in ("base", "overlays/production"):
        service = by_kind(rendered(name), "Service")["postgres"]
        assert service["spec"]["type"] == "ExternalName"
        assert by_kind(rendered(name), "Cluster") == {}
    resources = rendered("overlays/production-cloudnative-pg")
    [cluster] = by_kind(resources, "Cluster").values()
    alias = by_kind(resources, "Service")["postgres"]["spec"]["externalName"]
    namespace = cluster["metadata"]["namespace"]
    assert alias == f"{cluster['metadata']['name']}-rw.{namespace}.svc.cluster.local"
    assert cluster["spec"]["bootstrap"]["initdb"]["database"] == "aftersales"
    assert cluster["spec"]["imageName"].endswith(":16")


def test_services_answer_only_the_platform():
    [policy] = by_kind(rendered("overlays/production"), "NetworkPolicy").values()
    selected = policy["spec"]["podSelector"]["matchLabels"]
    allowed = policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
    for process, deployment in by_kind(rendered("overlays/production"), "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert (selected.items() <= labels.items()) == (process in SERVICES), process
        assert allowed.items() <= labels.items(), process


def test_the_cluster_admits_every_connection_production_may_open():
    resources = rendered("overlays/production-cloudnative-pg")
    autoscalers = by_kind(resources, "HorizontalPodAutoscaler")
    pods = sum(autoscalers[name]["spec"]["maxReplicas"] if name in autoscalers else d["spec"]["replicas"]
               for name, d in by_kind(resources, "Deployment").items())
    [cluster] = by_kind(resources, "Cluster").values()
    allowed = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    # the pools at their largest, one migration, and the superuser's reserve (3)
    assert pods * connections_per_process() + 1 + 3 <= allowed


def test_the_ingress_lets_the_largest_import_through_in_time():
    from gateway.config import GatewaySettings

    settings = GatewaySettings()
    [ingress] = by_kind(rendered("overlays/production"), "Ingress").values()
    annotations = ingress["metadata"]["annotations"]
    assert quantity(annotations["nginx.ingress.kubernetes.io/proxy-body-size"].replace("m", "Mi")) \
        >= settings.import_max_body_bytes
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert float(annotations[f"nginx.ingress.kubernetes.io/{timeout}"]) > settings.gateway_import_timeout_seconds
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "gateway", "port": {"name": "http"}}
