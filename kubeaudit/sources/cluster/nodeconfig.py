"""Each node's running kubelet configuration, read through the API server's node proxy.

`GET /api/v1/nodes/NAME/proxy/configz` answers `{"kubeletconfig": {...}}`: the kubelet's
configuration as it runs (file, flags and defaults merged), in the fields of
KubeletConfiguration v1beta1. It needs `get` on `nodes/proxy`, which also reaches the
kubelet's exec, attach and port-forward endpoints of every node (as strong as exec in every
pod), so it is read only when asked for (`--read-kubelet-config`) and the shipped role does not
grant it. Only that one path is ever requested through the proxy (transport.check_read_only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kubeaudit.sources.cluster.errors import ApiError, ClusterError

API_VERSION = "kubelet.config.k8s.io/v1beta1"
KIND = "KubeletConfiguration"
OPT_IN = "--read-kubelet-config"


def configz_path(node: str) -> str:
    return f"/api/v1/nodes/{node}/proxy/configz"


@dataclass(slots=True)
class NodeConfig:
    """What one node's kubelet answered: its configuration, or why there is none."""

    node: str
    config: dict[str, Any] | None = None
    error: ApiError | None = None  # the request failed (403, unreachable kubelet, ...)
    problem: str | None = None  # an answer that is not a kubelet configuration


def as_kubelet_configuration(node: str, answer: dict[str, Any]) -> dict[str, Any] | str:
    """The answer as a KubeletConfiguration object named after the node, or what is wrong with it."""
    config = answer.get("kubeletconfig")
    if not isinstance(config, dict):
        return "the answer has no kubeletconfig object"
    # configz leaves out kind and apiVersion; the fields are those of v1beta1.
    return {**config, "apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": node}}


def read_node_configs(get: Callable[[str], dict[str, Any]], nodes: list[str], concurrency: int) -> Iterator[NodeConfig]:
    """One GET per node, `concurrency` at a time, in the order of `nodes`."""

    def read(node: str) -> NodeConfig:
        try:
            answer = get(configz_path(node))
        except ApiError as exc:
            return NodeConfig(node, error=exc)
        except ClusterError as exc:  # not expected once the connection is verified; a gap all the same
            return NodeConfig(node, error=ApiError(0, "cluster error", "; ".join(exc.lines)))
        shaped = as_kubelet_configuration(node, answer)
        if isinstance(shaped, str):
            return NodeConfig(node, problem=shaped)
        return NodeConfig(node, config=shaped)

    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="kubeaudit-configz") as pool:
        yield from pool.map(read, nodes)
