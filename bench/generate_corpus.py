"""Generate a deterministic corpus of realistic Kubernetes manifests for benchmarking.

The corpus mimics a mono-repo of many teams' deployment manifests: app bundles
(Deployment + Service + ConfigMap + ...) in nested folders, single-resource files,
large all-in-one files, `kind: List` files, a few JSON files, Helm values files and
kustomizations (YAML that is not a Kubernetes object), comments, and the odd YAML
anchor. Pod specs carry a spread of good and bad security settings so that rules
find something to report, and take both their passing and failing paths.

The same --seed and --resources always produce byte-identical files.

    python bench/generate_corpus.py --resources 10000 --out bench/corpus --seed 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

Doc = dict[str, Any]

# ---------------------------------------------------------------------------
# YAML output: kubectl-like block style, literal blocks for multi-line strings,
# and optionally indented sequences (both styles are common in the wild).


class _Dumper(yaml.SafeDumper):
    pass


class _IndentedDumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


for _d in (_Dumper, _IndentedDumper):
    _d.add_representer(str, _str_presenter)


_ANCHOR = re.compile(r"([&*])id(\d{3})\b")


def dump_yaml(doc: Any, indented: bool) -> str:
    text = yaml.dump(
        doc,
        Dumper=_IndentedDumper if indented else _Dumper,
        sort_keys=False,
        default_flow_style=False,
        width=120,
        allow_unicode=True,
    )
    # PyYAML names anchors id001...; people name them.
    return _ANCHOR.sub(lambda m: m.group(1) + _anchor_name(int(m.group(2))), text)


def _anchor_name(serial: int) -> str:
    """labels, common, defaults, then labels2...: unique within a document, as YAML requires."""
    word = ("labels", "common", "defaults")[(serial - 1) % 3]
    return word if serial <= 3 else f"{word}{(serial - 1) // 3 + 1}"


_COMMENTS = (
    "# TODO: tighten this once the migration is done",
    "# managed by platform team, do not edit by hand",
    "# see runbook in the wiki",
    "# keep in sync with the staging overlay",
    "# FIXME: remove after 2024-Q3",
    "# required by the service mesh",
    "# tuned after the load test",
    "# security review: accepted risk, ticket SEC-1234",
)
_KEY_LINE = re.compile(r"^(\s*)(- )?[A-Za-z][\w./-]*:( |$)")


def sprinkle_comments(text: str, rng: random.Random, rate: float) -> str:
    """Insert comment lines above some keys, never inside a literal block."""
    if rate <= 0:
        return text
    out: list[str] = []
    block_indent: int | None = None
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None:
            if line.strip() and indent <= block_indent:
                block_indent = None
            else:
                out.append(line)
                continue
        m = _KEY_LINE.match(line)
        if m and rng.random() < rate:
            out.append(" " * indent + rng.choice(_COMMENTS))
        if line.rstrip().endswith(("|", "|-", "|+", ">")):
            block_indent = indent
        out.append(line)
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Vocabulary

TEAMS = (
    "payments",
    "search",
    "identity",
    "platform",
    "data",
    "growth",
    "mobile-api",
    "observability",
    "billing",
    "catalog",
    "checkout",
    "messaging",
    "ml",
    "infra",
    "security",
    "web",
)
WORDS = (
    "api",
    "worker",
    "gateway",
    "frontend",
    "backend",
    "sync",
    "indexer",
    "scheduler",
    "cache",
    "auth",
    "ledger",
    "notifier",
    "exporter",
    "proxy",
    "ingest",
    "reporter",
    "webhook",
    "store",
    "router",
    "batch",
    "stream",
    "admin",
    "metrics",
    "config",
    "token",
    "session",
    "queue",
)
ENVS = ("dev", "staging", "prod", "qa")
REGISTRIES = (
    "ghcr.io/acme",
    "registry.acme.internal",
    "docker.io/library",
    "quay.io/acme",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    "gcr.io/acme-prod",
)
SIDECARS = (
    ("envoy", "envoyproxy/envoy:v1.29.1"),
    ("fluent-bit", "fluent/fluent-bit:2.2.2"),
    ("oauth2-proxy", "quay.io/oauth2-proxy/oauth2-proxy:v7.5.1"),
    ("statsd-exporter", "prom/statsd-exporter:v0.26.0"),
    ("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.8.2"),
)
INIT_IMAGES = (
    ("wait-for-db", "busybox:1.36"),
    ("migrate", "{app_image}"),
    ("fix-perms", "alpine:3.19"),
    ("fetch-config", "curlimages/curl:8.5.0"),
)
CAPS_BAD = ("NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE", "NET_RAW", "SYS_MODULE", "ALL", "DAC_READ_SEARCH")
CAPS_OK = ("NET_BIND_SERVICE", "CHOWN", "SETUID", "SETGID", "KILL", "AUDIT_WRITE")
HOST_PATHS = (
    "/var/log",
    "/var/run/docker.sock",
    "/",
    "/etc",
    "/proc",
    "/sys",
    "/var/lib/kubelet",
    "/run/containerd/containerd.sock",
    "/dev",
)
ENV_VALUES = {
    "LOG_LEVEL": "info",
    "PORT": "8080",
    "HTTP_TIMEOUT": "30s",
    "FEATURE_FLAGS": "new-checkout,beta-search",
    "REGION": "eu-west-1",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.observability:4317",
    "JAVA_OPTS": "-Xms512m -Xmx1g",
    "GOMAXPROCS": "2",
    "CACHE_TTL": "300",
    "MAX_CONNECTIONS": "100",
    "TZ": "UTC",
    "APP_ENV": "",
    "WORKERS": "4",
}
SECRET_ENV = (
    "DATABASE_PASSWORD",
    "API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "JWT_SIGNING_KEY",
    "REDIS_PASSWORD",
    "STRIPE_TOKEN",
    "SMTP_PASSWORD",
    "OAUTH_CLIENT_SECRET",
)


@dataclass
class Ctx:
    rng: random.Random
    team: str
    app: str
    env: str
    namespace: str

    def labels(self, component: str | None = None) -> dict[str, str]:
        labels = {"app.kubernetes.io/name": self.app, "app.kubernetes.io/part-of": self.team}
        if component or self.rng.random() < 0.5:
            labels["app.kubernetes.io/component"] = component or self.rng.choice(("server", "worker", "api"))
        if self.rng.random() < 0.6:
            labels["app.kubernetes.io/managed-by"] = self.rng.choice(("kustomize", "Helm", "argocd"))
        if self.rng.random() < 0.4:
            labels["env"] = self.env
        if self.rng.random() < 0.3:
            labels["app.kubernetes.io/version"] = f"{self.rng.randint(0, 9)}.{self.rng.randint(0, 40)}.0"
        return labels

    def meta(self, name: str, labels: dict[str, str] | None = None, namespaced: bool = True) -> Doc:
        meta: Doc = {"name": name}
        if namespaced and self.rng.random() < 0.9:
            meta["namespace"] = self.namespace
        meta["labels"] = labels if labels is not None else self.labels()
        if self.rng.random() < 0.35:
            meta["annotations"] = self.annotations()
        return meta

    def annotations(self) -> dict[str, str]:
        pool = {
            "kubernetes.io/change-cause": f"deploy {self.rng.randint(1000, 9999)} by ci",
            "argocd.argoproj.io/sync-wave": str(self.rng.randint(-2, 5)),
            "prometheus.io/scrape": "true",
            "prometheus.io/port": str(self.rng.choice((8080, 9090, 9102))),
            "owner": f"{self.team}@acme.example",
            "description": f"{self.app} for the {self.team} team in {self.env}",
        }
        keys = self.rng.sample(sorted(pool), self.rng.randint(1, 4))
        return {k: pool[k] for k in keys}


def pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


# ---------------------------------------------------------------------------
# Pod specs


def image_ref(ctx: Ctx, name: str) -> str:
    rng = ctx.rng
    repo = f"{rng.choice(REGISTRIES)}/{name}"
    style = pick(rng, (("semver", 0.6), ("sha", 0.15), ("latest", 0.12), ("untagged", 0.05), ("digest", 0.08)))
    if style == "semver":
        return f"{repo}:{rng.randint(0, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 20)}"
    if style == "sha":
        return f"{repo}:{rng.getrandbits(28):07x}"
    if style == "latest":
        return f"{repo}:latest"
    if style == "untagged":
        return repo
    return f"{repo}@sha256:{rng.getrandbits(256):064x}"


def resources(rng: random.Random) -> Doc | None:
    kind = pick(rng, (("full", 0.55), ("requests", 0.2), ("limits", 0.08), ("none", 0.12), ("empty", 0.05)))
    cpu = rng.choice(("50m", "100m", "250m", "500m", "1", "2"))
    mem = rng.choice(("64Mi", "128Mi", "256Mi", "512Mi", "1Gi", "2Gi", "4Gi"))
    if kind == "none":
        return None
    if kind == "empty":
        return {}
    out: Doc = {}
    if kind in ("full", "requests"):
        out["requests"] = {"cpu": cpu, "memory": mem}
    if kind in ("full", "limits"):
        limits: Doc = {"memory": mem}
        if rng.random() < 0.5:
            limits["cpu"] = cpu
        if rng.random() < 0.05:
            limits["ephemeral-storage"] = "1Gi"
        out["limits"] = limits
    return out


def probe(rng: random.Random, port: int) -> Doc:
    style = pick(rng, (("http", 0.65), ("tcp", 0.2), ("exec", 0.1), ("grpc", 0.05)))
    if style == "http":
        p: Doc = {
            "httpGet": {
                "path": rng.choice(("/healthz", "/readyz", "/health", "/-/ready", "/ping")),
                "port": rng.choice((port, "http")),
            }
        }
    elif style == "tcp":
        p = {"tcpSocket": {"port": port}}
    elif style == "exec":
        p = {
            "exec": {
                "command": [
                    "/bin/sh",
                    "-c",
                    rng.choice(("pg_isready -U app", "test -f /tmp/healthy", "redis-cli ping")),
                ]
            }
        }
    else:
        p = {"grpc": {"port": port}}
    if rng.random() < 0.7:
        p["initialDelaySeconds"] = rng.choice((0, 5, 10, 15, 30, 60))
    if rng.random() < 0.6:
        p["periodSeconds"] = rng.choice((5, 10, 15, 30))
    if rng.random() < 0.4:
        p["timeoutSeconds"] = rng.choice((1, 2, 3, 5))
    if rng.random() < 0.3:
        p["failureThreshold"] = rng.choice((3, 5, 10, 30))
    return p


def env_list(ctx: Ctx, app: str) -> list[Doc]:
    rng = ctx.rng
    env: list[Doc] = []
    for name in rng.sample(sorted(ENV_VALUES), rng.randint(1, 4)):
        env.append({"name": name, "value": ENV_VALUES[name] or ctx.env})
    for name in rng.sample(SECRET_ENV, pick(rng, ((0, 0.4), (1, 0.35), (2, 0.2), (3, 0.05)))):
        if rng.random() < 0.12:  # hard-coded secret: a classic finding
            env.append({"name": name, "value": f"s3cr3t-{rng.getrandbits(40):010x}"})
        else:
            env.append(
                {
                    "name": name,
                    "valueFrom": {"secretKeyRef": {"name": f"{app}-secrets", "key": name.lower().replace("_", "-")}},
                }
            )
    if rng.random() < 0.3:
        env.append({"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
        env.append({"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}})
    if rng.random() < 0.2:
        env.append(
            {
                "name": "CONFIG_CHECKSUM",
                "valueFrom": {"configMapKeyRef": {"name": f"{app}-config", "key": "checksum", "optional": True}},
            }
        )
    return env


def container_security(rng: random.Random, posture: str) -> Doc | None:
    if posture == "none" or (posture == "mixed" and rng.random() < 0.35):
        return None
    sc: Doc = {}
    if posture == "hardened":
        sc = {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        if rng.random() < 0.5:
            sc["runAsNonRoot"] = True
        if rng.random() < 0.3:
            sc["runAsUser"] = rng.choice((1000, 10001, 65532))
        if rng.random() < 0.4:
            sc["seccompProfile"] = {"type": "RuntimeDefault"}
        if rng.random() < 0.1:
            sc["capabilities"]["add"] = [rng.choice(CAPS_OK)]
        return sc
    if posture == "bad":
        choice = rng.random()
        if choice < 0.35:
            sc["privileged"] = True
        if rng.random() < 0.4:
            sc["capabilities"] = {"add": rng.sample(CAPS_BAD, rng.randint(1, 2))}
        if rng.random() < 0.4:
            sc["allowPrivilegeEscalation"] = True
        if rng.random() < 0.3:
            sc["runAsUser"] = 0
        if rng.random() < 0.08:
            sc["procMount"] = "Unmasked"
        if rng.random() < 0.1:
            sc["seccompProfile"] = {"type": "Unconfined"}
        if rng.random() < 0.05:
            sc["seLinuxOptions"] = {"type": "spc_t"}
        if rng.random() < 0.05:
            sc["appArmorProfile"] = {"type": "Unconfined"}
        return sc or {"privileged": True}
    # mixed: a few settings, some good some not
    if rng.random() < 0.5:
        sc["allowPrivilegeEscalation"] = rng.random() < 0.2
    if rng.random() < 0.4:
        sc["runAsNonRoot"] = rng.random() < 0.85
    if rng.random() < 0.3:
        sc["readOnlyRootFilesystem"] = rng.random() < 0.7
    if rng.random() < 0.35:
        caps: Doc = {"drop": [rng.choice(("ALL", "NET_RAW"))]}
        if rng.random() < 0.3:
            caps["add"] = [rng.choice(CAPS_OK + CAPS_BAD[:2])]
        sc["capabilities"] = caps
    if rng.random() < 0.15:
        sc["seccompProfile"] = {"type": rng.choice(("RuntimeDefault", "Localhost", "RuntimeDefault"))}
        if sc["seccompProfile"]["type"] == "Localhost":
            sc["seccompProfile"]["localhostProfile"] = "profiles/audit.json"
    if rng.random() < 0.1:
        sc["runAsUser"] = rng.choice((0, 1000, 1001))
    if rng.random() < 0.03:
        sc["windowsOptions"] = {"hostProcess": False}
    return sc


def container(ctx: Ctx, name: str, image: str, posture: str, main: bool, mounts: list[str]) -> Doc:
    rng = ctx.rng
    c: Doc = {"name": name, "image": image}
    if rng.random() < 0.4:
        c["imagePullPolicy"] = rng.choice(("IfNotPresent", "Always", "IfNotPresent"))
    if rng.random() < 0.25:
        c["command"] = rng.choice(
            (["/app/server"], ["python", "-m", "app"], ["java", "-jar", "/app.jar"], ["/bin/sh", "-c"])
        )
    if rng.random() < (0.3 if main else 0.15):
        c["args"] = rng.sample(
            [
                "--port=8080",
                "--log-format=json",
                "--metrics",
                "--config=/etc/app/app.yaml",
                "--v=2",
                "--leader-elect",
            ],
            rng.randint(1, 4),
        )
    port = rng.choice((8080, 8000, 3000, 9000, 5000, 8443))
    if main:
        ports: list[Doc] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        if rng.random() < 0.4:
            ports.append({"name": "metrics", "containerPort": 9090})
        if rng.random() < 0.04:
            ports[0]["hostPort"] = port
        c["ports"] = ports
    if main or rng.random() < 0.4:
        c["env"] = env_list(ctx, ctx.app)
    if rng.random() < 0.15:
        env_from: list[Doc] = [{"configMapRef": {"name": f"{ctx.app}-config"}}]
        if rng.random() < 0.5:
            env_from.append({"secretRef": {"name": f"{ctx.app}-secrets"}})
        c["envFrom"] = env_from
    res = resources(rng)
    if res is not None:
        c["resources"] = res
    if main and rng.random() < 0.7:
        c["livenessProbe"] = probe(rng, port)
    if main and rng.random() < 0.75:
        c["readinessProbe"] = probe(rng, port)
    if main and rng.random() < 0.15:
        c["startupProbe"] = probe(rng, port)
    if mounts and (main or rng.random() < 0.4):
        c["volumeMounts"] = [
            {
                "name": m,
                "mountPath": f"/{'etc' if 'config' in m else 'var/lib'}/{m}",
                **({"readOnly": True} if rng.random() < 0.5 else {}),
            }
            for m in rng.sample(mounts, rng.randint(1, len(mounts)))
        ]
    sc = container_security(rng, posture)
    if sc is not None:
        c["securityContext"] = sc
    if main and rng.random() < 0.08:
        c["lifecycle"] = {"preStop": {"exec": {"command": ["sleep", "15"]}}}
    if rng.random() < 0.05:
        c["terminationMessagePolicy"] = "FallbackToLogsOnError"
    return c


def pod_spec(ctx: Ctx, host_heavy: bool = False, restart: str | None = None) -> Doc:
    rng = ctx.rng
    posture = pick(rng, (("hardened", 0.25), ("mixed", 0.4), ("none", 0.2), ("bad", 0.15 + 0.2 * host_heavy)))
    volumes: list[Doc] = []
    if rng.random() < 0.55:
        volumes.append({"name": "config", "configMap": {"name": f"{ctx.app}-config"}})
    if rng.random() < 0.3:
        volumes.append({"name": "tls", "secret": {"secretName": f"{ctx.app}-tls", "defaultMode": 0o440}})
    if rng.random() < 0.35:
        volumes.append({"name": "tmp", "emptyDir": {} if rng.random() < 0.5 else {"sizeLimit": "256Mi"}})
    if rng.random() < 0.08:
        volumes.append({"name": "data", "persistentVolumeClaim": {"claimName": f"{ctx.app}-data"}})
    if rng.random() < 0.06:
        volumes.append(
            {
                "name": "token",
                "projected": {
                    "sources": [
                        {
                            "serviceAccountToken": {
                                "path": "token",
                                "expirationSeconds": 3600,
                                "audience": "vault",
                            }
                        }
                    ]
                },
            }
        )
    if rng.random() < (0.6 if host_heavy else 0.06):
        for i, path in enumerate(rng.sample(HOST_PATHS, rng.randint(1, 3))):
            hp: Doc = {"path": path}
            if rng.random() < 0.5:
                hp["type"] = rng.choice(("Directory", "Socket", "DirectoryOrCreate", "File"))
            volumes.append({"name": f"host-{i}", "hostPath": hp})
    mounts = [v["name"] for v in volumes]

    spec: Doc = {}
    if rng.random() < 0.75:
        spec["serviceAccountName"] = rng.choice((ctx.app, ctx.app, "default", f"{ctx.team}-runner"))
    if rng.random() < 0.2:
        spec["automountServiceAccountToken"] = rng.random() < 0.6
    if host_heavy or rng.random() < 0.04:
        if rng.random() < 0.6:
            spec["hostNetwork"] = True
        if rng.random() < 0.3:
            spec["hostPID"] = True
        if rng.random() < 0.1:
            spec["hostIPC"] = True
        if spec.get("hostNetwork") and rng.random() < 0.5:
            spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    if rng.random() < 0.05:
        spec["shareProcessNamespace"] = True
    pod_sc: Doc = {}
    if posture != "none" and rng.random() < 0.6:
        if rng.random() < 0.7:
            pod_sc["runAsNonRoot"] = posture != "bad" or rng.random() < 0.3
        if rng.random() < 0.6:
            pod_sc["runAsUser"] = rng.choice((1000, 10001, 65532, 0 if posture == "bad" else 1001))
        if rng.random() < 0.4:
            pod_sc["runAsGroup"] = rng.choice((1000, 3000))
        if rng.random() < 0.5:
            pod_sc["fsGroup"] = rng.choice((1000, 2000, 65532))
        if rng.random() < 0.45:
            pod_sc["seccompProfile"] = {
                "type": "Unconfined" if posture == "bad" and rng.random() < 0.4 else "RuntimeDefault"
            }
        if rng.random() < 0.05:
            pod_sc["sysctls"] = [
                {
                    "name": rng.choice(
                        ("net.core.somaxconn", "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range")
                    ),
                    "value": rng.choice(("1024", "1", "1024 65535")),
                }
            ]
        if rng.random() < 0.05:
            pod_sc["supplementalGroups"] = [4000]
    if pod_sc or rng.random() < 0.1:
        spec["securityContext"] = pod_sc

    app_image = image_ref(ctx, ctx.app)
    if rng.random() < 0.2:
        spec["initContainers"] = [
            container(ctx, n, img.format(app_image=app_image) if "{" in img else img, posture, False, mounts)
            for n, img in rng.sample(INIT_IMAGES, pick(rng, ((1, 0.8), (2, 0.2))))
        ]
    n_containers = pick(rng, ((1, 0.7), (2, 0.22), (3, 0.08)))
    containers = [container(ctx, ctx.app, app_image, posture, True, mounts)]
    for name, img in rng.sample(SIDECARS, n_containers - 1):
        side_posture = posture if rng.random() < 0.7 else rng.choice(("hardened", "none", "mixed"))
        containers.append(container(ctx, name, img, side_posture, False, mounts))
    spec["containers"] = containers
    if volumes:
        spec["volumes"] = volumes
    if restart:
        spec["restartPolicy"] = restart
    if rng.random() < 0.25:
        spec["nodeSelector"] = {
            rng.choice(("kubernetes.io/os", "node.kubernetes.io/instance-type", "pool")): rng.choice(
                ("linux", "m5.xlarge", "general")
            )
        }
    if rng.random() < 0.2 or host_heavy:
        spec["tolerations"] = [
            {
                "key": rng.choice(("dedicated", "node-role.kubernetes.io/control-plane")),
                "operator": "Exists",
                "effect": "NoSchedule",
            }
        ]
    if rng.random() < 0.15:
        spec["affinity"] = {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "podAffinityTerm": {
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": ctx.app}},
                        },
                    }
                ]
            }
        }
    if rng.random() < 0.1:
        spec["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": ctx.app}},
            }
        ]
    if rng.random() < 0.2:
        spec["terminationGracePeriodSeconds"] = rng.choice((10, 30, 60, 120))
    if rng.random() < 0.1:
        spec["priorityClassName"] = rng.choice(("high-priority", "system-cluster-critical"))
    if rng.random() < 0.1:
        spec["imagePullSecrets"] = [{"name": "regcred"}]
    return spec


def template(ctx: Ctx, labels: dict[str, str], **kw: Any) -> Doc:
    meta: Doc = {"labels": labels}
    if ctx.rng.random() < 0.35:
        ann = {"prometheus.io/scrape": "true"}
        if ctx.rng.random() < 0.08:  # legacy AppArmor annotation
            ann[f"container.apparmor.security.beta.kubernetes.io/{ctx.app}"] = ctx.rng.choice(
                ("runtime/default", "unconfined")
            )
        meta["annotations"] = ann
    return {"metadata": meta, "spec": pod_spec(ctx, **kw)}


def selector_labels(ctx: Ctx, share: bool) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Labels for metadata, selector and template; shared (YAML anchors) when asked."""
    sel = {"app.kubernetes.io/name": ctx.app}
    if share:
        return sel, sel, sel
    meta_labels = ctx.labels()
    return meta_labels, dict(sel), {**sel, **{k: v for k, v in meta_labels.items() if ctx.rng.random() < 0.5}}


