"""API discovery: which groups, versions and resources the server serves.

Each group is read at its preferred version (what `kubectl get` uses); a kind the
preferred version does not serve is taken from the group's other versions, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubeaudit.sources.cluster.answers import type_name, wrong
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
    failed_groups: dict[str, str]  # group ("" for core) -> why (some of) it could not be read
    # (apiVersion, kind) -> resource, at every version read (the `also` versions included)
    served: dict[tuple[str, str], ApiResource] = field(default_factory=dict)
    failed_versions: dict[str, str] = field(default_factory=dict)  # an `also` group-version -> why unread

    def by_kind(self, kind: str) -> list[ApiResource]:
        return [r for (_, k), r in sorted(self.resources.items()) if k == kind]

    def get(self, group: str, kind: str) -> ApiResource | None:
        return self.resources.get((group, kind))


def discover(
    transport: Transport, groups_wanted: frozenset[str] | None = None, also: frozenset[str] = frozenset()
) -> Discovery:
    """Read /api and /apis and the resource lists of the wanted groups (None: every group), and of
    the group-versions in ALSO that the server serves (recorded in `served` only: deprecated
    versions to look into; /apis says whether they are served, so one not served costs nothing).
    Listable resources only. A malformed part of an answer makes its group unreadable (a gap for
    the kinds the scan wanted from it); a malformed top-level answer fails discovery."""
    failed: dict[str, str] = {}
    core_versions = transport.get("/api").get("versions")
    if not isinstance(core_versions, list) or not all(isinstance(v, str) for v in core_versions):
        raise ApiError(0, "malformed discovery", f"/api: {wrong('versions', core_versions, 'a list of strings')}")
    versions: list[tuple[str, list[str]]] = [("", list(core_versions))]
    groups = transport.get("/apis").get("groups")
    if not isinstance(groups, list):
        raise ApiError(0, "malformed discovery", f"/apis: {wrong('groups', groups, 'a list')}")
    for index, group in enumerate(groups):
        name = group.get("name") if isinstance(group, dict) else None
        if not isinstance(name, str) or not name:
            failed[f"(group {index + 1} of /apis)"] = "malformed discovery: a group without a name"
            continue
        ordered, problem = _group_versions(group)
        if problem is not None:
            failed[name] = f"malformed discovery: /apis group {name}: {problem}"
            continue
        versions.append((name, ordered))
    found: dict[tuple[str, str], ApiResource] = {}
    served: dict[tuple[str, str], ApiResource] = {}
    failed_also: dict[str, str] = {}  # group-version -> why
    for group, ordered in versions:
        wanted = groups_wanted is None or group in groups_wanted
        for version in ordered:
            gv = f"{group}/{version}" if group else version
            if not wanted and gv not in also:
                continue
            path = f"/apis/{gv}" if group else f"/api/{version}"
            # A wanted group's failure is a gap for its kinds; an extra version's, for that version only.
            failures, key = (failed, group) if wanted else (failed_also, gv)
            try:
                listing = transport.get(path)
            except ApiError as exc:
                failures.setdefault(key, f"{gv}: {exc.describe()}")
                continue
            resources = listing.get("resources")
            if not isinstance(resources, list):
                problem = f"malformed discovery: {path}: {wrong('resources', resources, 'a list')}"
                failures.setdefault(key, problem)
                continue
            for index, res in enumerate(resources):
                parsed, problem = _resource(group, version, res)
                if problem is not None:
                    problem = f"malformed discovery: {path}: resource {index + 1}: {problem}"
                    failures.setdefault(key, problem)
                elif parsed is not None:
                    served.setdefault((gv, parsed.kind), parsed)
                    if wanted and (group, parsed.kind) not in found:
                        found[(group, parsed.kind)] = parsed
    return Discovery(found, failed, served, failed_also)


def _group_versions(group: dict[str, Any]) -> tuple[list[str], str | None]:
    """The group's versions, preferred first, or what is wrong with its entry."""
    preferred = group.get("preferredVersion")
    if preferred is not None and not isinstance(preferred, dict):
        return [], wrong("preferredVersion", preferred, "an object")
    preferred_version = (preferred or {}).get("version")
    if preferred_version is not None and not isinstance(preferred_version, str):
        return [], wrong("preferredVersion.version", preferred_version, "a string")
    entries = group.get("versions")
    if entries is not None and not isinstance(entries, list):
        return [], wrong("versions", entries, "a list")
    others: list[str] = []
    for entry in entries or []:
        version = entry.get("version") if isinstance(entry, dict) else None
        if not isinstance(version, str):
            return [], wrong("versions[].version", version, "a string")
        others.append(version)
    ordered = ([preferred_version] if preferred_version else []) + [v for v in others if v != preferred_version]
    return ordered, None


def _resource(group: str, version: str, res: Any) -> tuple[ApiResource | None, str | None]:
    """(a listable resource of an APIResourceList or None for subresources and unlistable kinds,
    what is wrong with the entry). Nothing is guessed from an entry of the wrong shape."""
    if not isinstance(res, dict):
        return None, f"is {type_name(res)}, not an object"
    name, kind, verbs, namespaced = res.get("name"), res.get("kind"), res.get("verbs"), res.get("namespaced")
    for key, value, expected in (("name", name, str), ("kind", kind, str), ("namespaced", namespaced, bool)):
        if not isinstance(value, expected):
            return None, wrong(key, value, f"a {'boolean' if expected is bool else 'string'}")
    if not isinstance(verbs, list) or not all(isinstance(v, str) for v in verbs):
        return None, wrong("verbs", verbs, "a list of strings")
    if not name or "/" in name or "list" not in verbs:  # subresources (pods/exec) and unlistable kinds
        return None, None
    return ApiResource(group, version, name, str(kind), bool(namespaced), frozenset(verbs)), None
