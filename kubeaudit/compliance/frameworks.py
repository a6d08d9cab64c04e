"""The frameworks rules map to, read from rules/data/framework-<id>.yaml (one file, with its JSON
Schema, a `source` and an `updated` date, per framework)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from kubeaudit.refdata import load_data

# The framework ids a rule's `frameworks:` key may name (rules/schema.json lists the same), in the
# order reports list them.
FRAMEWORK_IDS = ("cis-kubernetes", "nsa-cisa", "pss", "mitre-attack")


@dataclass(frozen=True, slots=True)
class Control:
    id: str
    title: str
    manual: bool = False  # assessed by hand when no rule checks it
    node_only: bool = False  # about the nodes' files or processes: neither the API nor manifests show it


@dataclass(frozen=True, slots=True)
class Framework:
    id: str
    title: str
    version: str
    url: str
    source: str
    updated: str
    controls: tuple[Control, ...]

    def control(self, control_id: str) -> Control | None:
        return next((c for c in self.controls if c.id == control_id), None)

    @property
    def data_file(self) -> str:
        return f"rules/data/framework-{self.id}.yaml"


class UnknownFramework(ValueError):
    """A framework id kubeaudit ships no control list for."""


@cache
def load_framework(framework_id: str) -> Framework:
    if framework_id not in FRAMEWORK_IDS:
        raise UnknownFramework(f"unknown framework {framework_id!r}; choose one of {', '.join(FRAMEWORK_IDS)}")
    data = load_data(f"framework-{framework_id}")
    controls = tuple(
        Control(
            id=str(item["id"]),
            title=item["title"],
            manual=item.get("assessment") == "manual",
            node_only=item.get("scope") == "node",
        )
        for item in data["controls"]
    )
    return Framework(
        id=framework_id,
        title=data["title"],
        version=str(data["version"]),
        url=data["url"],
        source=data["source"],
        updated=str(data["updated"]),
        controls=controls,
    )