# ---------------------------------------------------------------------------
# Resource builders


def deployment(ctx: Ctx) -> Doc:
    rng = ctx.rng
    share = rng.random() < 0.03
    meta_l, sel_l, tpl_l = selector_labels(ctx, share)
    spec: Doc = {"replicas": rng.choice((1, 2, 3, 3, 5, 10))}
    if rng.random() < 0.4:
        spec["revisionHistoryLimit"] = rng.choice((3, 5, 10))
    spec["selector"] = {"matchLabels": sel_l}
    if rng.random() < 0.35:
        spec["strategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0},
        }
    spec["template"] = template(ctx, tpl_l)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": ctx.meta(ctx.app, meta_l),
        "spec": spec,
    }


def statefulset(ctx: Ctx) -> Doc:
    rng = ctx.rng
    meta_l, sel_l, tpl_l = selector_labels(ctx, rng.random() < 0.03)
    name = f"{ctx.app}-{rng.choice(('db', 'store', 'kafka', 'redis', 'zk'))}"
    spec: Doc = {
        "serviceName": name,
        "replicas": rng.choice((1, 3, 5)),
        "selector": {"matchLabels": sel_l},
        "template": template(ctx, tpl_l),
        "volumeClaimTemplates": [
            {
                "metadata": {"name": "data"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": rng.choice(("gp3", "standard-rwo")),
                    "resources": {"requests": {"storage": rng.choice(("10Gi", "50Gi", "200Gi"))}},
                },
            }
        ],
    }
    if rng.random() < 0.3:
        spec["podManagementPolicy"] = "Parallel"
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ctx.meta(name, meta_l), "spec": spec}


