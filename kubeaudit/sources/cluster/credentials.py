"""Which clusters to scan and how to authenticate: kubeconfig files, contexts, in-cluster.

Resolution, as kubectl does it: `--kubeconfig FILE`, else `KUBECONFIG` (several files
joined by ':' -- ';' on Windows -- merged, first one wins), else ~/.kube/config; and
when none of those exists but KUBERNETES_SERVICE_HOST is set (running in a pod), the
pod's service-account credentials. The `kubernetes` client does the configuration,
authentication (tokens, client certificates, exec plugins) and TLS.

In a pod, the client's InClusterConfigLoader reads the server from KUBERNETES_SERVICE_HOST and
KUBERNETES_SERVICE_PORT and the token and CA certificate from SERVICE_ACCOUNT_DIR (the path
Kubernetes mounts them at; the token is re-read every minute, so projected tokens that rotate keep
working). `connect(..., service_account_dir=...)` points it elsewhere: tests use that to run the
real loader against the test API server's token and CA. There is no environment override.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from kubeaudit.sources.cluster.errors import ClusterError

IN_CLUSTER = "in-cluster"
# Where Kubernetes mounts a pod's service-account token and the cluster CA certificate.
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


@dataclass(frozen=True, slots=True)
class Connection:
    context: str
    server: str
    client: Any  # kubernetes.client.ApiClient


def kubeconfig_paths(explicit: str | None) -> tuple[list[str], str]:
    """(existing kubeconfig files, where they came from). Missing files given explicitly are errors."""
    if explicit:
        paths = [p for p in explicit.split(os.pathsep) if p]
        missing = [p for p in paths if not os.path.isfile(os.path.expanduser(p))]
        if missing:
            raise ClusterError([f"kubeconfig not found: {p}" for p in missing])
        return [os.path.expanduser(p) for p in paths], "--kubeconfig"
    env = os.environ.get("KUBECONFIG")
    if env:
        # kubectl ignores files of the list that do not exist, and so do we -- unless none does.
        paths = [os.path.expanduser(p) for p in env.split(os.pathsep) if p]
        found = [p for p in paths if os.path.isfile(p)]
        if not found:
            raise ClusterError(f"KUBECONFIG names no existing file: {env}")
        return found, "KUBECONFIG"
    default = os.path.expanduser(os.path.join("~", ".kube", "config"))
    return ([default] if os.path.isfile(default) else []), "~/.kube/config"


def _configuration() -> Any:
    from kubernetes import client

    cfg = client.Configuration()
    # We retry ourselves (bounded, with backoff, honouring Retry-After); urllib3 must not
    # retry behind our back or hide the status of what it retried.
    cfg.retries = False
    return cfg


def _finish(cfg: Any, concurrency: int) -> Any:
    from kubernetes import client

    cfg.connection_pool_maxsize = max(4, concurrency + 2)
    api = client.ApiClient(cfg)
    api.user_agent = "kubeaudit (read-only scanner)"
    return api


def connect(
    kubeconfig: str | None, contexts: list[str], concurrency: int = 4, service_account_dir: str | None = None
) -> list[Connection]:
    """One connection per context (the current context when none is given). No request is made.
    service_account_dir: where in-cluster credentials are read (default SERVICE_ACCOUNT_DIR)."""
    paths, _ = kubeconfig_paths(kubeconfig)
    if not paths:
        if os.environ.get("KUBERNETES_SERVICE_HOST") and not contexts:
            return [_in_cluster(concurrency, service_account_dir or SERVICE_ACCOUNT_DIR)]
        raise ClusterError(
            "no kubeconfig: none at ~/.kube/config, KUBECONFIG is not set and this is not a pod "
            "(give --kubeconfig FILE)"
        )
    from kubernetes.config import kube_config

    joined = os.pathsep.join(paths)
    names, current = _contexts(paths)
    wanted = list(dict.fromkeys(contexts))
    if not wanted:
        if not current:
            raise ClusterError(f"kubeconfig ({joined}) sets no current-context: give --context NAME")
        wanted = [current]
    unknown = [c for c in wanted if c not in names]
    if unknown:
        choices = ", ".join(names) or "none"
        raise ClusterError([f"no context {c!r} in kubeconfig ({joined}); available: {choices}" for c in unknown])
    connections = []
    problems = []
    for name in wanted:
        cfg = _configuration()
        try:
            kube_config.load_kube_config(
                config_file=joined, context=name, client_configuration=cfg, persist_config=False
            )
        except Exception as exc:  # ConfigException, exec plugin failures, unreadable certificate files
            problems.append(f"context {name}: cannot load credentials: {_one_line(exc)}")
            continue
        connections.append(Connection(str(name), str(cfg.host), _finish(cfg, concurrency)))
    if problems:
        raise ClusterError(problems)
    return connections


def _contexts(paths: list[str]) -> tuple[list[str], str | None]:
    """Context names of the merged files, and the current context (the first file that sets one
    wins, as with kubectl)."""
    from kubeaudit.yamlfile import YamlFileError, read_document_file

    names: list[str] = []
    current: str | None = None
    for path in paths:
        try:
            doc = read_document_file(path, "kubeconfig")
        except OSError as exc:
            raise ClusterError(f"cannot read kubeconfig {path}: {_one_line(exc)}") from None
        except YamlFileError as exc:
            raise ClusterError(f"cannot read kubeconfig {exc.located(path)}") from None
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ClusterError(f"cannot read kubeconfig {path}: not a kubeconfig (expected a mapping)")
        for entry in doc.get("contexts") or []:
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(name, str) and name not in names:
                names.append(name)
        if current is None and isinstance(doc.get("current-context"), str) and doc["current-context"]:
            current = doc["current-context"]
    return names, current


def _in_cluster(concurrency: int, service_account_dir: str) -> Connection:
    from kubernetes.config import ConfigException, incluster_config

    class Loader(incluster_config.InClusterConfigLoader):
        """The client's loader, with the token trimmed as client-go trims it: a token file written
        with a trailing newline must not become an invalid Authorization header."""

        def _read_token_file(self) -> None:
            super()._read_token_file()
            self.token = "bearer " + self.token[len("bearer ") :].strip()
            if self.token == "bearer ":
                raise ConfigException("Token file exists but empty.")

    cfg = _configuration()
    loader = Loader(
        token_filename=os.path.join(service_account_dir, "token"),
        cert_filename=os.path.join(service_account_dir, "ca.crt"),
        try_refresh_token=True,
    )
    try:
        loader.load_and_set(cfg)
    except ConfigException as exc:
        raise ClusterError(f"in-cluster credentials: {_one_line(exc)}") from None
    return Connection(IN_CLUSTER, str(cfg.host), _finish(cfg, concurrency))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
