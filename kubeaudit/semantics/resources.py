"""Compute resources as Kubernetes reads them: quantities, QoS classes, LimitRange bounds.

- A quantity is a decimal number with an optional suffix: binary (Ki, Mi, Gi, Ti, Pi, Ei),
  decimal (n, u, m, k, M, G, T, P, E) or an exponent (`1e3`, `1E3`). Anything else is not a
  quantity (the API server would reject it) and is ignored here.
- QoS class (pod spec `containers` and `initContainers`; ephemeral containers have none):
  BestEffort when no container requests or limits CPU or memory; Guaranteed when every container
  limits both CPU and memory and its requests, where set, equal its limits (a request defaults
  to the limit); Burstable otherwise.
- A LimitRange item of type Container bounds each container: a limit above `max`, or a limit
  (or request) below `min`, is rejected at admission.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

COMPUTE = ("cpu", "memory")
_SUFFIXES = {
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
    "P": Decimal("1e15"), "E": Decimal("1e18"),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40),
    "Pi": Decimal(2**50), "Ei": Decimal(2**60),
}  # fmt: skip
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d{1,3})|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$")


def parse_quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity as a number (cores for CPU, bytes for memory), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if not isinstance(value, str) or len(value) > 64:
        return None
    return _parse_quantity_text(value)


@functools.lru_cache(maxsize=4096)
def _parse_quantity_text(value: str) -> Decimal | None:
    # Every container states its quantities, and most clusters use a handful of values
    # ("100m", "256Mi"): each is parsed once. Decimals are immutable, so sharing them is safe.
    match = _QUANTITY.match(value.strip())
    if match is None:
        return None
    number, exponent, suffix = match.groups()
    try:
        base = Decimal(number)
        return base * (Decimal(10) ** int(exponent[1:]) if exponent else _SUFFIXES[suffix or ""])
    except (InvalidOperation, ValueError):
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def container_resources(container: Any) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """(requests, limits) of a container's CPU and memory that parse as quantities."""
    resources = _dict(_dict(container).get("resources"))
    requests = {k: q for k in COMPUTE if (q := parse_quantity(_dict(resources.get("requests")).get(k))) is not None}
    limits = {k: q for k in COMPUTE if (q := parse_quantity(_dict(resources.get("limits")).get(k))) is not None}
    return requests, limits


def qos_containers(pod_spec: Any) -> Iterator[dict[str, Any]]:
    spec = _dict(pod_spec)
    for field in ("containers", "initContainers"):
        for container in spec.get(field) or ():
            if isinstance(container, dict):
                yield container


def qos_class(pod_spec: Any) -> str:
    """BestEffort, Burstable or Guaranteed, as the kubelet assigns it."""
    containers = list(qos_containers(pod_spec))
    any_set = False
    guaranteed = bool(containers)
    for container in containers:
        requests, limits = container_resources(container)
        any_set = any_set or bool(requests) or bool(limits)
        if set(limits) != set(COMPUTE) or any(requests.get(k, limits[k]) != limits[k] for k in COMPUTE):
            guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


Compute = tuple[dict[str, Decimal], dict[str, Decimal]]


def requests_above_limits(container: Any, compute: Compute | None = None) -> list[str]:
    """Resources whose request exceeds the limit (the API server rejects such a pod); `compute`:
    the container's container_resources, when the caller has them already."""
    requests, limits = container_resources(container) if compute is None else compute
    return [k for k in COMPUTE if k in requests and k in limits and requests[k] > limits[k]]


def show(resource: str, quantity: Decimal) -> str:
    """A quantity for a message, in the units people write (cores / MiB)."""
    if resource == "memory":
        return f"{(quantity / 2**20).normalize():f}Mi"
    return f"{quantity.normalize():f}"


def limit_range_violations(container: Any, limit_ranges: list[dict[str, Any]]) -> list[str]:
    """How a container's limits break the Container bounds of its namespace's LimitRanges."""
    requests, limits = container_resources(container)
    problems: list[str] = []
    for limit_range in limit_ranges:
        name = _dict(limit_range.get("metadata")).get("name")
        for item in _dict(limit_range.get("spec")).get("limits") or ():
            if not isinstance(item, dict) or item.get("type") != "Container":
                continue
            for resource in COMPUTE:
                high = parse_quantity(_dict(item.get("max")).get(resource))
                low = parse_quantity(_dict(item.get("min")).get(resource))
                limit = limits.get(resource)
                if high is not None and limit is not None and limit > high:
                    problems.append(
                        f"limits.{resource} {show(resource, limit)} above {name} max {show(resource, high)}"
                    )
                for what, value in (("limits", limit), ("requests", requests.get(resource))):
                    if low is not None and value is not None and value < low:
                        problems.append(
                            f"{what}.{resource} {show(resource, value)} below {name} min {show(resource, low)}"
                        )
    return problems


def compute_quota(quota: dict[str, Any]) -> bool:
    """Whether a ResourceQuota limits CPU or memory (then pods must state them)."""
    hard = _dict(_dict(quota.get("spec")).get("hard"))
    keys = {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}
    return any(k in hard for k in keys)


def compute_doc(container: Any, compute: Compute | None = None) -> dict[str, dict[str, float]]:
    """A container's CPU (cores) and memory (MiB) requests and limits, as numbers rules compare
    (`compute`: its container_resources, when the caller has them already)."""
    requests, limits = container_resources(container) if compute is None else compute

    def numbers(values: dict[str, Decimal]) -> dict[str, float]:
        return {k: float(v / 2**20) if k == "memory" else float(v) for k, v in values.items()}

    return {"requests": numbers(requests), "limits": numbers(limits)}