def daemonset(ctx: Ctx) -> Doc:
    rng = ctx.rng
    meta_l, sel_l, tpl_l = selector_labels(ctx, rng.random() < 0.03)
    name = f"{ctx.app}-{rng.choice(('agent', 'node-exporter', 'log-shipper', 'cni', 'csi-node'))}"
    spec: Doc = {"selector": {"matchLabels": sel_l}, "template": template(ctx, tpl_l, host_heavy=True)}
    if rng.random() < 0.5:
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ctx.meta(name, meta_l), "spec": spec}


def job_spec(ctx: Ctx) -> Doc:
    rng = ctx.rng
    spec: Doc = {}
    if rng.random() < 0.5:
        spec["backoffLimit"] = rng.choice((0, 1, 3, 6))
    if rng.random() < 0.3:
        spec["activeDeadlineSeconds"] = rng.choice((600, 3600))
    if rng.random() < 0.3:
        spec["ttlSecondsAfterFinished"] = rng.choice((100, 3600, 86400))
    spec["template"] = template(ctx, ctx.labels("job"), restart=rng.choice(("OnFailure", "Never")))
    return spec


def job(ctx: Ctx) -> Doc:
    name = f"{ctx.app}-{ctx.rng.choice(('migrate', 'backfill', 'seed', 'reindex'))}"
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": ctx.meta(name), "spec": job_spec(ctx)}


