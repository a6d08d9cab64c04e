"""The `controlplane` view: the command line of a control-plane static pod, parsed as its binary does.

kube-apiserver, kube-controller-manager, kube-scheduler and etcd run as static pods on kubeadm
and similar clusters: their manifests (`/etc/kubernetes/manifests` copies) and, in a cluster,
their mirror pods in kube-system carry every flag. One target per container whose command (or
first argument) runs one of them. Flags are read from `command` then `args`, as the container
runtime joins them: `--flag=value`, `--flag value` (a next word that is not a flag; never for a
boolean flag, which the binaries do not let take a separate value), and a bare `--flag` (true);
a flag given twice keeps its last value, as the binaries' flag parsers do, except the map and list
flags kube-apiserver, kube-controller-manager and kube-scheduler add up (`--feature-gates` given
twice sets the gates of both), and `--` ends the flags. A kube-scheduler given `--config` or an
etcd given `--config-file` takes its settings from a file on the node that the scan does not read:
its flags judge nothing, and the rules reading them list the pod as not evaluated.

Document: `apiVersion`, `kind`, `metadata`, `component` (kube-apiserver, kube-controller-manager,
kube-scheduler, etcd), `container`, `flags` (name without dashes -> value, a string), and the same
values read as the binaries read typed flags, for the flags whose value reads so: `lists` (split
at commas, as string-slice flags such as --enable-admission-plugins), `booleans` (Go's spellings:
true, 1, t, False, 0, f...), `integers` (whole numbers, as Go's int flags parse them) and
`seconds` (Go durations such as `1m30s`, in seconds). etcd also reads a flag not on its command
line from the environment variable `ETCD_<FLAG>` (`ETCD_CLIENT_CERT_AUTH`), so a container `env`
entry with a literal value counts for it. Findings on a flag point at the word (or env value)
that set it; on a missing flag (any flag, so a user's rule requiring one gets the same), at the
container's command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kubeaudit.model import Path, Resource
from kubeaudit.views.base import Target
from kubeaudit.views.registry import ResourceView, Shared, register

COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")
# The document fields keyed by flag name: a path under one of them names a flag.
FLAG_FIELDS = frozenset({"flags", "lists", "booleans", "integers", "seconds"})
# Boolean flags of the four binaries (from their --help): a bare `--flag` sets true, and the next
# word is never its value (`--profiling false` is true followed by a stray argument, which the
# binary refuses). Any other flag takes the next word as its value unless that word is a flag.
BOOLEAN_FLAGS = frozenset({
    "allow-privileged", "anonymous-auth", "audit-log-compress", "contention-profiling",
    "enable-aggregator-routing", "enable-bootstrap-token-auth", "enable-garbage-collector",
    "enable-priority-and-fairness", "profiling", "service-account-extend-token-expiration",
    "service-account-lookup", "use-service-account-credentials", "leader-elect",
    "allocate-node-cidrs", "configure-cloud-routes", "enable-dynamic-provisioning",
    "enable-hostpath-provisioner", "client-cert-auth", "auto-tls", "peer-client-cert-auth",
    "peer-auto-tls", "enable-pprof", "strict-reconfig-check", "force-new-cluster",
})  # fmt: skip
# Flags of kube-apiserver, kube-controller-manager and kube-scheduler that add up when given more
# than once (`--flag=a --flag=b`): key=value maps (component-base's feature gates and
# ConfigurationMap) and pflag string slices and arrays. Every other flag keeps its last value.
MAP_FLAGS = frozenset({"feature-gates", "runtime-config"})
LIST_FLAGS = frozenset({
    "enable-admission-plugins", "disable-admission-plugins", "admission-control", "authorization-mode",
    "tls-cipher-suites", "etcd-servers", "api-audiences", "service-account-issuer", "service-account-key-file",
    "cors-allowed-origins", "controllers",
})  # fmt: skip
# Settings files that take the place of flags: etcd ignores its flags once given --config-file, and
# kube-scheduler takes its settings from --config (the flags that remain only partly override it).
# The scan does not read the node's file, so the component's flags judge nothing.
CONFIG_FILE_FLAGS = {"kube-scheduler": "config", "etcd": "config-file"}
# strconv.ParseBool, as both flag parsers read a boolean value.
GO_BOOLEANS = {
    **dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
    **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False),
}
# Go's time.ParseDuration: a sequence of decimal numbers with units; a bare "0" is allowed.
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")
_DURATION_UNITS = {
    "ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
}  # fmt: skip
# strconv.ParseInt with base 0, as pflag's int flags call it: 0x, 0o/0 (octal) and 0b prefixes.
_GO_INTEGER = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]+|[1-9][0-9]*|0)")


@dataclass(slots=True)
class CommandLineTarget(Target):
    """A control-plane container: a path under a flag points at the word that set the flag,
    or, for a flag not given, at the command line it is missing from."""

    flag_words: dict[str, Path] = field(default_factory=dict)
    command: Path = ()

    def resource_path(self, view_path: Path) -> Path:
        if len(view_path) >= 2 and view_path[0] in FLAG_FIELDS and isinstance(view_path[1], str):
            return self.flag_words.get(view_path[1], self.command)
        return Target.resource_path(self, view_path)


def _words(container: dict[str, Any]) -> list[tuple[str, Path]]:
    words: list[tuple[str, Path]] = []
    for key in ("command", "args"):
        values = container.get(key)
        for index, word in enumerate(values if isinstance(values, list) else ()):
            if isinstance(word, str):
                words.append((word, (key, index)))
    return words


def component_of(words: list[tuple[str, Path]]) -> str | None:
    for word, _ in words[:2]:  # the binary, or the first argument of a wrapper's command
        name = word.rsplit("/", 1)[-1]
        if name in COMPONENTS:
            return name
    return None


def parse_flags(words: list[tuple[str, Path]], component: str | None = None) -> dict[str, tuple[str, Path]]:
    """Flag name -> (value, where it was set last). A flag given twice keeps its last value, but
    the Kubernetes binaries (not etcd) add up the values of map and list flags given more than
    once: `--feature-gates=A=false --feature-gates=B=true` turns both gates (a gate named twice
    keeps its last value), and a second `--enable-admission-plugins` adds to the first."""
    flags: dict[str, tuple[str, Path]] = {}
    merging = component is not None and component != "etcd"
    index = 0
    while index < len(words):
        word, at = words[index]
        index += 1
        if word == "--":
            break  # the end of the flags, for both flag parsers
        if not word.startswith("-") or word == "-":
            continue
        name, eq, value = word.lstrip("-").partition("=")
        if not eq:
            following = words[index][0] if index < len(words) else None
            if name not in BOOLEAN_FLAGS and following is not None and not _looks_like_flag(following):
                value, index = following, index + 1
            else:
                value = "true"
        if merging and name in flags and (name in MAP_FLAGS or name in LIST_FLAGS):
            value = _merged(name, flags[name][0], value)
        flags[name] = (value, at)
    return flags


def _merged(name: str, earlier: str, later: str) -> str:
    """A map or list flag's value given again, as the binary reads the two together."""
    if name in LIST_FLAGS:  # pflag's string slices and arrays append each value's items
        return ",".join(part for part in (earlier, later) if part)
    entries: dict[str, str] = {}  # component-base's map flags: each value's keys set in turn
    for item in f"{earlier},{later}".split(","):
        key, _, value = item.partition("=")
        if key.strip():
            entries[key.strip()] = value.strip()
    return ",".join(f"{key}={value}" for key, value in entries.items())


