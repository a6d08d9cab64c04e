"""A fake, read-only Kubernetes API server for exercising the live-cluster scanner.

The server (``server.py``) runs as a separate process over TLS on loopback and
speaks the Kubernetes wire format, so tests use the real ``kubernetes`` client
end to end.  This module holds the test-side helper::

    from tests.apiserver import running_apiserver

    with running_apiserver(["tests/apiserver/fixtures"], forbid=["secrets"]) as api:
        client = kubernetes.config.new_client_from_config(config_file=str(api.kubeconfig_path))
        ...
        assert all(r["method"] == "GET" for r in api.requests())

See README.md in this directory for the command line and the fault options.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .certs import CertBundle, generate_bundle, generate_wrong_ca

__all__ = [
    "DEFAULT_TOKEN",
    "FIXTURES",
    "SERVER_SCRIPT",
    "ApiServerHandle",
    "ApiServerStartError",
    "running_apiserver",
    "start_apiserver",
]

HERE = Path(__file__).resolve().parent
SERVER_SCRIPT = HERE / "server.py"
FIXTURES = HERE / "fixtures"
DEFAULT_TOKEN = "kubeaudit-test-token-0123456789"


class ApiServerStartError(RuntimeError):
    """The server process exited or did not become ready in time."""


@dataclass
class ApiServerHandle:
    """A running fake API server process (see :func:`start_apiserver`)."""

    url: str
    port: int
    token: str
    ca_file: Path
    kubeconfig_path: Path
    request_log: Path
    workdir: Path
    process: subprocess.Popen[bytes]
    certs: CertBundle
    state: dict[str, Any] = field(default_factory=dict)
    keep_workdir: bool = False
    _wrong_ca: Path | None = None

    # -- request log ------------------------------------------------------------------------------
    def requests(self, at_least: int = 0, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Every request so far: ``{"method", "path", "query", "raw_query", "status", "accept", ...}``.

        The server logs a request after it has sent the answer, so the client can hold the last
        answer a moment before its log line exists (longer on a loaded machine). A test that knows
        how many requests it made passes AT_LEAST: the log is read until it has that many lines
        (or TIMEOUT passes, and the test's own assertion says what is missing). Otherwise the log
        is read until it has stopped growing."""
        if at_least:
            deadline = time.monotonic() + timeout
            while len(log := self._read_log()) < at_least and time.monotonic() < deadline:
                time.sleep(0.02)
            return log
        text = self._log_text()
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            time.sleep(0.05)
            again = self._log_text()
            if again == text:
                break
            text = again
        return _parse_log(text)

    def _log_text(self) -> str:
        return self.request_log.read_text(encoding="utf-8") if self.request_log.exists() else ""

    def _read_log(self) -> list[dict[str, Any]]:
        return _parse_log(self._log_text())

    def clear_requests(self) -> None:
        """Forget the log so far (the server appends with O_APPEND, so truncating is safe)."""
        with open(self.request_log, "w", encoding="utf-8"):
            pass

    # -- kubeconfig -------------------------------------------------------------------------------
    def write_kubeconfig(self, path: Path | str | None = None, *, token: str | None = None,
                         ca_file: Path | str | None = None, server: str | None = None,
                         embed_ca: bool = True, namespace: str = "default") -> Path:
        """Write a kubeconfig for this server; override token / CA / server URL to test failures."""
        target = Path(path) if path else Path(tempfile.mkstemp(prefix="kubeconfig-", suffix=".yaml",
                                                               dir=self.workdir)[1])
        ca = Path(ca_file) if ca_file else self.ca_file
        ca_line = (f"    certificate-authority-data: {base64.b64encode(ca.read_bytes()).decode()}"
                   if embed_ca else f"    certificate-authority: {json.dumps(str(ca))}")
        target.write_text(
            "apiVersion: v1\n"
            "kind: Config\n"
            "clusters:\n"
            "- name: kubeaudit-test\n"
            "  cluster:\n"
            f"    server: {server or self.url}\n"
            f"{ca_line}\n"
            "contexts:\n"
            "- name: kubeaudit-test\n"
            "  context:\n"
            "    cluster: kubeaudit-test\n"
            "    user: kubeaudit-scanner\n"
            f"    namespace: {namespace}\n"
            "current-context: kubeaudit-test\n"
            "preferences: {}\n"
            "users:\n"
            "- name: kubeaudit-scanner\n"
            "  user:\n"
            f"    token: {json.dumps(token if token is not None else self.token)}\n",
            encoding="utf-8",
        )
        return target

    @property
    def wrong_ca_file(self) -> Path:
        """A CA certificate that did NOT sign the server certificate (same subject name)."""
        if self._wrong_ca is None:
            self._wrong_ca = generate_wrong_ca(self.workdir / "wrong-ca")
        return self._wrong_ca

    @property
    def wrong_ca_kubeconfig_path(self) -> Path:
        """Kubeconfig identical to :attr:`kubeconfig_path` except for an unrelated CA."""
        path = self.workdir / "kubeconfig-wrong-ca.yaml"
        if not path.exists():
            self.write_kubeconfig(path, ca_file=self.wrong_ca_file)
        return path

    def api_client(self, kubeconfig: Path | str | None = None) -> Any:
        """A ``kubernetes.client.ApiClient`` built from the kubeconfig, as a user would."""
        import kubernetes  # only the tests need the client library

        return kubernetes.config.new_client_from_config(config_file=str(kubeconfig or self.kubeconfig_path))

    # -- lifecycle --------------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stderr(self) -> str:
        path = self.workdir / "server.stderr"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def stop(self, timeout: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if not self.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> ApiServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _specs(value: Mapping[str, Any] | Iterable[str] | str | None, fmt: Any = str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [fmt(k, v) for k, v in value.items()]
    return [str(v) for v in value]


def _colon(resource: str, value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return ":".join([resource, *(str(v) for v in value)])
    return f"{resource}:{value}"


def server_args(
    manifests: Iterable[Path | str] = (),
    *,
    forbid: Iterable[str] | str | None = None,
    fail: Mapping[str, int] | Iterable[str] | str | None = None,
    throttle: Mapping[str, int | tuple[int, float]] | Iterable[str] | str | None = None,
    expire_continue: Mapping[str, int | tuple[int, int]] | Iterable[str] | str | None = None,
    delay: Mapping[str, float] | Iterable[str] | str | None = None,
    missing: Iterable[str] | str | None = None,
    ignore_accept: Iterable[str] | str | None = None,
    duplicate: Iterable[str] | str | None = None,
    revoke_token_after: Mapping[str, int] | Iterable[str] | str | None = None,
    die_after: Mapping[str, int] | Iterable[str] | str | None = None,
    trickle: Mapping[str, float] | Iterable[str] | str | None = None,
    truncate: Mapping[str, int] | Iterable[str] | str | None = None,
    reset: Mapping[str, int] | Iterable[str] | str | None = None,
    huge: Mapping[str, int] | Iterable[str] | str | None = None,
    cycle_continue: Iterable[str] | str | None = None,
    fresh_continue: Iterable[str] | str | None = None,
    malform: Mapping[str, Mapping[str, Any]] | None = None,
    remaining_count: bool = True,
    generate_pods: int = 0,
    generate_namespaces: int = 10,
    generate_replicas: int = 5,
    generate_bare: bool = False,
    git_version: str | None = None,
    max_limit: int = 0,
    implicit: bool = True,
    defaulting: bool = True,
    user: str | None = None,
) -> list[str]:
    """Translate helper keyword arguments into ``server.py`` command-line flags."""
    args: list[str] = []
    paths = [str(p) for p in manifests]
    if paths:
        args += ["--manifests", *paths]
    for flag, value in (("--forbid", _specs(forbid)), ("--fail", _specs(fail, _colon)),
                        ("--throttle", _specs(throttle, _colon)),
                        ("--expire-continue", _specs(expire_continue, _colon)),
                        ("--delay", _specs(delay, _colon)), ("--missing", _specs(missing)),
                        ("--ignore-accept", _specs(ignore_accept)), ("--duplicate", _specs(duplicate)),
                        ("--revoke-token-after", _specs(revoke_token_after, _colon)),
                        ("--die-after", _specs(die_after, _colon)), ("--trickle", _specs(trickle, _colon)),
                        ("--truncate", _specs(truncate, _colon)), ("--reset", _specs(reset, _colon)),
                        ("--huge", _specs(huge, _colon)), ("--cycle-continue", _specs(cycle_continue)),
                        ("--fresh-continue", _specs(fresh_continue))):
        for spec in value:
            args += [flag, spec]
    for target, fields in (malform or {}).items():  # {"nodes": {"status": "broken"}}
        for path, wrong in fields.items():
            args += ["--malform", f"{target}:{path}={json.dumps(wrong)}"]
    if generate_pods:
        args += ["--generate-pods", str(generate_pods), "--generate-namespaces", str(generate_namespaces),
                 "--generate-replicas", str(generate_replicas)]
        if generate_bare:
            args.append("--generate-bare")
    if git_version:
        args += ["--git-version", git_version]
    if max_limit:
        args += ["--max-limit", str(max_limit)]
    if not remaining_count:
        args.append("--no-remaining-count")
    if not implicit:
        args.append("--no-implicit")
    if not defaulting:
        args.append("--no-defaulting")
    if user:
        args += ["--user", user]
    return args


def start_apiserver(
    manifests: Iterable[Path | str] | Path | str | None = None,
    *,
    token: str = DEFAULT_TOKEN,
    host: str = "127.0.0.1",
    workdir: Path | str | None = None,
    keep_workdir: bool = False,
    startup_timeout: float = 60.0,
    extra_args: Iterable[str] = (),
    python: str = sys.executable,
    **options: Any,
) -> ApiServerHandle:
    """Start ``server.py`` in a subprocess, wait until it listens, return a handle.

    *options* are the fault / fixture keywords of :func:`server_args` (forbid, fail,
    throttle, expire_continue, delay, generate_pods, git_version, max_limit, ...).
    Call :meth:`ApiServerHandle.stop` when done (or use :func:`running_apiserver`).
    """
    if manifests is None:
        manifests = [FIXTURES]
    elif isinstance(manifests, (str, Path)):
        manifests = [manifests]
    wd = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="kubeaudit-apiserver-"))
    wd.mkdir(parents=True, exist_ok=True)
    kubelet_configs = options.pop("kubelet_configs", None)  # node -> configz answer (see server.py)
    if kubelet_configs is not None:
        (wd / "kubelet-configs.json").write_text(json.dumps(kubelet_configs))
        extra_args = [*extra_args, "--kubelet-configs", str(wd / "kubelet-configs.json")]
    certs = generate_bundle(wd / "pki", tuple(dict.fromkeys((host, "127.0.0.1", "::1", "localhost"))))
    state_file, request_log = wd / "state.json", wd / "requests.jsonl"
    request_log.touch()
    cmd = [python, str(SERVER_SCRIPT), *server_args(list(manifests), **options),
           "--host", host, "--port", "0", "--cert", str(certs.cert_file), "--key", str(certs.key_file),
           "--token", token, "--state-file", str(state_file), "--request-log", str(request_log), *extra_args]
    with open(wd / "server.stdout", "wb") as out, open(wd / "server.stderr", "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=wd,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + startup_timeout
    while not state_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            stderr = (wd / "server.stderr").read_text(errors="replace")
            if not keep_workdir:
                shutil.rmtree(wd, ignore_errors=True)
            raise ApiServerStartError(f"fake apiserver did not start (exit code {proc.returncode}):\n{stderr}")
        time.sleep(0.02)
    state = json.loads(state_file.read_text())
    handle = ApiServerHandle(url=state["url"], port=int(state["port"]), token=token, ca_file=certs.ca_file,
                             kubeconfig_path=wd / "kubeconfig.yaml", request_log=request_log, workdir=wd,
                             process=proc, certs=certs, state=state, keep_workdir=keep_workdir)
    handle.write_kubeconfig(handle.kubeconfig_path)
    return handle


@contextlib.contextmanager
def running_apiserver(manifests: Iterable[Path | str] | Path | str | None = None,
                      **kwargs: Any) -> Iterator[ApiServerHandle]:
    """Context manager around :func:`start_apiserver`; stops the process and removes its files."""
    handle = start_apiserver(manifests, **kwargs)
    try:
        yield handle
    finally:
        handle.stop()


def _parse_log(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if line.strip():
            with contextlib.suppress(json.JSONDecodeError):  # a line being written right now
                out.append(json.loads(line))
    return out
