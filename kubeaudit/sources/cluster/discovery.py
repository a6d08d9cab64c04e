"""API discovery: which groups, versions and resources the server serves.

Each group is read at its preferred version (what `kubectl get` uses); a kind the
preferred version does not serve is taken from the group's other versions, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubeaudit.sources.cluster.errors import ApiError
from kubeaudit.sources.cluster.transport import Transport


@dataclass(frozen=True, slots=True)
class ApiResource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: frozenset[str]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    def path(self, namespace: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace is not None and self.namespaced:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"

    @property
    def label(self) -> str:
        """How RBAC and error messages name it: pods, deployments.apps."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


@dataclass(slots=True)
class Discovery:
    resources: dict[tuple[str, str], ApiResource]  # (group, kind) -> resource at the chosen version
    failed_groups: dict[str, str]  # group/version -> why its resource list could not be read

    def by_kind(self, kind: str) -> list[ApiResource]:
        return [r for (_, k), r in sorted(self.resources.items()) if k == kind]

    def get(self, group: str, kind: str) -> ApiResource | None:
        return self.resources.get((group, kind))


def discover(transport: Transport, groups_wanted: frozenset[str] | None = None) -> Discovery:
    """Read /api and /apis and the resource lists of the wanted groups (None: every group).
    Listable resources only."""
    versions: list[tuple[str, list[str]]] = []
    core = transport.get("/api")
    versions.append(("", [str(v) for v in core.get("versions") or []]))
    groups = transport.get("/apis")
    for group in groups.get("groups") or []:
        if not isinstance(group, dict):
            continue
        preferred = (group.get("preferredVersion") or {}).get("version")
        others = [str(v.get("version")) for v in group.get("versions") or [] if isinstance(v, dict)]
        ordered = ([preferred] if preferred else []) + [v for v in others if v != preferred]
        versions.append((str(group.get("name") or ""), ordered))
    found: dict[tuple[str, str], ApiResource] = {}
    failed: dict[str, str] = {}
    for group, ordered in versions:
        if groups_wanted is not None and group not in groups_wanted:
            continue
        for version in ordered:
            gv = f"{group}/{version}" if group else version
            path = f"/apis/{gv}" if group else f"/api/{version}"
            try:
                listing = transport.get(path)
            except ApiError as exc:
                failed[gv] = exc.describe()
                continue
            for res in listing.get("resources") or []:
                parsed = _resource(group, version, res)
                if parsed is not None and (group, parsed.kind) not in found:
                    found[(group, parsed.kind)] = parsed
    return Discovery(found, failed)


def _resource(group: str, version: str, res: Any) -> ApiResource | None:
    if not isinstance(res, dict):
        return None
    name = str(res.get("name") or "")
    verbs = frozenset(str(v) for v in res.get("verbs") or [])
    if not name or "/" in name or "list" not in verbs:  # subresources (pods/exec) and unlistable kinds
        return None
    return ApiResource(group, version, name, str(res.get("kind") or ""), bool(res.get("namespaced")), verbs)