def cronjob(ctx: Ctx) -> Doc:
    rng = ctx.rng
    name = f"{ctx.app}-{rng.choice(('cleanup', 'report', 'rotate', 'sync', 'backup'))}"
    spec: Doc = {"schedule": rng.choice(("*/5 * * * *", "0 * * * *", "0 3 * * *", "30 2 * * 0", "@daily"))}
    if rng.random() < 0.5:
        spec["concurrencyPolicy"] = rng.choice(("Forbid", "Replace", "Allow"))
    if rng.random() < 0.4:
        spec["successfulJobsHistoryLimit"] = 3
        spec["failedJobsHistoryLimit"] = 1
    spec["jobTemplate"] = {"spec": job_spec(ctx)}
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": ctx.meta(name), "spec": spec}


def pod(ctx: Ctx) -> Doc:
    rng = ctx.rng
    name = f"{ctx.app}-{rng.choice(('debug', 'test', 'toolbox', 'shell', 'canary'))}"
    spec = pod_spec(ctx, host_heavy=rng.random() < 0.15, restart=rng.choice((None, "Never", "Always")))
    return {"apiVersion": "v1", "kind": "Pod", "metadata": ctx.meta(name), "spec": spec}


def service(ctx: Ctx) -> Doc:
    rng = ctx.rng
    stype = pick(rng, (("ClusterIP", 0.7), ("LoadBalancer", 0.12), ("NodePort", 0.08), ("headless", 0.1)))
    ports: list[Doc] = [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    if rng.random() < 0.3:
        ports.append({"name": "metrics", "port": 9090, "targetPort": 9090})
    spec: Doc = {"selector": {"app.kubernetes.io/name": ctx.app}, "ports": ports}
    if stype == "headless":
        spec["clusterIP"] = "None"
    elif stype != "ClusterIP" or rng.random() < 0.3:
        spec["type"] = stype
    if stype == "NodePort":
        ports[0]["nodePort"] = rng.randint(30000, 32767)
    if stype == "LoadBalancer" and rng.random() < 0.5:
        spec["loadBalancerSourceRanges"] = ["10.0.0.0/8"] if rng.random() < 0.5 else ["0.0.0.0/0"]
    if rng.random() < 0.03:
        spec["externalIPs"] = ["203.0.113.10"]
    return {"apiVersion": "v1", "kind": "Service", "metadata": ctx.meta(ctx.app), "spec": spec}


def configmap(ctx: Ctx) -> Doc:
    rng = ctx.rng
    data: Doc = {}
    for key in rng.sample(("LOG_LEVEL", "REGION", "FEATURE_X", "CACHE_TTL", "UPSTREAM_URL"), rng.randint(0, 4)):
        data[key] = rng.choice(("debug", "eu-west-1", "enabled", "300", f"http://{rng.choice(WORDS)}.svc:8080"))
    if rng.random() < 0.7:
        lines = [f"server:\n  port: 8080\n  timeout: {rng.choice((10, 30, 60))}s"]
        for w in rng.sample(WORDS, rng.randint(1, 4)):
            lines.append(
                f"{w}:\n  enabled: {str(rng.random() < 0.5).lower()}\n  endpoint: http://{w}.{ctx.namespace}.svc"
                f":{rng.choice((80, 8080, 9000))}\n  retries: {rng.randint(0, 5)}"
            )
        data[rng.choice(("app.yaml", "config.yaml", "settings.yaml"))] = "\n".join(lines) + "\n"
    if rng.random() < 0.15:
        data["nginx.conf"] = (
            "server {\n  listen 8080;\n  location / {\n    proxy_pass http://127.0.0.1:3000;\n"
            "    proxy_set_header Host $host;\n  }\n}\n"
        )
    if rng.random() < 0.06:
        data["DB_PASSWORD"] = f"hunter{rng.randint(1, 99)}"  # a secret in a ConfigMap
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": ctx.meta(f"{ctx.app}-config"), "data": data}


def secret(ctx: Ctx) -> Doc:
    rng = ctx.rng
    doc: Doc = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": ctx.meta(f"{ctx.app}-secrets"),
        "type": rng.choice(("Opaque", "Opaque", "kubernetes.io/tls")),
    }
    if doc["type"] == "kubernetes.io/tls":
        doc["data"] = {
            "tls.crt": "LS0tLS1CRUdJTi" + "Q0VSVElGSUNBVEUtLS0t" * 6,
            "tls.key": "LS0tLS1CRUdJTi" * 4,
        }
    else:
        doc["stringData"] = {"username": "app", "password": f"changeme-{rng.getrandbits(32):08x}"}
    return doc


def serviceaccount(ctx: Ctx) -> Doc:
    doc: Doc = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": ctx.meta(ctx.app)}
    if ctx.rng.random() < 0.3:
        doc["automountServiceAccountToken"] = ctx.rng.random() < 0.5
    if ctx.rng.random() < 0.2:
        doc["metadata"].setdefault("annotations", {})["eks.amazonaws.com/role-arn"] = (
            f"arn:aws:iam::123456789012:role/{ctx.team}-{ctx.app}"
        )
    return doc


def _rules(rng: random.Random, cluster: bool) -> list[Doc]:
    rules: list[Doc] = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]
    if rng.random() < 0.4:
        rules.append(
            {
                "apiGroups": [""],
                "resources": ["secrets"],
                "verbs": ["get"] if rng.random() < 0.7 else ["get", "list", "watch"],
            }
        )
    if rng.random() < 0.3:
        rules.append(
            {
                "apiGroups": ["apps"],
                "resources": ["deployments", "statefulsets"],
                "verbs": ["get", "list", "patch", "update"],
            }
        )
    if rng.random() < 0.1:
        rules.append({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})  # wildcard: a finding
    if rng.random() < 0.06:
        rules.append({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]})
    if cluster and rng.random() < 0.2:
        rules.append({"nonResourceURLs": ["/metrics"], "verbs": ["get"]})
    if rng.random() < 0.1:
        rules.append(
            {
                "apiGroups": ["coordination.k8s.io"],
                "resources": ["leases"],
                "verbs": ["get", "create", "update"],
            }
        )
    return rules


def role(ctx: Ctx) -> Doc:
    cluster = ctx.rng.random() < 0.2
    kind = "ClusterRole" if cluster else "Role"
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": ctx.meta(f"{ctx.app}-{'reader' if ctx.rng.random() < 0.6 else 'operator'}", namespaced=not cluster),
        "rules": _rules(ctx.rng, cluster),
    }