def etcd_env_flags(container: dict[str, Any], base: Path) -> dict[str, tuple[str, Path]]:
    """Flags etcd takes from ETCD_* environment variables with a literal, non-empty value (as etcd,
    which ignores empty ones; valueFrom is not readable here), by flag name."""
    flags: dict[str, tuple[str, Path]] = {}
    env = container.get("env")
    for index, entry in enumerate(env if isinstance(env, list) else ()):
        name = entry.get("name") if isinstance(entry, dict) else None
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(name, str) and name.startswith("ETCD_") and isinstance(value, str) and value:
            flags[name.removeprefix("ETCD_").lower().replace("_", "-")] = (value, (*base, "env", index, "value"))
    return flags


def _looks_like_flag(word: str) -> bool:
    return word.startswith("-") and word != "-"  # "-" alone is a value (standard output)


def go_integer(value: str) -> int | None:
    """The value as a Go int flag reads it, or None when the binary would refuse it."""
    if _GO_INTEGER.fullmatch(value) is None:
        return None
    sign, digits = (-1, value[1:]) if value[:1] == "-" else (1, value.lstrip("+"))
    if len(digits) > 1 and digits[0] == "0" and digits[1] in "01234567":
        return sign * int(digits, 8)  # a leading 0 means octal to Go
    return sign * int(digits, 0)


