"""Conformance of our Pod Security Standards rules with Pod Security Admission (PSA).

Each case below is a small pod, made from a restricted-compliant base pod by a few
edits, and the outcome PSA gives it at a policy version (the latest, v1.37, unless the
case names one): which of our rules must fire at the Baseline level and which at the
Restricted level. A case with a version lives in a namespace whose Namespace object pins
it (`pod-security.kubernetes.io/enforce-version`), so the table also checks that pods are
judged at their namespace's version. An empty set means PSA admits
the pod at that level. The cases restate, in our own data, what the upstream
PSA test tables check (kubernetes/kubernetes, staging/src/k8s.io/pod-security-admission:
`test/fixtures_<check>.go`, the pass/fail pod mutations per check and version, and
`policy/check_<check>_test.go`), plus the edge cases the check sources decide
(nil versus empty versus explicit values, ephemeral containers, Windows pods,
`hostUsers: false`, workload templates), and, per version difference that
rules/data/pss-versions.yaml lists, a case at the version before and at the version itself
(the MinimumVersion of each upstream `policy/check_<check>.go` VersionedCheck).

All pods are scanned at once per level with the real scanner, so the whole table
costs two scans. A case passes only if exactly the expected rule ids fire on it.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import RunCli

from kubeaudit.engine.loader import load_rules
from kubeaudit.engine.selection import select_rules
from kubeaudit.model import Finding, ScanResult
from kubeaudit.scan import scan_manifests

# Our rule ids, one per upstream PSA check (upstream check id in the comment).
HOST_PROCESS = "pss-baseline-host-process"  # windowsHostProcess
HOST_NS = "pss-baseline-host-namespaces"  # hostNamespaces
PRIVILEGED = "pss-baseline-privileged"  # privileged
CAPS_B = "pss-baseline-capabilities"  # capabilities_baseline
HOST_PATH = "pss-baseline-host-path-volumes"  # hostPathVolumes
HOST_PORTS = "pss-baseline-host-ports"  # hostPorts
HOST_PROBES = "pss-baseline-host-probes"  # hostProbesAndHostLifecycle
APPARMOR = "pss-baseline-apparmor"  # appArmorProfile
SELINUX = "pss-baseline-selinux"  # seLinuxOptions
PROC_B = "pss-baseline-proc-mount"  # procMount
SECCOMP_B = "pss-baseline-seccomp"  # seccompProfile_baseline
SYSCTLS = "pss-baseline-sysctls"  # sysctls
VOLUMES = "pss-restricted-volume-types"  # restrictedVolumes (overrides hostPathVolumes)
PRIV_ESC = "pss-restricted-privilege-escalation"  # allowPrivilegeEscalation
NON_ROOT = "pss-restricted-run-as-non-root"  # runAsNonRoot
RUN_AS_USER = "pss-restricted-run-as-user"  # runAsUser
SECCOMP_R = "pss-restricted-seccomp"  # seccompProfile_restricted (overrides seccompProfile_baseline)
CAPS_R = "pss-restricted-capabilities"  # capabilities_restricted (overrides capabilities_baseline)
PROC_R = "pss-restricted-proc-mount"  # procMount_restricted (overrides procMount)

DELETE = object()  # an edit value: remove the key

KeyPath = tuple[str | int, ...]
Edit = tuple[str | KeyPath, Any]


def _restricted_container(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "image": "registry.example/app:1.0",
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }


# The upstream minimal restricted pod (test/fixtures.go, 1.22+): one init container and
# one container; runAsNonRoot and a RuntimeDefault seccomp profile at pod level;
# allowPrivilegeEscalation: false and capabilities.drop: [ALL] in each container.
RESTRICTED_POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "base", "namespace": "conformance"},
    "spec": {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [_restricted_container("init")],
        "containers": [_restricted_container("app")],
    },
}

# The upstream minimal baseline pod: no security settings at all.
BARE_POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "bare", "namespace": "conformance"},
    "spec": {
        "initContainers": [{"name": "init", "image": "registry.example/app:1.0"}],
        "containers": [{"name": "app", "image": "registry.example/app:1.0"}],
    },
}

# A restricted-compliant ephemeral (debug) container, for the ephemeral variants.
DEBUG = _restricted_container("debug")

# A Windows pod as the API server accepts it: the Linux-only fields (seccomp, capabilities,
# allowPrivilegeEscalation...) must be absent, runAsNonRoot is still needed for Restricted.
WINDOWS_POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "windows", "namespace": "conformance"},
    "spec": {
        "os": {"name": "windows"},
        "securityContext": {"runAsNonRoot": True, "windowsOptions": {"runAsUserName": "ContainerUser"}},
        "containers": [{"name": "app", "image": "registry.example/win:1.0"}],
    },
}

SC = "spec.securityContext"
C0 = "spec.containers.0"
I0 = "spec.initContainers.0"
E0 = "spec.ephemeralContainers.0"
EPHEMERAL: Edit = ("spec.ephemeralContainers", [DEBUG])


def annotation(key: str) -> KeyPath:
    return ("metadata", "annotations", key)


def apparmor_annotation(container: str) -> KeyPath:
    return annotation(f"container.apparmor.security.beta.kubernetes.io/{container}")


@dataclass(frozen=True)
class Case:
    name: str
    edits: tuple[Edit, ...]
    baseline: frozenset[str]
    restricted: frozenset[str]
    kind: str = "Pod"
    base: str = "restricted"
    version: str | None = None  # the namespace's enforce-version label; None: no Namespace object

    @property
    def namespace(self) -> str:
        if self.version is None:
            return "conformance"
        return "conformance-" + "".join(ch if ch.isalnum() else "-" for ch in self.version.lower())


def case(
    name: str,
    *edits: Edit,
    b: tuple[str, ...] = (),
    r: tuple[str, ...] = (),
    kind: str = "Pod",
    base: str = "restricted",
    v: str | None = None,
) -> Case:
    return Case(name, edits, frozenset(b), frozenset(r), kind, base, v)


def probe(handler: str, host: str | None) -> dict[str, Any]:
    return {handler: {"host": host, "port": 8080}}


FORBIDDEN_VOLUME_SOURCES: dict[str, Any] = {
    "gcePersistentDisk": {"pdName": "disk"},
    "awsElasticBlockStore": {"volumeID": "vol"},
    "gitRepo": {"repository": "https://example.com/repo.git"},
    "nfs": {"server": "nfs.example", "path": "/export"},
    "iscsi": {"targetPortal": "10.0.0.1:3260", "iqn": "iqn.2001-04.com.example:storage", "lun": 0},
    "glusterfs": {"endpoints": "gluster", "path": "vol"},
    "rbd": {"monitors": ["10.0.0.1:6789"], "image": "img"},
    "flexVolume": {"driver": "example/flex"},
    "cinder": {"volumeID": "vol"},
    "cephfs": {"monitors": ["10.0.0.1:6789"]},
    "flocker": {"datasetName": "ds"},
    "fc": {"wwids": ["wwid"]},
    "azureFile": {"secretName": "s", "shareName": "share"},
    "vsphereVolume": {"volumePath": "[ds] vol.vmdk"},
    "quobyte": {"registry": "localhost:1234", "volume": "vol"},
    "azureDisk": {"diskName": "d", "diskURI": "https://example.blob.core.windows.net/vhds/d.vhd"},
    "photonPersistentDisk": {"pdID": "pd"},
    "portworxVolume": {"volumeID": "vol"},
    "scaleIO": {"gateway": "gw", "system": "sys", "secretRef": {"name": "s"}},
    "storageos": {"volumeName": "vol"},
}

SYSCTLS_V1_0 = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
]
SYSCTLS_V1_37 = [
    *SYSCTLS_V1_0,
    "net.ipv4.ip_local_reserved_ports",  # 1.27
    "net.ipv4.tcp_keepalive_time",  # 1.29
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",  # 1.32
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_slow_start_after_idle",  # 1.37
    "net.ipv4.tcp_notsent_lowat",
]
BASELINE_CAPS = [
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
]  # fmt: skip
EVERY_CAP_BY_NAME = [
    "AUDIT_CONTROL", "AUDIT_WRITE", "BLOCK_SUSPEND", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER",
    "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE",
    "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "SETFCAP", "SETGID", "SETUID",
    "SYSLOG", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE",
    "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "WAKE_ALARM",
]  # fmt: skip


def sysctl(name: str) -> Edit:
    return (f"{SC}.sysctls", [{"name": name, "value": "1"}])


USERNS: Edit = ("spec.hostUsers", False)
UNMASKED: Edit = (f"{C0}.securityContext.procMount", "Unmasked")
HOST_PROBE: Edit = (f"{C0}.livenessProbe", probe("httpGet", "10.0.0.1"))

# fmt: off
# One pair of cases per version difference (rules/data/pss-versions.yaml): the version
# before the change and the version of the change.
VERSION_CASES: list[Case] = [
    # sysctls: the safe set grows in 1.27, 1.29, 1.32 and 1.37.
    case("v1-26-sysctl-reserved-ports", sysctl("net.ipv4.ip_local_reserved_ports"), v="v1.26",
         b=(SYSCTLS,), r=(SYSCTLS,)),
    case("v1-27-sysctl-reserved-ports", sysctl("net.ipv4.ip_local_reserved_ports"), v="v1.27"),
    case("v1-28-sysctl-keepalive", sysctl("net.ipv4.tcp_keepalive_time"), v="v1.28", b=(SYSCTLS,), r=(SYSCTLS,)),
    case("v1-29-sysctl-keepalive", sysctl("net.ipv4.tcp_keepalive_probes"), v="v1.29"),
    case("v1-31-sysctl-rmem", sysctl("net.ipv4.tcp_rmem"), v="v1.31", b=(SYSCTLS,), r=(SYSCTLS,)),
    case("v1-32-sysctl-rmem", sysctl("net.ipv4.tcp_wmem"), v="v1.32"),
    case("v1-36-sysctl-slow-start", sysctl("net.ipv4.tcp_slow_start_after_idle"), v="v1.36",
         b=(SYSCTLS,), r=(SYSCTLS,)),
    case("v1-36-sysctl-notsent-lowat", sysctl("net.ipv4.tcp_notsent_lowat"), v="v1.36", b=(SYSCTLS,), r=(SYSCTLS,)),
    case("v1-37-sysctl-slow-start", sysctl("net.ipv4.tcp_slow_start_after_idle"), v="v1.37"),
    case("v1-37-sysctl-notsent-lowat", sysctl("net.ipv4.tcp_notsent_lowat"), v="v1.37"),
    case("v1-0-sysctl-v1-0-set", (f"{SC}.sysctls", [{"name": n, "value": "1"} for n in SYSCTLS_V1_0]), v="v1.0"),
    case("v1-0-sysctl-reserved-ports", sysctl("net.ipv4.ip_local_reserved_ports"), v="v1.0",
         b=(SYSCTLS,), r=(SYSCTLS,)),
    # A version newer than the newest check, and `latest`, evaluate as the newest; so does a
    # label that is not a version (upstream reads it as latest).
    case("v1-40-sysctl-slow-start", sysctl("net.ipv4.tcp_slow_start_after_idle"), v="v1.40"),
    case("latest-sysctl-slow-start", sysctl("net.ipv4.tcp_notsent_lowat"), v="latest"),
    case("invalid-version-sysctl-slow-start", sysctl("net.ipv4.tcp_notsent_lowat"), v="1.20"),
    # seLinuxOptions: container_engine_t from 1.31.
    case("v1-30-selinux-engine", (f"{C0}.securityContext.seLinuxOptions", {"type": "container_engine_t"}),
         v="v1.30", b=(SELINUX,), r=(SELINUX,)),
    case("v1-31-selinux-engine", (f"{C0}.securityContext.seLinuxOptions", {"type": "container_engine_t"}),
         v="v1.31"),
    # procMount: Baseline allows any procMount in user-namespace pods from 1.35, where
    # procMount_restricted takes over at Restricted.
    case("v1-34-proc-mount-userns", USERNS, UNMASKED, v="v1.34", b=(PROC_B,), r=(PROC_B,)),
    case("v1-35-proc-mount-userns", USERNS, UNMASKED, v="v1.35", r=(PROC_R,)),
    case("v1-34-proc-mount-host-users", UNMASKED, v="v1.34", b=(PROC_B,), r=(PROC_B,)),
    case("v1-35-proc-mount-host-users", UNMASKED, v="v1.35", b=(PROC_B,), r=(PROC_B,)),
    # runAsNonRoot and runAsUser: user-namespace pods exempt from 1.35; runAsUser from 1.23.
    case("v1-34-userns-no-run-as-non-root", USERNS, (f"{SC}.runAsNonRoot", DELETE), v="v1.34", r=(NON_ROOT,)),
    case("v1-35-userns-no-run-as-non-root", USERNS, (f"{SC}.runAsNonRoot", DELETE), v="v1.35"),
    case("v1-34-userns-run-as-user-zero", USERNS, (f"{SC}.runAsUser", 0), v="v1.34", r=(RUN_AS_USER,)),
    case("v1-35-userns-run-as-user-zero", USERNS, (f"{SC}.runAsUser", 0), v="v1.35"),
    case("v1-22-run-as-user-zero", (f"{SC}.runAsUser", 0), v="v1.22"),
    case("v1-23-run-as-user-zero", (f"{SC}.runAsUser", 0), v="v1.23", r=(RUN_AS_USER,)),
    # hostProbesAndHostLifecycle: from 1.34.
    case("v1-33-host-probe", HOST_PROBE, v="v1.33"),
    case("v1-34-host-probe", HOST_PROBE, v="v1.34", b=(HOST_PROBES,), r=(HOST_PROBES,)),
    # capabilities_restricted: from 1.22; before that Restricted runs the Baseline check.
    case("v1-21-capabilities-not-dropped", (f"{C0}.securityContext.capabilities", DELETE), v="v1.21"),
    case("v1-22-capabilities-not-dropped", (f"{C0}.securityContext.capabilities", DELETE), v="v1.22", r=(CAPS_R,)),
    case("v1-21-capability-sys-admin", (f"{C0}.securityContext.capabilities.add", ["SYS_ADMIN"]), v="v1.21",
         b=(CAPS_B,), r=(CAPS_B,)),
    case("v1-22-capability-sys-admin", (f"{C0}.securityContext.capabilities.add", ["SYS_ADMIN"]), v="v1.22",
         b=(CAPS_B,), r=(CAPS_R,)),
    # seccompProfile: the fields from 1.19 (Baseline and the new Restricted check); before,
    # Baseline reads only the alpha annotations and Restricted adds nothing.
    case("v1-18-seccomp-unset", (f"{SC}.seccompProfile", DELETE), v="v1.18"),
    case("v1-19-seccomp-unset", (f"{SC}.seccompProfile", DELETE), v="v1.19", r=(SECCOMP_R,)),
    case("v1-18-seccomp-field-unconfined", (f"{SC}.seccompProfile.type", "Unconfined"), v="v1.18"),
    case("v1-19-seccomp-field-unconfined", (f"{SC}.seccompProfile.type", "Unconfined"), v="v1.19",
         b=(SECCOMP_B,), r=(SECCOMP_R,)),
    case("v1-18-seccomp-pod-annotation-unconfined", (annotation("seccomp.security.alpha.kubernetes.io/pod"),
         "unconfined"), v="v1.18", b=(SECCOMP_B,), r=(SECCOMP_B,)),
    case("v1-19-seccomp-pod-annotation-unconfined", (annotation("seccomp.security.alpha.kubernetes.io/pod"),
         "unconfined"), v="v1.19"),
    case("v1-18-seccomp-container-annotation-empty",
         (annotation("container.seccomp.security.alpha.kubernetes.io/app"), ""), v="v1.18",
         b=(SECCOMP_B,), r=(SECCOMP_B,)),
    # Upstream looks up a container's annotation for each container the pod has: one naming no container is ignored.
    case("v1-18-seccomp-annotation-for-no-container",
         (annotation("container.seccomp.security.alpha.kubernetes.io/gone"), "unconfined"), v="v1.18"),
    case("v1-18-seccomp-annotations-allowed", (annotation("seccomp.security.alpha.kubernetes.io/pod"),
         "docker/default"), (annotation("container.seccomp.security.alpha.kubernetes.io/app"), "localhost/prof"),
         (annotation("container.seccomp.security.alpha.kubernetes.io/init"), "runtime/default"), v="v1.18"),
    # allowPrivilegeEscalation: from 1.8.
    case("v1-7-privilege-escalation-unset", (f"{C0}.securityContext.allowPrivilegeEscalation", DELETE), v="v1.7"),
    case("v1-8-privilege-escalation-unset", (f"{C0}.securityContext.allowPrivilegeEscalation", DELETE), v="v1.8",
         r=(PRIV_ESC,)),
    # Windows pods: exempt from allowPrivilegeEscalation, capabilities and seccomp from 1.25.
    case("v1-24-windows-pod", base="windows", v="v1.24", r=(PRIV_ESC, SECCOMP_R, CAPS_R)),
    case("v1-25-windows-pod", base="windows", v="v1.25"),
    # The bare pod through the versions: what Restricted requires grows.
    case("v1-0-bare-pod", base="bare", v="v1.0", r=(NON_ROOT,)),
    case("v1-18-bare-pod", base="bare", v="v1.18", r=(NON_ROOT, PRIV_ESC)),
    case("v1-21-bare-pod", base="bare", v="v1.21", r=(NON_ROOT, PRIV_ESC, SECCOMP_R)),
    case("v1-22-bare-deployment", base="bare", kind="Deployment", v="v1.22", r=(NON_ROOT, PRIV_ESC, SECCOMP_R, CAPS_R)),
]

CASES: list[Case] = [
    # --- the two reference pods -------------------------------------------------------
    case("base-restricted-pod"),
    # No securityContext anywhere: fine for Baseline, and Restricted fails exactly the four
    # controls that need an explicit value.
    case("bare-pod", base="bare", r=(PRIV_ESC, NON_ROOT, SECCOMP_R, CAPS_R)),
    case("base-with-compliant-ephemeral-container", EPHEMERAL),
    # --- windowsHostProcess (baseline, 1.0) -----------------------------------------------
    case("hostprocess-pod-true", (f"{SC}.windowsOptions.hostProcess", True), b=(HOST_PROCESS,), r=(HOST_PROCESS,)),
    case("hostprocess-container-true", (f"{C0}.securityContext.windowsOptions.hostProcess", True),
         b=(HOST_PROCESS,), r=(HOST_PROCESS,)),
    case("hostprocess-init-true", (f"{I0}.securityContext.windowsOptions.hostProcess", True),
         b=(HOST_PROCESS,), r=(HOST_PROCESS,)),
    case("hostprocess-ephemeral-true", EPHEMERAL, (f"{E0}.securityContext.windowsOptions.hostProcess", True),
         b=(HOST_PROCESS,), r=(HOST_PROCESS,)),
    case("hostprocess-pod-true-containers-false", (f"{SC}.windowsOptions.hostProcess", True),
         (f"{C0}.securityContext.windowsOptions.hostProcess", False),
         (f"{I0}.securityContext.windowsOptions.hostProcess", False), b=(HOST_PROCESS,), r=(HOST_PROCESS,)),
    case("hostprocess-false-everywhere", (f"{SC}.windowsOptions.hostProcess", False),
         (f"{C0}.securityContext.windowsOptions.hostProcess", False),
         (f"{I0}.securityContext.windowsOptions.hostProcess", False)),
    case("hostprocess-null", (f"{SC}.windowsOptions", {"hostProcess": None})),
    # --- hostNamespaces (baseline, 1.0) ---------------------------------------------------
    case("host-ipc", ("spec.hostIPC", True), b=(HOST_NS,), r=(HOST_NS,)),
    case("host-network", ("spec.hostNetwork", True), b=(HOST_NS,), r=(HOST_NS,)),
    case("host-pid", ("spec.hostPID", True), b=(HOST_NS,), r=(HOST_NS,)),
    case("host-namespaces-explicit-false", ("spec.hostIPC", False), ("spec.hostNetwork", False),
         ("spec.hostPID", False)),
    # --- privileged (baseline, 1.0) -------------------------------------------------------
    case("privileged-container", (f"{C0}.securityContext.privileged", True), b=(PRIVILEGED,), r=(PRIVILEGED,)),
    case("privileged-init", (f"{I0}.securityContext.privileged", True), b=(PRIVILEGED,), r=(PRIVILEGED,)),
    case("privileged-ephemeral", EPHEMERAL, (f"{E0}.securityContext.privileged", True),
         b=(PRIVILEGED,), r=(PRIVILEGED,)),
    case("privileged-explicit-false", (f"{C0}.securityContext.privileged", False),
         (f"{I0}.securityContext.privileged", False)),
    # --- capabilities_baseline (baseline, 1.0) --------------------------------------------
    # All 13 Baseline capabilities pass Baseline; Restricted allows only NET_BIND_SERVICE.
    case("caps-add-all-baseline-set", (f"{C0}.securityContext.capabilities.add", BASELINE_CAPS),
         (f"{I0}.securityContext.capabilities.add", BASELINE_CAPS), r=(CAPS_R,)),
    case("caps-add-net-raw-container", (f"{C0}.securityContext.capabilities.add", ["NET_RAW"]),
         b=(CAPS_B,), r=(CAPS_R,)),
    case("caps-add-net-raw-init", (f"{I0}.securityContext.capabilities.add", ["NET_RAW"]),
         b=(CAPS_B,), r=(CAPS_R,)),
    case("caps-add-lowercase", (f"{C0}.securityContext.capabilities.add", ["chown"]), b=(CAPS_B,), r=(CAPS_R,)),
    case("caps-add-cap-prefix", (f"{C0}.securityContext.capabilities.add", ["CAP_CHOWN"]),
         b=(CAPS_B,), r=(CAPS_R,)),
    case("caps-add-sys-admin-ephemeral", EPHEMERAL, (f"{E0}.securityContext.capabilities.add", ["SYS_ADMIN"]),
         b=(CAPS_B,), r=(CAPS_R,)),
    case("caps-add-empty-list", (f"{C0}.securityContext.capabilities.add", [])),
    case("caps-add-on-bare-pod", (f"{C0}.securityContext.capabilities.add", ["SYS_PTRACE"]), base="bare",
         b=(CAPS_B,), r=(PRIV_ESC, NON_ROOT, SECCOMP_R, CAPS_R)),
    # --- capabilities_restricted (restricted, 1.22; Windows skip 1.25) --------------------
    case("caps-drop-empty-container", (f"{C0}.securityContext.capabilities.drop", []), r=(CAPS_R,)),
    case("caps-drop-empty-init", (f"{I0}.securityContext.capabilities.drop", []), r=(CAPS_R,)),
    case("caps-drop-every-capability-by-name", (f"{C0}.securityContext.capabilities.drop", EVERY_CAP_BY_NAME),
         (f"{I0}.securityContext.capabilities.drop", EVERY_CAP_BY_NAME), r=(CAPS_R,)),
    case("caps-drop-lowercase-all", (f"{C0}.securityContext.capabilities.drop", ["all"]), r=(CAPS_R,)),
    case("caps-drop-all-among-others", (f"{C0}.securityContext.capabilities.drop", ["NET_RAW", "ALL"])),
    case("caps-add-net-bind-service", (f"{C0}.securityContext.capabilities.add", ["NET_BIND_SERVICE"]),
         (f"{I0}.securityContext.capabilities.add", ["NET_BIND_SERVICE"])),
    case("caps-add-net-bind-service-without-drop",
         (f"{C0}.securityContext.capabilities", {"add": ["NET_BIND_SERVICE"]}), r=(CAPS_R,)),
    case("caps-add-all-keyword", (f"{C0}.securityContext.capabilities.add", ["ALL"]), b=(CAPS_B,), r=(CAPS_R,)),
    case("caps-null-capabilities", (f"{C0}.securityContext.capabilities", None), r=(CAPS_R,)),
    case("caps-nil-capabilities", (f"{C0}.securityContext.capabilities", DELETE), r=(CAPS_R,)),
    case("caps-empty-capabilities", (f"{C0}.securityContext.capabilities", {}), r=(CAPS_R,)),
    case("caps-ephemeral-without-capabilities", EPHEMERAL, (f"{E0}.securityContext.capabilities", DELETE),
         r=(CAPS_R,)),
    # --- hostPathVolumes (baseline, 1.0; overridden by restrictedVolumes) ------------------
    case("host-path-with-empty-dir", ("spec.volumes", [{"name": "scratch", "emptyDir": {}},
                                                        {"name": "host", "hostPath": {"path": "/a"}}]),
         b=(HOST_PATH,), r=(VOLUMES,)),
    case("host-path-only", ("spec.volumes", [{"name": "a", "hostPath": {"path": "/a"}},
                                              {"name": "b", "hostPath": {"path": "/b"}}]),
         b=(HOST_PATH,), r=(VOLUMES,)),
    # --- hostPorts (baseline, 1.0) --------------------------------------------------------
    case("host-port-container", (f"{C0}.ports", [{"containerPort": 12345, "hostPort": 12345}]),
         b=(HOST_PORTS,), r=(HOST_PORTS,)),
    case("host-port-init", (f"{I0}.ports", [{"containerPort": 12346, "hostPort": 12346}]),
         b=(HOST_PORTS,), r=(HOST_PORTS,)),
    case("host-port-mixed-with-plain-ports",
         (f"{C0}.ports", [{"containerPort": 12345, "hostPort": 12345}, {"containerPort": 12347}]),
         (f"{I0}.ports", [{"containerPort": 12346, "hostPort": 12346}, {"containerPort": 12348}]),
         b=(HOST_PORTS,), r=(HOST_PORTS,)),
    case("host-port-ephemeral", EPHEMERAL, (f"{E0}.ports", [{"containerPort": 80, "hostPort": 80}]),
         b=(HOST_PORTS,), r=(HOST_PORTS,)),
    case("container-port-only", (f"{C0}.ports", [{"containerPort": 12345}]),
         (f"{I0}.ports", [{"containerPort": 12346}])),
    case("host-port-zero", (f"{C0}.ports", [{"containerPort": 12345, "hostPort": 0}])),
    # --- hostProbesAndHostLifecycle (baseline, 1.34) --------------------------------------
    case("probe-liveness-http-host", (f"{C0}.livenessProbe", probe("httpGet", "bad.host")),
         b=(HOST_PROBES,), r=(HOST_PROBES,)),
    case("probe-readiness-tcp-host-native-sidecar", (f"{I0}.restartPolicy", "Always"),
         (f"{I0}.readinessProbe", probe("tcpSocket", "8.8.8.8")), b=(HOST_PROBES,), r=(HOST_PROBES,)),
    case("probe-post-start-http-host", (f"{C0}.lifecycle.postStart", probe("httpGet", "bad.host")),
         b=(HOST_PROBES,), r=(HOST_PROBES,)),
    # The released check rejects loopback hosts too (an earlier draft allowed them).
    case("probe-liveness-http-loopback-v4", (f"{C0}.livenessProbe", probe("httpGet", "127.0.0.1")),
         b=(HOST_PROBES,), r=(HOST_PROBES,)),
    case("probe-readiness-tcp-loopback-v6", (f"{C0}.readinessProbe", probe("tcpSocket", "::1")),
         b=(HOST_PROBES,), r=(HOST_PROBES,)),
    case("probe-startup-http-host", (f"{C0}.startupProbe", probe("httpGet", "invalid.host")),
         b=(HOST_PROBES,), r=(HOST_PROBES,)),
    case("probe-liveness-tcp-ipv6-host", (f"{C0}.livenessProbe", probe("tcpSocket", "2001:4860:4860::8888")),
         b=(HOST_PROBES,), r=(HOST_PROBES,)),
    case("probe-pre-stop-http-host", (f"{C0}.lifecycle.preStop", probe("httpGet", "another.invalid.host")),
         b=(HOST_PROBES,), r=(HOST_PROBES,)),
    case("probe-post-start-tcp-host-deprecated", (f"{C0}.lifecycle.postStart", probe("tcpSocket", "invalid.host")),
         b=(HOST_PROBES,), r=(HOST_PROBES,)),
    case("probe-liveness-init-http-host", (f"{I0}.livenessProbe", probe("httpGet", "invalid.init.host")),
         b=(HOST_PROBES,), r=(HOST_PROBES,)),
    # Ephemeral containers may not declare probes (API validation), but PSA checks them anyway.
    case("probe-ephemeral-http-host", EPHEMERAL, (f"{E0}.readinessProbe", probe("httpGet", "169.254.169.254")),
         b=(HOST_PROBES,), r=(HOST_PROBES,)),
    case("probe-host-whitespace", (f"{C0}.livenessProbe", probe("httpGet", " ")), b=(HOST_PROBES,), r=(HOST_PROBES,)),
    case("probes-without-host", (f"{C0}.livenessProbe", {"httpGet": {"port": 8080}}),
         (f"{C0}.readinessProbe", {"tcpSocket": {"port": 8080}}),
         (f"{C0}.lifecycle.preStop", {"httpGet": {"path": "/quit", "port": 8080}})),
    case("probe-host-empty-string", (f"{C0}.livenessProbe", probe("httpGet", "")),
         (f"{C0}.readinessProbe", probe("tcpSocket", ""))),
    case("probes-exec-and-grpc", (f"{C0}.livenessProbe", {"exec": {"command": ["true"]}}),
         (f"{C0}.readinessProbe", {"grpc": {"port": 9090}})),
    # --- appArmorProfile (baseline, 1.0: beta annotations and, since k8s 1.30, the fields) -----
    case("apparmor-annotations-allowed", (apparmor_annotation("app"), "runtime/default"),
         (apparmor_annotation("init"), "localhost/foo")),
    case("apparmor-annotation-unconfined-container", (apparmor_annotation("app"), "unconfined"),
         b=(APPARMOR,), r=(APPARMOR,)),
    case("apparmor-annotation-unconfined-init", (apparmor_annotation("init"), "unconfined"),
         b=(APPARMOR,), r=(APPARMOR,)),
    case("apparmor-annotation-unknown-value", (apparmor_annotation("app"), "unknown"),
         b=(APPARMOR,), r=(APPARMOR,)),
    case("apparmor-annotation-empty-container-name", (apparmor_annotation(""), "bogus"),
         b=(APPARMOR,), r=(APPARMOR,)),
    case("apparmor-annotation-empty-and-bare-localhost", (apparmor_annotation("app"), ""),
         (apparmor_annotation("init"), "localhost/")),
    case("apparmor-annotation-key-without-slash", (annotation("container.apparmor.security.beta.kubernetes.io"),
                                                   "unconfined")),
    case("apparmor-unrelated-annotation", (annotation("env"), "prod")),
    case("apparmor-annotation-for-unknown-container", (apparmor_annotation("sidecar"), "unconfined"),
         b=(APPARMOR,), r=(APPARMOR,)),
    case("apparmor-field-pod-unconfined", (f"{SC}.appArmorProfile", {"type": "Unconfined"}),
         b=(APPARMOR,), r=(APPARMOR,)),
    case("apparmor-field-container-unconfined", (f"{C0}.securityContext.appArmorProfile", {"type": "Unconfined"}),
         b=(APPARMOR,), r=(APPARMOR,)),
    case("apparmor-field-init-unconfined", (f"{I0}.securityContext.appArmorProfile", {"type": "Unconfined"}),
         b=(APPARMOR,), r=(APPARMOR,)),
    case("apparmor-field-ephemeral-unconfined", EPHEMERAL,
         (f"{E0}.securityContext.appArmorProfile", {"type": "Unconfined"}), b=(APPARMOR,), r=(APPARMOR,)),
    case("apparmor-field-without-type", (f"{C0}.securityContext.appArmorProfile", {}),
         b=(APPARMOR,), r=(APPARMOR,)),
    case("apparmor-fields-allowed", (f"{SC}.appArmorProfile", {"type": "RuntimeDefault"}),
         (f"{C0}.securityContext.appArmorProfile", {"type": "Localhost", "localhostProfile": "k8s-app"})),
    # --- seLinuxOptions (baseline, 1.0 and 1.31) -------------------------------------------
    case("selinux-nil-and-empty", (f"{I0}.securityContext.seLinuxOptions", {})),
    case("selinux-allowed-types-any-level", (f"{SC}.seLinuxOptions", {"type": "container_t", "level": ""}),
         (f"{C0}.securityContext.seLinuxOptions", {"type": "container_init_t", "level": "somevalue"}),
         (f"{I0}.securityContext.seLinuxOptions", {"type": "container_kvm_t"})),
    case("selinux-container-engine-t", (f"{C0}.securityContext.seLinuxOptions", {"type": "container_engine_t"})),
    case("selinux-empty-type-with-level", (f"{SC}.seLinuxOptions", {"type": "", "level": "s0:c1,c2"})),
    case("selinux-bad-type-pod", (f"{SC}.seLinuxOptions.type", "somevalue"), b=(SELINUX,), r=(SELINUX,)),
    case("selinux-bad-type-container", (f"{C0}.securityContext.seLinuxOptions.type", "spc_t"),
         b=(SELINUX,), r=(SELINUX,)),
    case("selinux-bad-type-init", (f"{I0}.securityContext.seLinuxOptions.type", "somevalue"),
         b=(SELINUX,), r=(SELINUX,)),
    case("selinux-bad-type-ephemeral", EPHEMERAL, (f"{E0}.securityContext.seLinuxOptions.type", "unconfined_t"),
         b=(SELINUX,), r=(SELINUX,)),
    case("selinux-user-pod", (f"{SC}.seLinuxOptions.user", "somevalue"), b=(SELINUX,), r=(SELINUX,)),
    case("selinux-role-pod", (f"{SC}.seLinuxOptions.role", "somevalue"), b=(SELINUX,), r=(SELINUX,)),
    case("selinux-user-container", (f"{C0}.securityContext.seLinuxOptions.user", "bar"),
         b=(SELINUX,), r=(SELINUX,)),
    case("selinux-role-init", (f"{I0}.securityContext.seLinuxOptions.role", "baz"), b=(SELINUX,), r=(SELINUX,)),
    case("selinux-null", (f"{SC}.seLinuxOptions", None), (f"{C0}.securityContext.seLinuxOptions", None)),
    case("selinux-type-wrong-case", (f"{C0}.securityContext.seLinuxOptions", {"type": "Container_t"}),
         b=(SELINUX,), r=(SELINUX,)),
    case("selinux-empty-user-and-role", (f"{SC}.seLinuxOptions", {"user": "", "role": ""})),
    # --- procMount (baseline, 1.0 and 1.35) and procMount_restricted (1.35) ----------------
    case("proc-mount-default-explicit", (f"{C0}.securityContext.procMount", "Default"),
         (f"{I0}.securityContext.procMount", "Default")),
    case("proc-mount-unmasked-container", (f"{C0}.securityContext.procMount", "Unmasked"),
         b=(PROC_B,), r=(PROC_B,)),
    case("proc-mount-unmasked-init", (f"{I0}.securityContext.procMount", "Unmasked"), b=(PROC_B,), r=(PROC_B,)),
    case("proc-mount-unmasked-ephemeral", EPHEMERAL, (f"{E0}.securityContext.procMount", "Unmasked"),
         b=(PROC_B,), r=(PROC_B,)),
    case("proc-mount-unmasked-host-users-true", ("spec.hostUsers", True),
         (f"{C0}.securityContext.procMount", "Unmasked"), b=(PROC_B,), r=(PROC_B,)),
    case("proc-mount-default-userns", ("spec.hostUsers", False), (f"{C0}.securityContext.procMount", "Default"),
         (f"{I0}.securityContext.procMount", "Default")),
    case("proc-mount-unmasked-userns-container", ("spec.hostUsers", False),
         (f"{C0}.securityContext.procMount", "Unmasked"), r=(PROC_R,)),
    case("proc-mount-unmasked-userns-init", ("spec.hostUsers", False),
         (f"{I0}.securityContext.procMount", "Unmasked"), r=(PROC_R,)),
    case("proc-mount-unmasked-userns-both", ("spec.hostUsers", False),
         (f"{C0}.securityContext.procMount", "Unmasked"), (f"{I0}.securityContext.procMount", "Unmasked"),
         r=(PROC_R,)),
    case("proc-mount-unmasked-userns-ephemeral", ("spec.hostUsers", False), EPHEMERAL,
         (f"{E0}.securityContext.procMount", "Unmasked"), r=(PROC_R,)),
    # --- seccompProfile_baseline (baseline, 1.19) -----------------------------------------
    case("seccomp-pod-unconfined", (f"{SC}.seccompProfile.type", "Unconfined"), b=(SECCOMP_B,), r=(SECCOMP_R,)),
    case("seccomp-container-unconfined", (f"{C0}.securityContext.seccompProfile", {"type": "Unconfined"}),
         b=(SECCOMP_B,), r=(SECCOMP_R,)),
    case("seccomp-init-unconfined", (f"{I0}.securityContext.seccompProfile", {"type": "Unconfined"}),
         b=(SECCOMP_B,), r=(SECCOMP_R,)),
    case("seccomp-ephemeral-unconfined", EPHEMERAL, (f"{E0}.securityContext.seccompProfile", {"type": "Unconfined"}),
         b=(SECCOMP_B,), r=(SECCOMP_R,)),
    case("seccomp-container-without-type", (f"{C0}.securityContext.seccompProfile", {}),
         b=(SECCOMP_B,), r=(SECCOMP_R,)),
    case("seccomp-localhost-without-profile-name", (f"{SC}.seccompProfile", {"type": "Localhost"})),
    case("seccomp-pod-localhost", (f"{SC}.seccompProfile", {"type": "Localhost", "localhostProfile": "p.json"})),
    case("seccomp-pod-runtime-default-and-container-localhost",
         (f"{C0}.securityContext.seccompProfile", {"type": "Localhost", "localhostProfile": "p.json"})),
    # Only the fields count from policy 1.19: the legacy annotation is ignored.
    case("seccomp-legacy-annotation-unconfined", (annotation("seccomp.security.alpha.kubernetes.io/pod"),
                                                  "unconfined")),
    # --- seccompProfile_restricted (restricted, 1.19; Windows skip 1.25) --------------------
    case("seccomp-unset-everywhere", (f"{SC}.seccompProfile", DELETE), r=(SECCOMP_R,)),
    case("seccomp-set-on-each-container", (f"{SC}.seccompProfile", DELETE),
         (f"{C0}.securityContext.seccompProfile", {"type": "RuntimeDefault"}),
         (f"{I0}.securityContext.seccompProfile", {"type": "Localhost", "localhostProfile": "testing"})),
    case("seccomp-unset-init", (f"{SC}.seccompProfile", DELETE),
         (f"{C0}.securityContext.seccompProfile", {"type": "RuntimeDefault"}), r=(SECCOMP_R,)),
    case("seccomp-unset-container", (f"{SC}.seccompProfile", DELETE),
         (f"{I0}.securityContext.seccompProfile", {"type": "RuntimeDefault"}), r=(SECCOMP_R,)),
    case("seccomp-unconfined-init-no-pod", (f"{SC}.seccompProfile", DELETE),
         (f"{C0}.securityContext.seccompProfile", {"type": "RuntimeDefault"}),
         (f"{I0}.securityContext.seccompProfile", {"type": "Unconfined"}), b=(SECCOMP_B,), r=(SECCOMP_R,)),
    case("seccomp-pod-unconfined-containers-override", (f"{SC}.seccompProfile.type", "Unconfined"),
         (f"{C0}.securityContext.seccompProfile", {"type": "RuntimeDefault"}),
         (f"{I0}.securityContext.seccompProfile", {"type": "RuntimeDefault"}), b=(SECCOMP_B,), r=(SECCOMP_R,)),
    case("seccomp-ephemeral-inherits-pod", EPHEMERAL),
    case("seccomp-ephemeral-unset-no-pod", (f"{SC}.seccompProfile", DELETE),
         (f"{C0}.securityContext.seccompProfile", {"type": "RuntimeDefault"}),
         (f"{I0}.securityContext.seccompProfile", {"type": "RuntimeDefault"}), EPHEMERAL, r=(SECCOMP_R,)),
    # --- sysctls (baseline, 1.0 / 1.27 / 1.29 / 1.32) ---------------------------------------
    case("sysctls-empty-list", (f"{SC}.sysctls", [])),
    case("sysctls-v1-0-set", (f"{SC}.sysctls", [{"name": n, "value": "1"} for n in SYSCTLS_V1_0])),
    case("sysctls-v1-37-set", (f"{SC}.sysctls", [{"name": n, "value": "1"} for n in SYSCTLS_V1_37])),
    case("sysctls-unknown", (f"{SC}.sysctls", [{"name": "othersysctl", "value": "other"}]),
         b=(SYSCTLS,), r=(SYSCTLS,)),
    case("sysctls-empty-name", (f"{SC}.sysctls", [{"name": "", "value": "1"}]), b=(SYSCTLS,), r=(SYSCTLS,)),
    case("sysctls-namespaced-but-unsafe", (f"{SC}.sysctls", [{"name": "kernel.msgmax", "value": "65536"}]),
         b=(SYSCTLS,), r=(SYSCTLS,)),
    case("sysctls-slash-form", (f"{SC}.sysctls", [{"name": "net/ipv4/tcp_syncookies", "value": "1"}]),
         b=(SYSCTLS,), r=(SYSCTLS,)),
    # Allowed from policy 1.37 (Kubernetes 1.37, the latest).
    case("sysctls-v1-37-addition", (f"{SC}.sysctls", [{"name": "net.ipv4.tcp_slow_start_after_idle", "value": "0"}])),
    # --- restrictedVolumes (restricted, 1.0; image volumes since k8s 1.33) -------------------
    case("volumes-all-allowed-types", ("spec.volumes", [
        {"name": "implicit-empty-dir"},  # the API server defaults a source-less volume to emptyDir
        {"name": "empty-dir", "emptyDir": {}},
        {"name": "secret", "secret": {"secretName": "s"}},
        {"name": "pvc", "persistentVolumeClaim": {"claimName": "c"}},
        {"name": "downward",
         "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
        {"name": "config", "configMap": {"name": "cm"}},
        {"name": "projected", "projected": {"sources": []}},
        {"name": "csi", "csi": {"driver": "inline.storage.kubernetes.io", "volumeAttributes": {"foo": "bar"}}},
        {"name": "ephemeral", "ephemeral": {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"]}}}},
        {"name": "image", "image": {"reference": "registry.example/data:1.0", "pullPolicy": "IfNotPresent"}},
    ])),
    *[
        case(f"volume-{source.lower()}", ("spec.volumes", [{"name": "v", source: spec}]), r=(VOLUMES,))
        for source, spec in FORBIDDEN_VOLUME_SOURCES.items()
    ],
    case("volume-host-path", ("spec.volumes", [{"name": "v", "hostPath": {"path": "/dev/null"}}]),
         b=(HOST_PATH,), r=(VOLUMES,)),
    # --- allowPrivilegeEscalation (restricted, 1.8; Windows skip 1.25) ---------------------
    case("ape-container-true", (f"{C0}.securityContext.allowPrivilegeEscalation", True), r=(PRIV_ESC,)),
    case("ape-init-true", (f"{I0}.securityContext.allowPrivilegeEscalation", True), r=(PRIV_ESC,)),
    case("ape-container-nil", (f"{C0}.securityContext.allowPrivilegeEscalation", DELETE), r=(PRIV_ESC,)),
    case("ape-container-null", (f"{C0}.securityContext.allowPrivilegeEscalation", None), r=(PRIV_ESC,)),
    case("ape-container-security-context-nil", (f"{C0}.securityContext", DELETE), r=(PRIV_ESC, CAPS_R)),
    case("ape-ephemeral-true", EPHEMERAL, (f"{E0}.securityContext.allowPrivilegeEscalation", True), r=(PRIV_ESC,)),
    case("ape-with-privileged", (f"{C0}.securityContext.privileged", True),
         (f"{C0}.securityContext.allowPrivilegeEscalation", DELETE), b=(PRIVILEGED,), r=(PRIVILEGED, PRIV_ESC)),
    # --- runAsNonRoot (restricted, 1.0; hostUsers relaxation 1.35) ----------------------------
    case("non-root-set-on-all-containers", (f"{SC}.runAsNonRoot", DELETE),
         (f"{C0}.securityContext.runAsNonRoot", True), (f"{I0}.securityContext.runAsNonRoot", True)),
    case("non-root-pod-true-container-null", (f"{C0}.securityContext.runAsNonRoot", None)),
    case("non-root-unset-everywhere", (f"{SC}.runAsNonRoot", DELETE), r=(NON_ROOT,)),
    case("non-root-pod-false", (f"{SC}.runAsNonRoot", False), r=(NON_ROOT,)),
    case("non-root-container-false", (f"{C0}.securityContext.runAsNonRoot", False), r=(NON_ROOT,)),
    case("non-root-init-false", (f"{I0}.securityContext.runAsNonRoot", False), r=(NON_ROOT,)),
    case("non-root-ephemeral-false", EPHEMERAL, (f"{E0}.securityContext.runAsNonRoot", False), r=(NON_ROOT,)),
    case("non-root-pod-false-containers-true", (f"{SC}.runAsNonRoot", False),
         (f"{C0}.securityContext.runAsNonRoot", True), (f"{I0}.securityContext.runAsNonRoot", True), r=(NON_ROOT,)),
    case("non-root-only-container-true", (f"{SC}.runAsNonRoot", DELETE),
         (f"{C0}.securityContext.runAsNonRoot", True), r=(NON_ROOT,)),
    case("non-root-ephemeral-unset-no-pod", (f"{SC}.runAsNonRoot", DELETE),
         (f"{C0}.securityContext.runAsNonRoot", True), (f"{I0}.securityContext.runAsNonRoot", True), EPHEMERAL,
         r=(NON_ROOT,)),
    case("non-root-pod-security-context-nil", (SC, DELETE),
         (f"{C0}.securityContext.seccompProfile", {"type": "RuntimeDefault"}),
         (f"{I0}.securityContext.seccompProfile", {"type": "RuntimeDefault"}), r=(NON_ROOT,)),
    # --- runAsUser (restricted, 1.23; hostUsers relaxation 1.35) ----------------------------
    case("run-as-user-non-zero-everywhere", (f"{SC}.runAsUser", 1000), (f"{C0}.securityContext.runAsUser", 1000),
         (f"{I0}.securityContext.runAsUser", 1000)),
    case("run-as-user-zero-with-run-as-non-root-true", (f"{C0}.securityContext.runAsUser", 0), r=(RUN_AS_USER,)),
    case("run-as-user-pod-zero", (f"{SC}.runAsUser", 0), r=(RUN_AS_USER,)),
    case("run-as-user-container-zero", (f"{C0}.securityContext.runAsUser", 0), r=(RUN_AS_USER,)),
    case("run-as-user-init-zero", (f"{I0}.securityContext.runAsUser", 0), r=(RUN_AS_USER,)),
    case("run-as-user-ephemeral-zero", EPHEMERAL, (f"{E0}.securityContext.runAsUser", 0), r=(RUN_AS_USER,)),
    case("run-as-user-pod-zero-containers-override", (f"{SC}.runAsUser", 0),
         (f"{C0}.securityContext.runAsUser", 1000), (f"{I0}.securityContext.runAsUser", 1000), r=(RUN_AS_USER,)),
    # --- user namespaces (spec.hostUsers: false), policy 1.35 ---------------------------------
    case("userns-compliant", ("spec.hostUsers", False)),
    case("userns-no-run-as-non-root", ("spec.hostUsers", False), (f"{SC}.runAsNonRoot", DELETE)),
    case("userns-run-as-non-root-false", ("spec.hostUsers", False), (f"{SC}.runAsNonRoot", False),
         (f"{C0}.securityContext.runAsNonRoot", False)),
    case("userns-run-as-user-zero", ("spec.hostUsers", False), (f"{SC}.runAsUser", 0),
         (f"{C0}.securityContext.runAsUser", 0)),
    case("host-users-null-run-as-user-zero", ("spec.hostUsers", None), (f"{SC}.runAsUser", 0), r=(RUN_AS_USER,)),
    case("host-users-null-proc-mount-unmasked", ("spec.hostUsers", None),
         (f"{C0}.securityContext.procMount", "Unmasked"), b=(PROC_B,), r=(PROC_B,)),
    case("host-users-true-run-as-user-zero", ("spec.hostUsers", True), (f"{SC}.runAsUser", 0), r=(RUN_AS_USER,)),
    case("host-users-true-no-run-as-non-root", ("spec.hostUsers", True), (f"{SC}.runAsNonRoot", DELETE),
         r=(NON_ROOT,)),
    # Only runAsNonRoot, runAsUser and the Baseline procMount are relaxed.
    case("userns-capabilities-not-dropped", ("spec.hostUsers", False),
         (f"{C0}.securityContext.capabilities", DELETE), r=(CAPS_R,)),
    case("userns-privileged", ("spec.hostUsers", False), (f"{C0}.securityContext.privileged", True),
         b=(PRIVILEGED,), r=(PRIVILEGED,)),
    case("userns-seccomp-unset", ("spec.hostUsers", False), (f"{SC}.seccompProfile", DELETE), r=(SECCOMP_R,)),
    case("userns-privilege-escalation-true", ("spec.hostUsers", False),
         (f"{C0}.securityContext.allowPrivilegeEscalation", True), r=(PRIV_ESC,)),
    case("userns-host-path", ("spec.hostUsers", False), ("spec.volumes", [{"name": "h", "hostPath": {"path": "/"}}]),
         b=(HOST_PATH,), r=(VOLUMES,)),
    case("userns-bare-pod", ("spec.hostUsers", False), base="bare", r=(PRIV_ESC, SECCOMP_R, CAPS_R)),
    # --- Windows pods (spec.os.name: windows), policy 1.25+ -----------------------------------
    case("windows-restricted-pod", base="windows"),
    # The Linux-only settings of the Linux base pod are simply not looked at.
    case("windows-with-linux-settings", ("spec.os", {"name": "windows"})),
    case("windows-no-run-as-non-root", (f"{SC}.runAsNonRoot", DELETE), base="windows", r=(NON_ROOT,)),
    case("windows-no-security-context", (SC, DELETE), base="windows", r=(NON_ROOT,)),
    case("windows-run-as-user-zero", (f"{C0}.securityContext.runAsUser", 0), base="windows", r=(RUN_AS_USER,)),
    case("windows-host-process-pod", (f"{SC}.windowsOptions.hostProcess", True), ("spec.hostNetwork", True),
         base="windows", b=(HOST_PROCESS, HOST_NS), r=(HOST_PROCESS, HOST_NS)),
    case("windows-host-process-container", (f"{C0}.securityContext.windowsOptions.hostProcess", True),
         base="windows", b=(HOST_PROCESS,), r=(HOST_PROCESS,)),
    case("windows-host-path", ("spec.volumes", [{"name": "h", "hostPath": {"path": "C:\\"}}]), base="windows",
         b=(HOST_PATH,), r=(VOLUMES,)),
    case("windows-host-port", (f"{C0}.ports", [{"containerPort": 80, "hostPort": 80}]), base="windows",
         b=(HOST_PORTS,), r=(HOST_PORTS,)),
    case("windows-ephemeral-without-security-context", ("spec.ephemeralContainers", [{"name": "debug", "image": "x"}]),
         base="windows"),
    # Quirks of PSA's evaluator, where we depart from it on purpose: the Restricted versions
    # of these checks replace the Baseline ones and skip Windows pods entirely, so PSA admits
    # at Restricted a Windows pod that sets a Linux-only field and that fails Baseline. A
    # stricter kubeaudit profile never reports less, so the Baseline finding stays (counted
    # under the Restricted check, see `fired`). (The API server rejects such a pod in
    # validation anyway: Windows pods may not set capabilities or seccomp.)
    case("windows-quirk-capability-added", (f"{C0}.securityContext.capabilities.add", ["SYS_ADMIN"]),
         base="windows", b=(CAPS_B,), r=(CAPS_R,)),
    case("windows-quirk-seccomp-unconfined", (f"{SC}.seccompProfile", {"type": "Unconfined"}), base="windows",
         b=(SECCOMP_B,), r=(SECCOMP_R,)),
    case("windows-quirk-privilege-escalation-true", (f"{C0}.securityContext.allowPrivilegeEscalation", True),
         base="windows"),
    case("windows-privileged-not-exempt", (f"{C0}.securityContext.privileged", True), base="windows",
         b=(PRIVILEGED,), r=(PRIVILEGED,)),
    case("windows-apparmor-not-exempt", (f"{SC}.appArmorProfile", {"type": "Unconfined"}), base="windows",
         b=(APPARMOR,), r=(APPARMOR,)),
    case("windows-proc-mount-not-exempt", (f"{C0}.securityContext.procMount", "Unmasked"), base="windows",
         b=(PROC_B,), r=(PROC_B,)),
    case("windows-selinux-not-exempt", (f"{C0}.securityContext.seLinuxOptions", {"type": "spc_t"}), base="windows",
         b=(SELINUX,), r=(SELINUX,)),
    case("linux-explicit-os-not-exempt", ("spec.os", {"name": "linux"}),
         (f"{C0}.securityContext.allowPrivilegeEscalation", DELETE), r=(PRIV_ESC,)),
    # --- fields set to null count as unset, as the API server reads them --------------------------
    case("null-volume-source", ("spec.volumes", [{"name": "v", "nfs": None, "hostPath": None}])),
    case("null-pod-seccomp-containers-set", (f"{SC}.seccompProfile", None),
         (f"{C0}.securityContext.seccompProfile", {"type": "RuntimeDefault"}),
         (f"{I0}.securityContext.seccompProfile", {"type": "RuntimeDefault"})),
    case("null-pod-seccomp-only", (f"{SC}.seccompProfile", None), r=(SECCOMP_R,)),
    case("null-pod-security-context", (SC, None), r=(NON_ROOT, SECCOMP_R)),
    case("null-container-security-context", (f"{C0}.securityContext", None), r=(PRIV_ESC, CAPS_R)),
    case("null-lists-and-scalars", (f"{C0}.securityContext.capabilities.add", None), (f"{SC}.sysctls", None),
         (f"{C0}.ports", [{"containerPort": 80, "hostPort": None}]), (f"{C0}.livenessProbe", probe("httpGet", None)),
         (f"{C0}.securityContext.procMount", None), (f"{C0}.securityContext.appArmorProfile", None),
         (f"{C0}.securityContext.privileged", None), ("spec.hostNetwork", None), (f"{SC}.runAsUser", None)),
    case("null-run-as-non-root-everywhere", (f"{SC}.runAsNonRoot", None), r=(NON_ROOT,)),
    case("null-drop", (f"{C0}.securityContext.capabilities.drop", None), r=(CAPS_R,)),
    # --- several controls at once -------------------------------------------------------------
    case("bare-pod-privileged-host-network", ("spec.hostNetwork", True),
         (f"{C0}.securityContext.privileged", True), base="bare",
         b=(HOST_NS, PRIVILEGED), r=(HOST_NS, PRIVILEGED, PRIV_ESC, NON_ROOT, SECCOMP_R, CAPS_R)),
    # --- workload templates (PSA checks the pod template the same way) ------------------------
    case("deployment-compliant", kind="Deployment"),
    case("deployment-privileged", (f"{C0}.securityContext.privileged", True), kind="Deployment",
         b=(PRIVILEGED,), r=(PRIVILEGED,)),
    case("deployment-template-apparmor-annotation", (apparmor_annotation("app"), "unconfined"), kind="Deployment",
         b=(APPARMOR,), r=(APPARMOR,)),
    case("deployment-bare", base="bare", kind="Deployment", r=(PRIV_ESC, NON_ROOT, SECCOMP_R, CAPS_R)),
    case("deployment-userns-run-as-user-zero", ("spec.hostUsers", False), (f"{SC}.runAsUser", 0), kind="Deployment"),
    case("cronjob-compliant", kind="CronJob"),
    case("cronjob-seccomp-unset", (f"{SC}.seccompProfile", DELETE), kind="CronJob", r=(SECCOMP_R,)),
    case("cronjob-host-path", ("spec.volumes", [{"name": "h", "hostPath": {"path": "/var/run"}}]), kind="CronJob",
         b=(HOST_PATH,), r=(VOLUMES,)),
    case("cronjob-windows", base="windows", kind="CronJob"),
    case("statefulset-sysctl", (f"{SC}.sysctls", [{"name": "kernel.msgmax", "value": "1"}]), kind="StatefulSet",
         b=(SYSCTLS,), r=(SYSCTLS,)),
    case("daemonset-host-pid", ("spec.hostPID", True), kind="DaemonSet", b=(HOST_NS,), r=(HOST_NS,)),
    case("job-bare", base="bare", kind="Job", r=(PRIV_ESC, NON_ROOT, SECCOMP_R, CAPS_R)),
    *VERSION_CASES,
]
# fmt: on

BASES = {"restricted": RESTRICTED_POD, "bare": BARE_POD, "windows": WINDOWS_POD}
TEMPLATE_API = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
}


def _split(path: str | KeyPath) -> KeyPath:
    if isinstance(path, tuple):
        return path
    return tuple(int(p) if p.isdigit() else p for p in path.split("."))


def put(doc: dict[str, Any], path: str | KeyPath, value: Any) -> None:
    """Set (or with DELETE remove) the value at a path, creating mappings on the way."""
    parts = _split(path)
    node: Any = doc
    for part in parts[:-1]:
        if isinstance(part, int):
            node = node[part]
        else:
            if not isinstance(node.get(part), dict | list):
                node[part] = {}
            node = node[part]
    last = parts[-1]
    if value is DELETE:
        node.pop(last, None)
    else:
        node[last] = copy.deepcopy(value)


def build(c: Case) -> dict[str, Any]:
    """The case's pod, wrapped in a workload's pod template when the case asks for one."""
    pod = copy.deepcopy(BASES[c.base])
    for path, value in c.edits:
        put(pod, path, value)
    pod["metadata"]["name"] = c.name
    pod["metadata"]["namespace"] = c.namespace
    if c.kind == "Pod":
        return pod
    template = {"metadata": {"labels": {"app": c.name}, **pod["metadata"]}, "spec": pod["spec"]}
    del template["metadata"]["name"], template["metadata"]["namespace"]
    # Restart policy as the API server requires it for Jobs; irrelevant to PSA.
    spec: dict[str, Any]
    if c.kind == "CronJob":
        template["spec"]["restartPolicy"] = "OnFailure"
        spec = {"schedule": "@hourly", "jobTemplate": {"spec": {"template": template}}}
    elif c.kind == "Job":
        template["spec"]["restartPolicy"] = "Never"
        spec = {"template": template}
    else:
        spec = {"selector": {"matchLabels": {"app": c.name}}, "template": template}
    # Annotations on the workload itself are not the pod's: PSA ignores them, and so must we.
    metadata = {
        "name": c.name,
        "namespace": c.namespace,
        "annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"},
    }
    return {"apiVersion": TEMPLATE_API[c.kind], "kind": c.kind, "metadata": metadata, "spec": spec}


def _scan(manifest: Path, profile: str) -> ScanResult:
    return scan_manifests([str(manifest)], select_rules(load_rules(), profile))


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pss-conformance") / "cases.yaml"
    # The pods first and their Namespace objects last: the scanner reads the Namespaces first.
    path.write_text(yaml.safe_dump_all([*(build(c) for c in CASES), *NAMESPACES], sort_keys=False))
    return path


def namespace_object(name: str, version: str) -> dict[str, Any]:
    labels = {"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": version}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


NAMESPACES = [namespace_object(c.namespace, c.version) for c in {c.namespace: c for c in CASES if c.version}.values()]


def _minor(finding: Finding) -> int:
    return int(finding.policy_version[3:]) if finding.policy_version else 37


@pytest.fixture(scope="module")
def fired(manifest: Path) -> dict[str, dict[str, frozenset[str]]]:
    """Per profile, per case name: the rule ids that fired. At Restricted, a Baseline rule's
    finding counts as the Restricted rule's that replaces it (as PSA's Restricted check
    replaces its Baseline check): where both flag one field, kubeaudit reports it once, with
    the Baseline rule's severity and message when those say more."""
    replaced_by = {old: r for r in load_rules() for old in r.supersedes}
    out: dict[str, dict[str, frozenset[str]]] = {}
    for profile in ("baseline", "restricted"):
        result = _scan(manifest, profile)
        assert not result.errors, [e.message for e in result.errors]
        assert result.stats.resources == len(CASES) + len(NAMESPACES)
        per_case: dict[str, set[str]] = defaultdict(set)
        for finding in result.findings:
            rule_id = finding.rule_id
            replacing = replaced_by.get(rule_id)
            # ... from the policy version on where the Restricted rule exists (seccomp v1.19).
            if profile == "restricted" and replacing is not None and _minor(finding) >= (replacing.since or 0):
                rule_id = replacing.id
            per_case[finding.resource.name].add(rule_id)
        out[profile] = {c.name: frozenset(per_case.get(c.name, ())) for c in CASES}
    return out