def rolebinding(ctx: Ctx) -> Doc:
    rng = ctx.rng
    cluster = rng.random() < 0.2
    role_ref_kind = "ClusterRole" if cluster or rng.random() < 0.3 else "Role"
    role_name = rng.choice((f"{ctx.app}-reader", "view", "edit", "cluster-admin" if rng.random() < 0.3 else "view"))
    subjects: list[Doc] = [{"kind": "ServiceAccount", "name": ctx.app, "namespace": ctx.namespace}]
    if rng.random() < 0.1:
        subjects.append(
            {
                "kind": "Group",
                "name": rng.choice((f"{ctx.team}-devs", "system:authenticated")),
                "apiGroup": "rbac.authorization.k8s.io",
            }
        )
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding" if cluster else "RoleBinding",
        "metadata": ctx.meta(f"{ctx.app}-{role_name}", namespaced=not cluster),
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole" if cluster else role_ref_kind,
            "name": role_name,
        },
        "subjects": subjects,
    }


def default_deny(ctx: Ctx, types: list[str]) -> Doc:
    """A namespace-wide policy: selects every pod, allows nothing of the given types."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": ctx.namespace},
        "spec": {"podSelector": {}, "policyTypes": types},
    }


def networkpolicy(ctx: Ctx) -> Doc:
    """An app's own policy: selects the app's pods, allows some clients (and DNS egress)."""
    rng = ctx.rng
    ingress: list[Doc] = [
        {
            "from": [
                {"podSelector": {"matchLabels": {"app.kubernetes.io/name": rng.choice(WORDS)}}},
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": rng.choice(TEAMS)}}},
            ],
            "ports": [{"protocol": "TCP", "port": 8080}],
        }
    ]
    spec: Doc = {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": ctx.app}},
        "policyTypes": ["Ingress"],
        "ingress": ingress,
    }
    if rng.random() < 0.4:
        spec["policyTypes"].append("Egress")
        spec["egress"] = [
            {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.5.0/24"]}}]},
            {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
        ]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": ctx.meta(ctx.app),
        "spec": spec,
    }


def ingress(ctx: Ctx) -> Doc:
    rng = ctx.rng
    host = f"{ctx.app}.{ctx.env}.acme.example"
    doc: Doc = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": ctx.meta(ctx.app)}
    if rng.random() < 0.5:
        doc["metadata"].setdefault("annotations", {}).update(
            {
                "cert-manager.io/cluster-issuer": "letsencrypt",
                "nginx.ingress.kubernetes.io/proxy-body-size": "8m",
            }
        )
    spec: Doc = {"ingressClassName": rng.choice(("nginx", "alb", "traefik"))}
    if rng.random() < 0.7:
        spec["tls"] = [{"hosts": [host], "secretName": f"{ctx.app}-tls"}]
    spec["rules"] = [
        {
            "host": host,
            "http": {
                "paths": [
                    {
                        "path": p,
                        "pathType": "Prefix",
                        "backend": {"service": {"name": ctx.app, "port": {"number": 80}}},
                    }
                    for p in rng.sample(["/", "/api", "/v1", "/static", "/healthz"], rng.randint(1, 3))
                ]
            },
        }
    ]
    doc["spec"] = spec
    return doc


def hpa(ctx: Ctx) -> Doc:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": ctx.meta(ctx.app),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": ctx.app},
            "minReplicas": 2,
            "maxReplicas": ctx.rng.choice((5, 10, 20)),
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": ctx.rng.choice((60, 70, 80))},
                    },
                }
            ],
        },
    }


def pdb(ctx: Ctx) -> Doc:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": ctx.meta(ctx.app),
        "spec": {
            "minAvailable" if ctx.rng.random() < 0.5 else "maxUnavailable": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": ctx.app}},
        },
    }


def namespace_object(ctx: Ctx) -> Doc:
    labels = {"kubernetes.io/metadata.name": ctx.namespace}
    if ctx.rng.random() < 0.5:
        level = ctx.rng.choice(("baseline", "restricted", "privileged"))
        labels["pod-security.kubernetes.io/enforce"] = level
        labels["pod-security.kubernetes.io/warn"] = "restricted"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ctx.namespace, "labels": labels}}


def pvc(ctx: Ctx) -> Doc:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": ctx.meta(f"{ctx.app}-data"),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}},
    }


Builder = Callable[[Ctx], Doc]
BUILDERS: dict[str, Builder] = {
    "Deployment": deployment,
    "StatefulSet": statefulset,
    "DaemonSet": daemonset,
    "CronJob": cronjob,
    "Job": job,
    "Pod": pod,
    "Service": service,
    "ConfigMap": configmap,
    "Secret": secret,
    "ServiceAccount": serviceaccount,
    "Role": role,
    "RoleBinding": rolebinding,
    "NetworkPolicy": networkpolicy,
    "Ingress": ingress,
    "HorizontalPodAutoscaler": hpa,
    "PodDisruptionBudget": pdb,
    "PersistentVolumeClaim": pvc,
}
# Share of resources of each kind, for resources not part of an app bundle.
KIND_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("Deployment", 13),
    ("StatefulSet", 3),
    ("DaemonSet", 2),
    ("CronJob", 4),
    ("Job", 3),
    ("Pod", 3),
    ("Service", 12),
    ("ConfigMap", 12),
    ("Secret", 3),
    ("ServiceAccount", 8),
    ("Role", 6),
    ("RoleBinding", 6),
    ("NetworkPolicy", 6),
    ("Ingress", 5),
    ("HorizontalPodAutoscaler", 3),
    ("PodDisruptionBudget", 3),
    ("PersistentVolumeClaim", 1),
)
CORPUS_META = ".corpus-meta"  # JSON: resources, files, bytes, kinds, seed, generator
# Bumped whenever the same seed and size would give different files, so benchmarks regenerate.
GENERATOR_VERSION = 4  # 3: charts have templates; 4: the same mix of layouts at every size


# ---------------------------------------------------------------------------
# Non-Kubernetes YAML


def helm_values(ctx: Ctx) -> tuple[str, Doc]:
    """A chart's values file, and the values it holds."""
    rng = ctx.rng
    values: Doc = {
        "replicaCount": rng.choice((1, 2, 3)),
        "image": {
            "repository": f"{rng.choice(REGISTRIES)}/{ctx.app}",
            "tag": "",
            "pullPolicy": "IfNotPresent",
        },
        "serviceAccount": {"create": True, "annotations": {}, "name": ""},
        "podSecurityContext": {"fsGroup": 2000} if rng.random() < 0.5 else {},
        "securityContext": {
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 1000,
        }
        if rng.random() < 0.5
        else {},
        "service": {"type": "ClusterIP", "port": 80},
        "ingress": {
            "enabled": rng.random() < 0.5,
            "className": "nginx",
            "hosts": [
                {
                    "host": f"{ctx.app}.acme.example",
                    "paths": [{"path": "/", "pathType": "ImplementationSpecific"}],
                }
            ],
        },
        "resources": {
            "limits": {"cpu": "500m", "memory": "512Mi"},
            "requests": {"cpu": "100m", "memory": "128Mi"},
        },
        "autoscaling": {
            "enabled": False,
            "minReplicas": 1,
            "maxReplicas": 100,
            "targetCPUUtilizationPercentage": 80,
        },
        "nodeSelector": {},
        "tolerations": [],
        "affinity": {},
    }
    header = (
        f"# Default values for {ctx.app}.\n# This is a YAML-formatted file.\n"
        "# Declare variables to be passed into your templates.\n\n"
    )
    return header + sprinkle_comments(dump_yaml(values, rng.random() < 0.5), rng, 0.15), values


# A chart's templates, as a chart scaffold has them: a Deployment, its Service and ServiceAccount,
# an Ingress and an HPA when the values switch them on. The security settings come from values.yaml
# (hardened in about half the charts), so the rules take both paths on rendered resources too.
CHART_HELPERS = """\
{{- define "app.fullname" -}}
{{- if .Values.fullnameOverride }}{{ .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}

{{- define "app.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "app.labels" -}}
{{ include "app.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "app.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}{{ default (include "app.fullname" .) .Values.serviceAccount.name }}
{{- else }}{{ default "default" .Values.serviceAccount.name }}{{ end }}
{{- end }}
"""

