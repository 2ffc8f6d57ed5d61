"""deploy/ without a cluster: each overlay renders with `kubectl kustomize`, every object
validates against the Kubernetes schemas (kubernetes-validate, strict), and the
manifests keep what an operator relies on (docs/deploy.md): probes, measured resources,
the migration before serving, secrets only from the operator's env file, autoscalers on
the queue gauges, disruption budgets, Rasa and the actions closed to outsiders. Also the
probe scripts the pods run, and docker-compose.yml's replicas."""

from __future__ import annotations

import http.server
import importlib.util
import json
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlparse

import kubernetes_validate
import pytest
import redis
import yaml
from kubernetes_validate.utils import ValidationError

from bot import metrics
from bot.config import ROOT
from bot.db import migrate
from bot.worker.runner import heartbeat_key
from tests.support.stack import REDIS_URL, free_port

DEPLOY = ROOT / "deploy"
OVERLAYS = ("development", "production")
# The oldest Kubernetes the manifests are for, and the newest schemas the validator has.
KUBERNETES = ("1.29.0", "1.37.0")
QUEUE_GAUGES = {"desk_queue_depth", "desk_queue_oldest_age_seconds"}
WORKLOADS = ("Deployment", "StatefulSet", "Job")
# Names of the env file's secrets (the addresses beside them are not secret).
SECRET_WORDS = ("SECRET", "TOKEN", "PASSWORD", "DATABASE_URL", "REDIS_URL")

Object = dict[str, Any]


def _kubectl() -> str:
    """kubectl, whose built-in kustomize renders the overlays (no cluster is contacted)."""
    found = shutil.which("kubectl")
    if found is None:
        pytest.skip("kubectl is not installed, so deploy/ cannot be rendered: install kubectl")
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Object]]:
    """Each overlay rendered from a copy of deploy/ whose secrets.env is the committed
    example: the operator's own file is never read, and the repository is not written."""
    kubectl = _kubectl()
    copy = tmp_path_factory.mktemp("deploy") / "deploy"
    shutil.copytree(DEPLOY, copy, ignore=shutil.ignore_patterns("secrets.env"))
    out: dict[str, list[Object]] = {}
    for overlay in OVERLAYS:
        folder = copy / "overlays" / overlay
        shutil.copy(folder / "secrets.env.example", folder / "secrets.env")
        done = subprocess.run(
            [kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        out[overlay] = [o for o in yaml.safe_load_all(done.stdout) if o]
    return out


def _env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value
    return pairs


def _of(objects: list[Object], kind: str) -> dict[str, Object]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _pod(workload: Object) -> Object:
    return workload["spec"]["template"]["spec"]


def _containers(workload: Object) -> list[Object]:
    pod = _pod(workload)
    return [*pod.get("initContainers", []), *pod["containers"]]


def _workloads(objects: list[Object]) -> list[Object]:
    return [o for o in objects if o["kind"] in WORKLOADS]


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _config(objects: list[Object]) -> dict[str, str]:
    (config,) = [
        o["data"]
        for o in objects
        if o["kind"] == "ConfigMap" and "desk-config" in o["metadata"]["name"]
    ]
    return config


# Rendering and the schemas ------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_against_the_kubernetes_schemas(
    rendered: dict[str, list[Object]], overlay: str, version: str
) -> None:
    objects = rendered[overlay]
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Service", "Job", "HorizontalPodAutoscaler"} <= kinds
    assert {"PodDisruptionBudget", "NetworkPolicy", "Secret", "ConfigMap"} <= kinds
    for obj in objects:
        kubernetes_validate.validate(obj, version, strict=True)


def test_the_validator_refuses_a_misspelt_field(rendered: dict[str, list[Object]]) -> None:
    broken = json.loads(json.dumps(_of(rendered["production"], "Deployment")["desk-gateway"]))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES[-1], strict=True)