def test_case_names_are_unique() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))


def test_every_pss_rule_is_expected_to_fire_somewhere() -> None:
    """The table makes every PSS rule we ship fire at its level in at least one case."""
    ids = {r.id for r in load_rules() if r.profile in ("baseline", "restricted")}
    baseline_ids = {r for c in CASES for r in c.baseline}
    restricted_ids = {r for c in CASES for r in c.restricted}
    assert {i for i in ids if i.startswith("pss-baseline-")} <= baseline_ids
    assert {i for i in ids if i.startswith("pss-restricted-")} <= restricted_ids


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_baseline_matches_psa(c: Case, fired: dict[str, dict[str, frozenset[str]]]) -> None:
    assert fired["baseline"][c.name] == c.baseline


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_restricted_matches_psa(c: Case, fired: dict[str, dict[str, frozenset[str]]]) -> None:
    assert fired["restricted"][c.name] == c.restricted


def test_restricted_expectations_include_baseline() -> None:
    """Restricted is Baseline plus more: every Baseline failure stays a failure at Restricted,
    reported by the rule that overrides it where PSA has an override."""
    # Baseline check -> (Restricted check that overrides it, from policy version).
    overrides = {CAPS_B: (CAPS_R, 22), SECCOMP_B: (SECCOMP_R, 19), HOST_PATH: (VOLUMES, 0)}
    for c in CASES:
        minor = int(c.version[3:]) if c.version and c.version.startswith("v1.") else 37
        for rule_id in c.baseline:
            replacement, since = overrides.get(rule_id, (rule_id, 0))
            assert (replacement if minor >= since else rule_id) in c.restricted, c.name


def test_cli_profiles_on_reference_pods(tmp_path: Path, run_cli: RunCli) -> None:
    """The same verdicts through the CLI: the restricted base pod passes both profiles; the
    bare pod passes Baseline and fails Restricted on exactly the four explicit-value controls."""
    base = tmp_path / "base.yaml"
    base.write_text(yaml.safe_dump(build(case("cli-base"))))
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump(build(case("cli-bare", base="bare"))))
    for profile in ("baseline", "restricted"):
        assert run_cli("scan", "--no-config", "--profile", profile, str(base)).code == 0
    assert run_cli("scan", "--no-config", "--profile", "baseline", str(bare)).code == 0
    run = run_cli("scan", "--no-config", "--profile", "restricted", "--format", "json", str(bare))
    assert run.code == 1
    fired_ids = {f["ruleId"] for f in json.loads(run.out)["findings"]}
    assert fired_ids == {PRIV_ESC, NON_ROOT, SECCOMP_R, CAPS_R}