def go_duration_seconds(value: str) -> int | float | None:
    """The value as Go's time.ParseDuration reads it, in seconds, or None when it would refuse it."""
    sign, rest = (-1.0, value[1:]) if value[:1] == "-" else (1.0, value.removeprefix("+"))
    if rest == "0":
        return 0
    total, position = 0.0, 0
    while position < len(rest):
        part = _DURATION_PART.match(rest, position)
        if part is None or part.group(1) in ("", "."):
            return None
        total += float(part.group(1)) * _DURATION_UNITS[part.group(2)]
        position = part.end()
    if not rest:
        return None
    return int(sign * total) if total.is_integer() else sign * total  # 300s reads as 300, not 300.0


def typed_flags(flags: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The `flags`, `lists`, `booleans`, `integers` and `seconds` fields of the document."""
    booleans = {name: GO_BOOLEANS[value] for name, value in flags.items() if value in GO_BOOLEANS}
    integers = {name: number for name, value in flags.items() if (number := go_integer(value)) is not None}
    seconds = {name: span for name, value in flags.items() if (span := go_duration_seconds(value)) is not None}
    lists = {name: value.split(",") if value else [] for name, value in flags.items()}
    return {"flags": flags, "lists": lists, "booleans": booleans, "integers": integers, "seconds": seconds}


def controlplane_targets(resource: Resource, shared: Shared) -> list[Target]:
    spec = resource.data.get("spec")
    containers = spec.get("containers") if isinstance(spec, dict) else None
    targets: list[Target] = []
    for index, container in enumerate(containers if isinstance(containers, list) else ()):
        if not isinstance(container, dict):
            continue
        words = _words(container)
        component = component_of(words)
        if component is None:
            continue
        base: Path = ("spec", "containers", index)
        flags = {name: (value, (*base, *at)) for name, (value, at) in parse_flags(words, component).items()}
        if component == "etcd":
            flags = {**etcd_env_flags(container, base), **flags}  # the command line wins
        doc = {
            "apiVersion": resource.data.get("apiVersion"),
            "kind": resource.data.get("kind"),
            "metadata": resource.data.get("metadata") or {},
            "component": component,
            "container": container.get("name"),
            **typed_flags({name: value for name, (value, _) in flags.items()}),
        }
        command: Path = (*base, "command") if "command" in container else (*base, "args")
        prefixes: dict[Path, Path] = {(name,): command for name in FLAG_FIELDS}
        flag_words = {name: at for name, (_, at) in flags.items()}
        container_name = container.get("name")
        label = container_name if isinstance(container_name, str) else None
        target = CommandLineTarget(
            "controlplane", resource, doc, prefixes, label, flag_words=flag_words, command=command
        )
        config_flag = CONFIG_FILE_FLAGS.get(component)
        if config_flag is not None and config_flag in flags:
            file = flags[config_flag][0]
            why = f"{component} reads its settings from --{config_flag} {file}, a file the scan did not read"
            target.unread = dict.fromkeys(sorted(FLAG_FIELDS), why)
        targets.append(target)
    return targets


CONTROLPLANE_VIEW = register(
    ResourceView(
        name="controlplane",
        kinds=frozenset({"Pod"}),
        fields=frozenset({"apiVersion", "kind", "metadata", "component", "container", *FLAG_FIELDS}),
        build=controlplane_targets,
    )
)
