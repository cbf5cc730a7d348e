"""The deployment files: parsed and checked against the service's own settings and routes
(no kubectl or Docker engine here, so correctness is checked by reading)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from app.config import Settings
from app.main import app

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
PREFIX = "GRADIENT_SERVICE_"


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _setting_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def _routes() -> set[str]:
    return set(app.openapi()["paths"])


def _memory_bytes(q: str) -> int:
    m = re.fullmatch(r"(\d+)(Mi|Gi)", q)
    assert m, q
    return int(m.group(1)) * {"Mi": 2**20, "Gi": 2**30}[m.group(2)]


def _containers() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(K8S.glob("deployment*.yaml")):
        for doc in _docs(path):
            assert doc["kind"] == "Deployment"
            for c in doc["spec"]["template"]["spec"]["containers"]:
                found.append((path.name, c))
    return found


def test_every_env_var_is_a_setting_with_a_valid_value() -> None:
    names = _setting_names()
    for path, c in _containers():
        env = {e["name"]: e["value"] for e in c["env"]}
        for key in env:
            assert key.startswith(PREFIX) and key[len(PREFIX):] in names, f"{path}: {key} is not a setting"
        Settings(**{k[len(PREFIX):].lower(): v for k, v in env.items()})  # validates types and literals


def test_probes_ports_and_resources_match_the_service() -> None:
    routes = _routes()
    for path, c in _containers():
        assert c["readinessProbe"]["httpGet"]["path"] == "/v1/ready" and "/v1/ready" in routes, path
        assert c["livenessProbe"]["httpGet"]["path"] == "/v1/health" and "/v1/health" in routes, path
        assert c["ports"][0]["containerPort"] == 8000
        env = {e["name"][len(PREFIX):].lower(): e["value"] for e in c["env"]}
        settings = Settings(**env)
        res = c["resources"]
        assert set(res) == {"requests", "limits"}
        # The memory limit must hold what the service lets its computations hold at once.
        workers = settings.workers
        per_computation = settings.max_total_elements * 4  # float32
        at_once = workers * settings.max_concurrency * per_computation
        assert _memory_bytes(res["limits"]["memory"]) >= at_once + 512 * 2**20, (path, at_once)
        assert float(res["limits"]["cpu"]) >= workers, path


def test_gpu_variant_asks_for_a_gpu() -> None:
    (doc,) = _docs(K8S / "deployment-gpu.yaml")
    res = doc["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert res["limits"]["nvidia.com/gpu"] == 1 and res["requests"]["nvidia.com/gpu"] == 1


def test_service_and_autoscaler_point_at_the_deployment() -> None:
    (dep,) = _docs(K8S / "deployment.yaml")
    (svc,) = _docs(K8S / "service.yaml")
    (hpa,) = _docs(K8S / "hpa.yaml")
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in svc["spec"]["selector"].items())
    assert svc["spec"]["ports"][0]["targetPort"] == "http"
    assert hpa["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    grace = dep["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    env = {e["name"]: e["value"] for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert grace > float(env[PREFIX + "TIME_LIMIT_S"])


def test_compose_has_replicas_behind_a_load_balancer() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    svc = compose["services"]["gradient-service"]
    assert svc["deploy"]["replicas"] >= 2
    names = _setting_names()
    for key in svc["environment"]:
        assert key.startswith(PREFIX) and key[len(PREFIX):] in names, key
    Settings(**{k[len(PREFIX):].lower(): v for k, v in svc["environment"].items()})
    lb = compose["services"]["lb"]
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server gradient-service:8000" in conf and lb["ports"] == ["8000:80"]
    body = Settings().max_body_bytes
    assert f"client_max_body_size {body // 2**20}m" in conf