# Pods -----------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_probes_and_measured_resources(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    for workload in _workloads(rendered[overlay]):
        for container in _containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            resources = container.get("resources", {})
            assert {"cpu", "memory"} <= set(resources.get("requests", {})), where
            assert "memory" in resources.get("limits", {}), where
        if workload["kind"] == "Job":
            continue
        for container in _pod(workload)["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert "readinessProbe" in container and "livenessProbe" in container, where


def test_the_memory_requests_cover_what_was_measured() -> None:
    """bench/RESULTS.md's "Memory" table, per process, against the base's requests."""
    results = (ROOT / "bench" / "RESULTS.md").read_text()
    memory = results.split("## Memory", 1)[1].split("\n## ", 1)[0]
    measured = {
        row.split("|")[1].strip(): int(row.split("|")[2].strip().replace(",", ""))
        for row in memory.splitlines()
        if row.startswith("| ") and row.split("|")[2].strip().replace(",", "").isdigit()
    }
    base = {
        o["metadata"]["name"]: o
        for path in (DEPLOY / "base").glob("*.yaml")
        for o in yaml.safe_load_all(path.read_text())
        if o and o["kind"] == "Deployment"
    }
    for process, deployment in (
        ("gateway", "desk-gateway"),
        ("worker", "desk-worker"),
        ("rasa", "desk-rasa"),
        ("actions", "desk-actions"),
        ("trainer while retraining, peak (all its processes)", "desk-trainer"),
    ):
        assert process in measured, f"bench/RESULTS.md's Memory table has no row {process!r}"
        container = _pod(base[deployment])["containers"][0]
        request = container["resources"]["requests"]["memory"]
        assert request.endswith("Mi"), deployment
        assert int(request[:-2]) * 2**20 >= measured[process] * 10**6, (deployment, request)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_run_as_nobody_without_privileges(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    for workload in _workloads(rendered[overlay]):
        pod = _pod(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in _containers(workload):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True
            assert context["capabilities"] == {"drop": ["ALL"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_http_process_has_a_service(rendered: dict[str, list[Object]], overlay: str) -> None:
    services = _of(rendered[overlay], "Service").values()
    for workload in _workloads(rendered[overlay]):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        for container in _pod(workload)["containers"]:
            for port in container.get("ports", []):
                assert any(
                    _selects(s["spec"]["selector"], labels)
                    and port["name"] in {p["targetPort"] for p in s["spec"]["ports"]}
                    for s in services
                ), (workload["metadata"]["name"], port)


# Migration -----------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_migration_runs_before_any_pod_uses_the_database(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    objects = rendered[overlay]
    deployments = _of(objects, "Deployment")
    (job,) = _of(objects, "Job").values()
    (migrate_container,) = _pod(job)["containers"]
    assert migrate_container["command"][-3:] == ["bot.cli", "db", "upgrade"]
    gateway_image = _pod(deployments["desk-gateway"])["containers"][0]["image"]
    assert migrate_container["image"] == gateway_image
    users = 0
    for name, deployment in deployments.items():
        pod = _pod(deployment)
        main = pod["containers"][0]
        secret_refs = [e for e in main.get("envFrom", []) if "secretRef" in e]
        if not secret_refs or name == "desk-line":  # DATABASE_URL reaches only these
            continue
        users += 1
        first = pod["initContainers"][0]
        assert first["command"] == ["python", "/ops/wait_for_schema.py"], name
        assert first["image"] == main["image"], name  # this release's migrations
    assert users == 4  # gateway, worker, actions, trainer


def test_the_schema_wait_tells_behind_current_and_ahead(tmp_path: Path) -> None:
    wait = _load("wait_for_schema")
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    assert wait.schema_state(url)[0] == "behind"
    migrate(url)
    assert wait.schema_state(url)[0] == "current"
    db = sqlite3.connect(tmp_path / "desk.db")
    with db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    db.close()
    state, line = wait.schema_state(url)
    assert state == "ahead" and "9999" in line


# Secrets --------------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_come_only_from_the_operators_env_file(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    folder = DEPLOY / "overlays" / overlay
    example = _env_file(folder / "secrets.env.example")
    objects = rendered[overlay]
    (secret,) = _of(objects, "Secret").values()
    assert secret["metadata"]["name"].startswith("desk-secrets-")  # generated, hashed
    assert set(secret["data"]) == set(example)
    secrets = [
        value
        for name, value in example.items()
        if any(word in name for word in SECRET_WORDS) and len(value) >= 8
    ]
    assert secrets
    for obj in objects:
        if obj["kind"] != "Secret":
            text = json.dumps(obj)
            assert not [v for v in secrets if v in text], obj["metadata"]["name"]
    for workload in _workloads(objects):
        for container in _containers(workload):
            for env in container.get("env", []):
                assert not (env["name"] in example and "value" in env), env["name"]
    ignored = (DEPLOY / ".gitignore").read_text().splitlines()
    assert "overlays/*/secrets.env" in ignored


def test_rasa_shares_the_workers_redis_database_and_prefix(
    rendered: dict[str, list[Object]],
) -> None:
    """The worker erases a citizen's Rasa tracker (PDPA) in REDIS_URL's database under
    REDIS_PREFIX + "rasa" (bot/worker/runner.py): Rasa must keep it exactly there."""
    for overlay in OVERLAYS:
        example = _env_file(DEPLOY / "overlays" / overlay / "secrets.env.example")
        redis_url = urlparse(example["REDIS_URL"])
        assert example["RASA_REDIS_HOST"] == redis_url.hostname
        assert example["RASA_REDIS_DB"] == redis_url.path.lstrip("/")
        config = _config(rendered[overlay])
        assert config["RASA_REDIS_PREFIX"] == config["REDIS_PREFIX"] + "rasa"
        assert config["RASA_REDIS_PREFIX"].isalnum()  # Rasa ignores any other prefix
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    desk_env = compose["services"]["gateway"]["environment"]
    rasa_env = compose["services"]["rasa"]["environment"]
    assert rasa_env["RASA_REDIS_DB"] == urlparse(desk_env["REDIS_URL"]).path.lstrip("/")
    assert rasa_env["RASA_REDIS_PREFIX"] == desk_env.get("REDIS_PREFIX", "desk") + "rasa"


# Rasa and the action server ------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rasa_requires_its_token_and_admits_only_the_desk(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    objects = rendered[overlay]
    rasa = _pod(_of(objects, "Deployment")["desk-rasa"])["containers"][0]
    assert "nlu.serve run" in " ".join(rasa["command"])  # refuses to start without a token
    (token,) = [e for e in rasa["env"] if e["name"] == "RASA_TOKEN"]
    assert token["valueFrom"]["secretKeyRef"]["name"].startswith("desk-secrets-")
    assert not any("secretRef" in e for e in rasa.get("envFrom", []))  # no database secrets
    policies = _of(objects, "NetworkPolicy")
    deployments = _of(objects, "Deployment")
    for name, port in (("desk-rasa", 5005), ("desk-actions", 5055)):
        policy = policies[name]["spec"]
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert _selects(policy["podSelector"]["matchLabels"], labels)
        assert policy["policyTypes"] == ["Ingress"]
        for rule in policy["ingress"]:
            assert [p["port"] for p in rule["ports"]] == [port]
            for source in rule["from"]:
                assert set(source) == {"podSelector"}  # no namespace, no address range
                assert source["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "desk"}


# Autoscaling and disruption ------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workers_and_rasa_scale_on_the_queue_gauges(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    objects = rendered[overlay]
    deployments = _of(objects, "Deployment")
    autoscalers = _of(objects, "HorizontalPodAutoscaler")
    assert {a["spec"]["scaleTargetRef"]["name"] for a in autoscalers.values()} == {
        "desk-worker",
        "desk-rasa",
    }
    adapter = yaml.safe_load((DEPLOY / "monitoring" / "prometheus-adapter-values.yaml").read_text())
    served = {rule["name"]["as"] for rule in adapter["rules"]["external"]}
    exposed = {family.name for family in metrics.QueueCollector().collect()}
    partitions = int(_config(objects)["QUEUE_PARTITIONS"])
    for autoscaler in autoscalers.values():
        spec = autoscaler["spec"]
        target = deployments[spec["scaleTargetRef"]["name"]]
        assert spec["scaleTargetRef"]["kind"] == "Deployment"
        assert "replicas" not in target["spec"]  # an apply must not reset the autoscaler
        assert 1 <= spec["minReplicas"] <= spec["maxReplicas"]
        names = {m["external"]["metric"]["name"] for m in spec["metrics"]}
        assert names == QUEUE_GAUGES
        assert names <= served and names <= exposed
    # More workers than partitions would hold nothing.
    assert autoscalers["desk-worker"]["spec"]["maxReplicas"] <= partitions


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_scaled_deployment_has_a_disruption_budget(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    objects = rendered[overlay]
    autoscalers = _of(objects, "HorizontalPodAutoscaler").values()
    budgets = _of(objects, "PodDisruptionBudget").values()
    scaled = {a["spec"]["scaleTargetRef"]["name"] for a in autoscalers}
    deployments = _of(objects, "Deployment")
    scaled |= {n for n, d in deployments.items() if d["spec"].get("replicas", 1) > 1}
    if overlay == "production":
        assert scaled == {"desk-gateway", "desk-worker", "desk-rasa", "desk-actions"}
    for name in scaled:
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert any(_selects(b["spec"]["selector"]["matchLabels"], labels) for b in budgets), name


def test_production_pins_one_release_and_runs_more(rendered: dict[str, list[Object]]) -> None:
    production, development = rendered["production"], rendered["development"]
    images = {c["image"] for w in _workloads(production) for c in _containers(w)}
    tags = {image.rsplit(":", 1)[1] for image in images if "@" not in image}
    assert len(tags) == 1 and "latest" not in tags, images
    assert all("/" in image for image in images)  # from a registry, not a local build
    prod, dev = _of(production, "Deployment"), _of(development, "Deployment")
    assert prod["desk-gateway"]["spec"]["replicas"] > dev["desk-gateway"]["spec"]["replicas"]
    for name in ("desk-worker", "desk-rasa"):
        assert (
            _of(production, "HorizontalPodAutoscaler")[name]["spec"]["maxReplicas"]
            > _of(development, "HorizontalPodAutoscaler")[name]["spec"]["maxReplicas"]
        )


# The probe scripts the pods run --------------------------------------------------------------


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, DEPLOY / "base" / "ops" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def worker_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[redis.Redis, str]]:
    """The probe's environment for worker `probe-…` under a prefix of its own."""
    prefix = f"deskprobe{uuid.uuid4().hex[:8]}"
    for name, value in {
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": prefix,
        "WORKER_ID": "probe-worker",
        "WORKER_HEARTBEAT_S": "2",
    }.items():
        monkeypatch.setenv(name, value)
    client = redis.Redis.from_url(REDIS_URL)
    yield client, heartbeat_key(prefix)
    client.delete(heartbeat_key(prefix))
    client.close()


def test_the_worker_probe_reads_this_workers_heartbeat(
    worker_env: tuple[redis.Redis, str],
) -> None:
    probe = _load("probe")
    client, key = worker_env
    assert probe.heartbeat_key("p") == heartbeat_key("p")  # the worker's own key
    assert probe.main(["worker", "ready"]) == 1  # no heartbeat yet
    client.zadd(key, {"another-worker": time.time()})
    assert probe.main(["worker", "ready"]) == 1  # another worker's beat is not this one's
    client.zadd(key, {"probe-worker": time.time()})
    assert probe.main(["worker", "ready"]) == 0
    assert probe.main(["worker", "alive"]) == 0
    client.zadd(key, {"probe-worker": time.time() - 20})  # ten beats late: not ready
    assert probe.main(["worker", "ready"]) == 1
    assert probe.main(["worker", "alive"]) == 0
    client.zadd(key, {"probe-worker": time.time() - 60})  # thirty beats late: hung
    assert probe.main(["worker", "alive"]) == 1


def test_a_worker_is_not_restarted_while_redis_is_down(
    worker_env: tuple[redis.Redis, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    probe = _load("probe")
    assert probe.main(["worker", "alive"]) == 0
    assert probe.main(["worker", "ready"]) == 1
    assert probe.main(["trainer"]) == 0


def test_the_rasa_probe_asks_status_with_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"model_file": ""}
    asked: list[dict[str, list[str]]] = []

    class Rasa(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server interface
            asked.append(parse_qs(urlparse(self.path).query))
            body = json.dumps(answers).encode()
            self.send_response(200 if urlparse(self.path).path == "/status" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Rasa)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("RASA_TOKEN", "the-token")
    probe = _load("probe")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert probe.rasa(base) == 1  # up, but no model loaded
        answers["model_file"] = "models/desk.tar.gz"
        assert probe.rasa(base) == 0
    finally:
        server.shutdown()
        server.server_close()
    assert asked[-1] == {"token": ["the-token"]}
    assert probe.rasa(base) == 1  # gone
    assert probe.main(["nonsense"]) == 2


# docker-compose.yml ------------------------------------------------------------------------


def test_compose_runs_several_workers_and_rasa_servers() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("worker", "rasa"):
        assert services[name]["deploy"]["replicas"] >= 2, name
    for name, service in services.items():
        if service.get("deploy", {}).get("replicas", 1) > 1:
            # Replicas cannot share a host port or a container name.
            assert "ports" not in service and "container_name" not in service, name