CHART_TEMPLATES = {
    "deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "app.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "app.selectorLabels" . | nindent 8 }}
    spec:
      serviceAccountName: {{ include "app.serviceAccountName" . }}
      {{- with .Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          {{- with .Values.securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - name: http
              containerPort: {{ .Values.service.port }}
              protocol: TCP
          livenessProbe:
            httpGet:
              path: /
              port: http
          {{- with .Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
""",
    "service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
      name: http
  selector:
    {{- include "app.selectorLabels" . | nindent 4 }}
""",
    "serviceaccount.yaml": """\
{{- if .Values.serviceAccount.create -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "app.serviceAccountName" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
""",
    "ingress.yaml": """\
{{- if .Values.ingress.enabled -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  ingressClassName: {{ .Values.ingress.className }}
  rules:
    {{- range .Values.ingress.hosts }}
    - host: {{ .host | quote }}
      http:
        paths:
          {{- range .paths }}
          - path: {{ .path }}
            pathType: {{ .pathType }}
            backend:
              service:
                name: {{ include "app.fullname" $ }}
                port:
                  number: {{ $.Values.service.port }}
          {{- end }}
    {{- end }}
{{- end }}
""",
    "hpa.yaml": """\
{{- if .Values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "app.fullname" . }}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .Values.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
""",
}


def chart_kinds(values: Doc) -> list[Doc]:
    """What the templates above render with these values (for the corpus's resource counts)."""
    kinds = ["Deployment", "Service"]
    kinds += ["ServiceAccount"] if values["serviceAccount"]["create"] else []
    kinds += ["Ingress"] if values["ingress"]["enabled"] else []
    kinds += ["HorizontalPodAutoscaler"] if values["autoscaling"]["enabled"] else []
    return [{"kind": kind} for kind in kinds]


def kustomization(ctx: Ctx, resources_: list[str]) -> str:
    rng = ctx.rng
    doc: Doc = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": ctx.namespace,
        "resources": resources_ or ["../../base"],
    }
    if rng.random() < 0.5:
        doc["commonLabels"] = {"env": ctx.env}
    if rng.random() < 0.5:
        doc["images"] = [{"name": ctx.app, "newTag": f"{rng.randint(1, 9)}.{rng.randint(0, 30)}.0"}]
    if rng.random() < 0.3:
        doc["patches"] = [{"path": "replicas-patch.yaml", "target": {"kind": "Deployment", "name": ctx.app}}]
    return dump_yaml(doc, False)


# The JSON 6902 patch a kustomization may name (kubeaudit renders overlays, so it must exist).
REPLICAS_PATCH = "- op: add\n  path: /spec/replicas\n  value: 3\n"


def add_kustomization(corpus: Corpus, folder: str, text: str) -> None:
    corpus.add(f"{folder}/kustomization.yaml", text)
    if "replicas-patch.yaml" in text:
        corpus.add(f"{folder}/replicas-patch.yaml", REPLICAS_PATCH)


def other_yaml(ctx: Ctx) -> str:
    """Files a repository keeps next to manifests: CI config, docs metadata."""
    rng = ctx.rng
    if rng.random() < 0.5:
        doc: Doc = {
            "stages": ["lint", "test", "deploy"],
            "deploy": {
                "stage": "deploy",
                "script": [f"kubectl apply -k overlays/{ctx.env}"],
                "only": ["main"],
            },
        }
    else:
        doc = {
            "name": ctx.app,
            "owners": [f"{ctx.team}@acme.example"],
            "tier": rng.randint(1, 3),
            "dashboards": [f"https://grafana.acme.example/d/{rng.getrandbits(24):06x}"],
        }
    return dump_yaml(doc, rng.random() < 0.5)


# ---------------------------------------------------------------------------
# Files


@dataclass
class Corpus:
    files: dict[str, str] = field(default_factory=dict)  # relative path -> text
    resources: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    layouts: dict[str, int] = field(default_factory=dict)  # resources each layout made
    renders: dict[str, int] = field(default_factory=lambda: {"overlays": 0, "charts": 0})

    def count(self, docs: Sequence[Doc], layout: str) -> None:
        for d in docs:
            self.resources += 1
            self.kinds[d["kind"]] = self.kinds.get(d["kind"], 0) + 1
        self.layouts[layout] = self.layouts.get(layout, 0) + len(docs)

    def add(self, path: str, text: str) -> None:
        base, dot, ext = path.rpartition(".")
        n = 2
        while path in self.files:
            path = f"{base}-{n}{dot}{ext}"
            n += 1
        self.files[path] = text


def render_docs(docs: Sequence[Doc], rng: random.Random) -> str:
    indented = rng.random() < 0.35
    comment_rate = pick(rng, ((0.0, 0.5), (0.02, 0.35), (0.08, 0.15)))
    parts: list[str] = []
    for i, d in enumerate(docs):
        text = sprinkle_comments(dump_yaml(d, indented), rng, comment_rate)
        if rng.random() < 0.15:
            text = f"# {d['kind']} {d['metadata'].get('name', '')}\n" + text
        parts.append(text)
        if i < len(docs) - 1 or rng.random() < 0.05:
            parts.append("---\n")
    lead = "---\n" if rng.random() < 0.2 else ""
    return lead + "".join(parts)


@dataclass
class Namespace:
    name: str
    team: str
    env: str
    deny: list[str]  # policy types of its default-deny policy (empty: none)


MAX_NAME_MISSES = 1_000  # draws of a name already taken, in a row, before namespaces are numbered


class NamespacePool:
    """The namespaces of the repository: many (one per 60 resources), few of them big.

    Apps land in namespaces with Zipf-like weights, so a few namespaces hold hundreds of
    workloads and most hold a handful. About a third of the namespaces have a default-deny
    policy (for ingress, sometimes egress too), written once beside their Namespace object;
    the rest rely on per-app policies, where they have any. That is what makes a real
    repository's NetworkPolicy findings: most workloads isolated by nothing.
    """

    def __init__(self, rng: random.Random, n_resources: int) -> None:
        self.namespaces: list[Namespace] = []
        seen: set[str] = set()
        misses = 0
        while len(self.namespaces) < max(12, n_resources // 60):
            team, env = rng.choice(TEAMS), rng.choice(ENVS)
            name = pick(rng, ((f"{team}-{env}", 0.4), (f"{team}-{rng.choice(WORDS)}-{env}", 0.5), (team, 0.1)))
            if name in seen:
                # The word lists make 1,808 names; past about 108,000 resources (one namespace per
                # 60) they run out, and this loop never ended. Then number the rest. Smaller
                # corpora never miss this often in a row, so their bytes stay the same.
                misses += 1
                if misses < MAX_NAME_MISSES:
                    continue
                name = f"{team}-{env}-{len(self.namespaces)}"
            else:
                misses = 0
            seen.add(name)
            deny = pick(rng, (([], 0.65), (["Ingress"], 0.2), (["Ingress", "Egress"], 0.15)))
            self.namespaces.append(Namespace(name, team, env, deny))
        self.cum_weights: list[float] = []
        total = 0.0
        for rank in range(len(self.namespaces)):
            total += 1 / (rank + 1) ** 0.8
            self.cum_weights.append(total)
        self.written: set[str] = set()

    def choose(self, rng: random.Random) -> Namespace:
        return rng.choices(self.namespaces, cum_weights=self.cum_weights)[0]


# A namespace nobody split up: one in every 40 resources is one of its workloads, and one in 400
# one of its policies (200,000 resources: 5,000 workloads and 500 policies in one namespace).
MONOLITH = "legacy-monolith"
MONOLITH_WORKLOAD_SHARE = 40
MONOLITH_POLICY_SHARE = 400


# The mix of layouts, the same at every size, so that time per resource across sizes measures growth
# and not a different mix (version 3 drew each layout at random: its 1,000-resource corpus had twice
# the overlays per resource of its 10,000 one and no List dump). Each layout gets a budget in
# proportion to the corpus size, counted in resources, except Kustomize (counted in overlays: each is
# one `kubectl kustomize` process, by far the dearest thing per resource) and Helm (counted in
# charts, each rendered by the Helm worker). The shares are those version 3's draws gave at 50,000
# resources, where they had settled; the rest of the corpus is the monolith and the Namespace objects.
LAYOUT_SHARES: dict[str, float] = {  # share of the corpus's resources
    "dump": 0.285,  # `kubectl get -A -o yaml` List dumps, 100 to 800 items
    "bundle": 0.255,  # one app per file (and whatever the budgets leave: about 1% more)
    "allinone": 0.117,  # many apps in a file, 10 to 25 resources
    "rendered": 0.109,  # `helm template` of one namespace, 60 to 400 resources
    "list": 0.045,
    "single": 0.039,
    "split": 0.038,
    "json": 0.011,
}
OVERLAYS_PER_1000 = 14  # Kustomize overlays (each with a base of 2 to 4 resources) per 1,000 resources
CHARTS_PER_1000 = 4  # Helm charts per 1,000 resources
# A layout's typical resources (overlays, charts) per draw: drawing layouts in proportion to their
# budgets' remaining draws spreads each layout's files over the whole corpus.
UNIT_SIZES = {"dump": 450, "bundle": 3.5, "allinone": 16.5, "rendered": 100, "list": 7, "single": 1,
              "split": 3.5, "json": 1.6, "kustomize": 1.5, "helm": 1}  # fmt: skip


def layout_budgets(n_resources: int) -> dict[str, int]:
    """What each layout makes in a corpus of this size: resources, overlays for kustomize, charts for helm."""
    budgets = {layout: round(share * n_resources) for layout, share in LAYOUT_SHARES.items()}
    budgets["kustomize"] = round(OVERLAYS_PER_1000 * n_resources / 1000)
    budgets["helm"] = round(CHARTS_PER_1000 * n_resources / 1000)
    return budgets


def build_corpus(n_resources: int, seed: int, monolith_only: bool = False) -> Corpus:
    """The corpus of this size; with MONOLITH_ONLY just its `legacy-monolith` namespace (the files
    the one-namespace benchmark scans: 5,000 workloads and 500 policies for 200,000 resources)."""
    rng = random.Random(seed)
    corpus = Corpus()
    pool = NamespacePool(rng, n_resources)
    app_serial = 0

    def new_ctx(namespace: Namespace | None = None) -> Ctx:
        nonlocal app_serial
        app_serial += 1
        ns = namespace or pool.choose(rng)
        app = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{app_serial}"
        ctx = Ctx(rng, ns.team, app, ns.env, ns.name)
        if ns.name not in pool.written:  # the namespace's own folder: its object and default-deny policy
            pool.written.add(ns.name)
            docs = [namespace_object(ctx)] + ([default_deny(ctx, ns.deny)] if ns.deny else [])
            corpus.count(docs, "namespaces")
            corpus.add(f"namespaces/{ns.name}.yaml", render_docs(docs, rng))
        return ctx

    monolith(corpus, rng, n_resources, new_ctx)
    remaining = layout_budgets(n_resources)
    while corpus.resources < n_resources and not monolith_only:
        open_layouts = [layout for layout, left in remaining.items() if left > 0]
        if open_layouts:
            weights = [remaining[layout] / UNIT_SIZES[layout] for layout in open_layouts]
            layout = rng.choices(open_layouts, weights)[0]
        else:  # budgets rounded down, or fewer Namespace objects than usual: app bundles fill up
            layout = "bundle"
        made = corpus.layouts.get(layout, 0)
        renders = corpus.renders.copy()
        ctx = new_ctx()
        root = f"teams/{ctx.team}" if rng.random() < 0.8 else f"clusters/{rng.choice(ENVS)}-{rng.randint(1, 3)}"
        # Resources this draw may make: what the corpus and the layout's budget have left.
        left = n_resources - corpus.resources
        if layout not in ("kustomize", "helm"):  # those two count overlays and charts, not resources
            left = min(left, max(1, remaining[layout]))
        if layout == "bundle":  # one app per file: workload + its satellites
            docs = bundle(ctx, min(left, rng.randint(2, 5)))
            corpus.count(docs, layout)
            corpus.add(
                f"{root}/{ctx.app}/{rng.choice(('manifest', 'deploy', ctx.app, 'k8s'))}."
                f"{'yml' if rng.random() < 0.15 else 'yaml'}",
                render_docs(docs, rng),
            )
        elif layout == "split":  # one resource per file, one folder per app
            docs = bundle(ctx, min(left, rng.randint(2, 5)))
            corpus.count(docs, layout)
            for d in docs:
                corpus.add(f"{root}/{ctx.app}/{d['kind'].lower()}.yaml", render_docs([d], rng))
        elif layout == "single":
            d = BUILDERS[pick(rng, KIND_WEIGHTS)](ctx)
            corpus.count([d], layout)
            corpus.add(f"{root}/{d['kind'].lower()}-{d['metadata']['name']}.yaml", render_docs([d], rng))
        elif layout == "allinone":  # a big generated file: many apps, 10-25 resources
            docs = []
            for _ in range(rng.randint(3, 8)):
                docs += bundle(new_ctx(), rng.randint(2, 4))
            docs = docs[: max(1, left)]
            corpus.count(docs, layout)
            corpus.add(f"{root}/all-in-one-{app_serial}.yaml", render_docs(docs, rng))
        elif layout == "rendered":  # `helm template` of an umbrella chart: one namespace, 60-400 resources
            ns = next(n for n in pool.namespaces if n.name == ctx.namespace)
            docs = []
            while len(docs) < min(left, rng.randint(60, 400)):
                docs += bundle(new_ctx(ns), rng.randint(2, 5))
            docs = docs[: max(1, left)]
            corpus.count(docs, layout)
            corpus.add(f"{root}/rendered/{ctx.namespace}-{app_serial}.yaml", render_docs(docs, rng))
        elif layout == "dump":  # `kubectl get all -A -o yaml`: a List of 100-800 items across namespaces
            docs = []
            for _ in range(min(rng.randint(100, 800), left + 2) // 3):
                docs += bundle(new_ctx(), 3)
            docs = docs[: max(1, left)]
            corpus.count(docs, layout)
            lst = {"apiVersion": "v1", "kind": "List", "items": docs, "metadata": {"resourceVersion": ""}}
            corpus.add(f"clusters/dumps/all-{app_serial}.yaml", render_docs([lst], rng))
        elif layout == "list":  # kubectl get -o yaml output
            docs = [BUILDERS[pick(rng, KIND_WEIGHTS)](ctx) for _ in range(min(left, rng.randint(2, 12)))]
            corpus.count(docs, layout)
            lst = {"apiVersion": "v1", "kind": "List", "items": docs, "metadata": {"resourceVersion": ""}}
            corpus.add(f"{root}/exports/{ctx.app}-list.yaml", render_docs([lst], rng))
        elif layout == "json":
            if rng.random() < 0.7:
                docs = [BUILDERS[pick(rng, KIND_WEIGHTS)](ctx)]
                body: Doc = docs[0]
            else:
                docs = bundle(ctx, min(left, rng.randint(2, 4)))
                body = {"apiVersion": "v1", "kind": "List", "items": docs}
            corpus.count(docs, layout)
            corpus.add(
                f"{root}/{ctx.app}/{docs[0]['kind'].lower()}.json",
                json.dumps(body, indent=rng.choice((2, 4))) + "\n",
            )
        elif layout == "helm":  # a chart: Chart.yaml, values and templates, rendered by the scan
            chart = f"{root}/charts/{ctx.app}"
            corpus.add(
                f"{chart}/Chart.yaml",
                dump_yaml(
                    {
                        "apiVersion": "v2",
                        "name": ctx.app,
                        "version": "0.1.0",
                        "appVersion": "1.16.0",
                        "type": "application",
                    },
                    False,
                ),
            )
            text, values = helm_values(ctx)
            corpus.add(f"{chart}/values.yaml", text)
            corpus.count(chart_kinds(values), layout)
            corpus.renders["charts"] += 1
            corpus.add(f"{chart}/templates/_helpers.tpl", CHART_HELPERS)
            for name, template in CHART_TEMPLATES.items():
                corpus.add(f"{chart}/templates/{name}", template)
            if rng.random() < 0.5:  # another environment's values (not rendered: no --helm-values)
                corpus.add(f"{chart}/values-{ctx.env}.yaml", helm_values(ctx)[0])
            corpus.add(f"{chart}/ci.yaml", other_yaml(ctx))
        else:  # kustomize: base + overlays, nested
            base = f"{root}/{ctx.app}/base"
            docs = bundle(ctx, min(left, rng.randint(2, 4)))
            corpus.count(docs, layout)
            names: list[str] = []
            for d in docs:
                name = f"{d['kind'].lower()}.yaml"
                # A second resource of a kind overwrites the first's file, as it always has; the
                # kustomization lists the file once (kustomize refuses a resource listed twice).
                names.extend([] if name in names else [name])
                corpus.add(f"{base}/{name}", render_docs([d], rng))
            add_kustomization(corpus, base, kustomization(ctx, names))
            for env in rng.sample(ENVS, min(rng.randint(1, 2), remaining[layout])):
                overlay = f"{root}/{ctx.app}/overlays/{env}"
                add_kustomization(corpus, overlay, kustomization(ctx, ["../../base"]))
                corpus.renders["overlays"] += 1
                if rng.random() < 0.5 and corpus.resources < n_resources:
                    patch = BUILDERS[rng.choice(("ConfigMap", "NetworkPolicy", "Service"))](ctx)
                    corpus.count([patch], layout)
                    corpus.add(f"{overlay}/{patch['kind'].lower()}-{env}.yaml", render_docs([patch], rng))
        if layout == "kustomize":
            remaining[layout] -= corpus.renders["overlays"] - renders["overlays"]
        elif layout == "helm":
            remaining[layout] -= corpus.renders["charts"] - renders["charts"]
        elif layout in remaining:
            remaining[layout] -= corpus.layouts.get(layout, 0) - made
    return corpus


def monolith(corpus: Corpus, rng: random.Random, n_resources: int, new_ctx: Callable[..., Ctx]) -> None:
    """The big namespace: its workloads in multi-document files of 50, its policies in one file."""
    ns = Namespace(MONOLITH, "platform", "prod", [])
    workloads = max(1, n_resources // MONOLITH_WORKLOAD_SHARE)
    policies = max(1, n_resources // MONOLITH_POLICY_SHARE)
    apps = [new_ctx(ns) for _ in range(workloads)]
    for start in range(0, workloads, 50):
        kinds = [rng.choice(("Deployment", "Deployment", "StatefulSet", "CronJob")) for _ in apps[start : start + 50]]
        docs = [BUILDERS[kind](c) for kind, c in zip(kinds, apps[start : start + 50], strict=True)]
        corpus.count(docs, "monolith")
        corpus.add(f"legacy/monolith/part-{start // 50:04}.yaml", render_docs(docs, rng))
    docs = [networkpolicy(rng.choice(apps)) for _ in range(policies)]
    for i, d in enumerate(docs):  # several policies may select one app; names stay unique
        d["metadata"]["name"] = f"{d['metadata']['name']}-{i}"
    corpus.count(docs, "monolith")
    corpus.add("legacy/monolith/networkpolicies.yaml", render_docs(docs, rng))


def bundle(ctx: Ctx, size: int) -> list[Doc]:
    """An app's resources: a workload (usually) and the things around it."""
    rng = ctx.rng
    kinds: list[str] = []
    if rng.random() < 0.72:
        kinds.append(
            pick(
                rng,
                (
                    ("Deployment", 0.68),
                    ("StatefulSet", 0.1),
                    ("DaemonSet", 0.06),
                    ("CronJob", 0.1),
                    ("Job", 0.06),
                ),
            )
        )
    satellites = [
        "Service",
        "ConfigMap",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "NetworkPolicy",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Secret",
        "Pod",
    ]
    weights = [18, 16, 12, 6, 6, 7, 6, 4, 4, 3, 2]
    while len(kinds) < size:
        kinds.append(rng.choices(satellites, weights)[0])
    return [BUILDERS[k](ctx) for k in kinds[:size]]


def write_corpus(
    corpus: Corpus, out: str, seed: int, requested: int | None = None, monolith_only: bool = False
) -> tuple[int, int]:
    if os.path.isdir(out):
        shutil.rmtree(out)
    total = 0
    for rel, text in sorted(corpus.files.items()):
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = text.encode("utf-8")
        with open(path, "wb") as handle:
            handle.write(data)
        total += len(data)
    meta = {
        "resources": corpus.resources,
        "files": len(corpus.files),
        "bytes": total,
        "kinds": corpus.kinds,
        "layouts": corpus.layouts,
        "renders": corpus.renders,
        "requested": corpus.resources if requested is None else requested,
        "monolith_only": monolith_only,
        "seed": seed,
        "generator": GENERATOR_VERSION,
    }
    # No manifest suffix, so neither kubeaudit nor the parse baseline reads it.
    with open(os.path.join(out, CORPUS_META), "w", encoding="utf-8") as handle:
        json.dump(meta, handle, indent=2, sort_keys=True)
    return len(corpus.files), total


def generate(n_resources: int, out: str, seed: int, monolith_only: bool = False) -> dict[str, Any]:
    corpus = build_corpus(n_resources, seed, monolith_only)
    files, total = write_corpus(corpus, out, seed, n_resources, monolith_only)
    return {
        "resources": corpus.resources,
        "files": files,
        "bytes": total,
        "kinds": corpus.kinds,
        "seed": seed,
        "out": out,
    }


DEFAULT_RESOURCES = 10_000
DEFAULT_SEED = 1
BENCH = os.path.dirname(os.path.abspath(__file__))


def corpus_folder(resources: int, seed: int, parent: str | None = None, monolith_only: bool = False) -> str:
    """Where the corpus of this size and seed lives: bench/corpus for the default one, else
    corpus-<N>-s<seed> in PARENT (default bench/), with -monolith for its monolith alone."""
    if parent is None and (resources, seed, monolith_only) == (DEFAULT_RESOURCES, DEFAULT_SEED, False):
        return os.path.join(BENCH, "corpus")
    return os.path.join(parent or BENCH, f"corpus-{resources}-s{seed}{'-monolith' if monolith_only else ''}")


def corpus_is_current(folder: str, resources: int, seed: int, monolith_only: bool = False) -> bool:
    """Whether FOLDER holds the corpus this generator version makes for this size and seed."""
    try:
        with open(os.path.join(folder, CORPUS_META), encoding="utf-8") as handle:
            meta = json.load(handle)
    except (OSError, ValueError):
        return False
    if not isinstance(meta, dict):
        return False
    made = (meta.get("requested"), meta.get("seed"), meta.get("generator"), meta.get("monolith_only", False))
    return made == (resources, seed, GENERATOR_VERSION, monolith_only)


def ensure_corpus(
    resources: int, seed: int = DEFAULT_SEED, parent: str | None = None, monolith_only: bool = False
) -> str:
    """The folder of the generated corpus of this size and seed (see corpus_folder), made first
    if it is missing or was made by another generator version. Every benchmark gets its corpus
    here, so none times a stale one. A folder there that is not a generated corpus is never replaced."""
    folder = corpus_folder(resources, seed, parent, monolith_only)
    if corpus_is_current(folder, resources, seed, monolith_only):
        return folder
    if os.path.isdir(folder) and os.listdir(folder) and not os.path.exists(os.path.join(folder, CORPUS_META)):
        raise SystemExit(f"{folder} exists and is not a generated corpus (no {CORPUS_META}): not replacing it")
    print(f"generating {resources} resources (seed {seed}, generator {GENERATOR_VERSION}) into {folder} ...",
          file=sys.stderr)  # fmt: skip
    generate(resources, folder, seed, monolith_only)
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resources", type=int, default=10_000, help="Kubernetes resources to generate")
    parser.add_argument(
        "--out",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus"),
        help="output folder (replaced if it exists)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--monolith-only", action="store_true", help="only the corpus's legacy-monolith namespace")
    args = parser.parse_args(argv)
    info = generate(args.resources, args.out, args.seed, args.monolith_only)
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(info["kinds"].items(), key=lambda kv: -kv[1]))
    print(f"{info['resources']} resources in {info['files']} files, {info['bytes'] / 1e6:.1f} MB -> {args.out}")
    print(f"kinds: {kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
