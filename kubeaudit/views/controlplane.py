"""The `controlplane` view: the command line of a control-plane static pod, parsed as its binary does.

kube-apiserver, kube-controller-manager, kube-scheduler and etcd run as static pods on kubeadm
and similar clusters: their manifests (`/etc/kubernetes/manifests` copies) and, in a cluster,
their mirror pods in kube-system carry every flag. One target per container whose command (or
first argument) runs one of them. Flags are read from `command` then `args`, as the container
runtime joins them: `--flag=value`, `--flag value` (a next word that is not a flag), and a bare
`--flag` (true); a flag given twice keeps its last value, as the binaries' flag parser does.

Document: `apiVersion`, `kind`, `metadata`, `component` (kube-apiserver, kube-controller-manager,
kube-scheduler, etcd), `container`, `flags` (name without dashes -> value, a string). Findings on
a flag point at the word that last set it; on a missing flag, at the container's command.
"""

from __future__ import annotations

from typing import Any

from kubeaudit.model import Path, Resource
from kubeaudit.views.base import Target
from kubeaudit.views.registry import ResourceView, Shared, register

COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")
# Flags the built-in rules require: a missing one is reported at the command itself (not at a
# path under it), so its finding's path names the command line it is missing from.
REQUIRED_FLAGS = ("anonymous-auth", "authorization-mode", "profiling", "client-cert-auth")


def _words(container: dict[str, Any]) -> list[tuple[str, Path]]:
    words: list[tuple[str, Path]] = []
    for field in ("command", "args"):
        values = container.get(field)
        for index, word in enumerate(values if isinstance(values, list) else ()):
            if isinstance(word, str):
                words.append((word, (field, index)))
    return words


def component_of(words: list[tuple[str, Path]]) -> str | None:
    for word, _ in words[:2]:  # the binary, or the first argument of a wrapper's command
        name = word.rsplit("/", 1)[-1]
        if name in COMPONENTS:
            return name
    return None


def parse_flags(words: list[tuple[str, Path]]) -> dict[str, tuple[str, Path]]:
    """Flag name -> (value, where it was set last)."""
    flags: dict[str, tuple[str, Path]] = {}
    index = 0
    while index < len(words):
        word, at = words[index]
        index += 1
        if not word.startswith("-") or word in ("-", "--"):
            continue
        name, eq, value = word.lstrip("-").partition("=")
        if not eq:
            following = words[index][0] if index < len(words) else None
            if following is not None and not following.startswith("-"):
                value, index = following, index + 1
            else:
                value = "true"
        flags[name] = (value, at)
    return flags


def controlplane_targets(resource: Resource, shared: Shared) -> list[Target]:
    spec = resource.data.get("spec")
    containers = spec.get("containers") if isinstance(spec, dict) else None
    targets = []
    for index, container in enumerate(containers if isinstance(containers, list) else ()):
        if not isinstance(container, dict):
            continue
        words = _words(container)
        component = component_of(words)
        if component is None:
            continue
        base: Path = ("spec", "containers", index)
        flags = parse_flags(words)
        doc = {
            "apiVersion": resource.data.get("apiVersion"),
            "kind": resource.data.get("kind"),
            "metadata": resource.data.get("metadata") or {},
            "component": component,
            "container": container.get("name"),
            "flags": {name: value for name, (value, _) in flags.items()},
        }
        command: Path = (*base, "command") if "command" in container else (*base, "args")
        prefixes: dict[Path, Path] = {("flags",): command}
        prefixes.update({("flags", name): command for name in REQUIRED_FLAGS})
        for name, (_, at) in flags.items():
            prefixes[("flags", name)] = (*base, *at)
        container_name = container.get("name")
        label = container_name if isinstance(container_name, str) else None
        targets.append(Target("controlplane", resource, doc, prefixes, label))
    return targets


CONTROLPLANE_VIEW = register(
    ResourceView(
        name="controlplane",
        kinds=frozenset({"Pod"}),
        fields=frozenset({"apiVersion", "kind", "metadata", "component", "container", "flags"}),
        build=controlplane_targets,
    )
)
