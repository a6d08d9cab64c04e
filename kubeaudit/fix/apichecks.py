"""Cross-field rules of the API server's pod validation that a fix could break.

The view shape checks (kubeaudit.views.shapes, run again when the fixed files are re-scanned)
catch a wrong type; these catch combinations the API server rejects although every field is
well typed, each one a fix could create: allowPrivilegeEscalation false beside privileged or
CAP_SYS_ADMIN (ValidateSecurityContext), and a seccomp or AppArmor localhostProfile beside a
type other than Localhost, or Localhost without one (validateSeccompProfileField and
validateAppArmorProfileField).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kubeaudit.model import Path, format_path
from kubeaudit.semantics.workloads import POD_SPEC_LOCATIONS, get_path

CONTAINER_FIELDS = ("containers", "initContainers", "ephemeralContainers")


@dataclass(frozen=True, slots=True)
class Rejection:
    path: Path  # the securityContext (in the resource) the API server would reject
    reason: str

    def __str__(self) -> str:
        return f"{format_path(self.path)}: {self.reason}"


def rejections(kind: str, data: Any) -> list[Rejection]:
    """What the API server would reject in this resource's pod security contexts."""
    locations = POD_SPEC_LOCATIONS.get(kind)
    spec = get_path(data, locations[0]) if locations else None
    if not isinstance(spec, dict) or locations is None:
        return []
    found: list[Rejection] = []
    for path, context, is_container in _contexts(spec, locations[0]):
        found += _profile_rejections(path, context)
        if is_container:
            found += _escalation_rejections(path, context)
    return found


def _contexts(spec: dict[str, Any], prefix: Path) -> Iterator[tuple[Path, dict[str, Any], bool]]:
    pod = spec.get("securityContext")
    if isinstance(pod, dict):
        yield (*prefix, "securityContext"), pod, False
    for field in CONTAINER_FIELDS:
        for index, container in enumerate(spec.get(field) or ()):
            context = container.get("securityContext") if isinstance(container, dict) else None
            if isinstance(context, dict):
                yield (*prefix, field, index, "securityContext"), context, True


def _escalation_rejections(path: Path, context: dict[str, Any]) -> list[Rejection]:
    if context.get("allowPrivilegeEscalation") is not False:
        return []
    if context.get("privileged") is True:
        return [Rejection(path, "allowPrivilegeEscalation cannot be false while privileged is true")]
    capabilities = context.get("capabilities")
    added = capabilities.get("add") if isinstance(capabilities, dict) else None
    if isinstance(added, list) and any(str(c) in ("SYS_ADMIN", "CAP_SYS_ADMIN") for c in added):
        return [Rejection(path, "allowPrivilegeEscalation cannot be false while CAP_SYS_ADMIN is added")]
    return []


def _profile_rejections(path: Path, context: dict[str, Any]) -> list[Rejection]:
    found = []
    for name in ("seccompProfile", "appArmorProfile"):
        profile = context.get(name)
        if not isinstance(profile, dict):
            continue
        localhost = profile.get("type") == "Localhost"
        if profile.get("localhostProfile") is not None and not localhost:
            found.append(Rejection((*path, name), "localhostProfile may only be set with type Localhost"))
        elif localhost and not profile.get("localhostProfile"):
            found.append(Rejection((*path, name), "type Localhost needs a localhostProfile"))
    return found
