"""One naming rule for every rule family: the folder names the family, every rule in it has
the family's category, and its id starts with the family's prefix.

Rule ids are what users write in configs, suppressions and baselines, so they never change:
the seven workload rules that predate the prefix keep their ids (listed below, and the list
may only shrink); every new workload rule starts with `workload-`. docs/rule-authoring-brief.md
says the same for rule authors.
"""

from __future__ import annotations

from pathlib import Path

from kubeaudit.engine.loader import builtin_rules_dir, load_rules

# folder -> (category, id prefix)
FAMILIES = {
    "pod-security": ("pod-security", "pss-"),
    "workload": ("workload-hygiene", "workload-"),
    "rbac": ("rbac", "rbac-"),
    "network": ("network", "netpol-"),
    "images": ("image-provenance", "image-"),
    "mesh": ("mesh", "mesh-"),
    "versions": ("version-currency", "version-"),
    "resources": ("resource-governance", "resources-"),
    "controlplane": ("control-plane", "controlplane-"),
    "kubelet": ("kubelet", "kubelet-"),
    "paths": ("attack-path", "path-"),
}
# Ids older than the prefix rule, kept so users' configs, suppressions and baselines keep working.
UNPREFIXED = frozenset(
    {
        "automount-service-account-token",
        "container-resource-limits",
        "container-resource-requests",
        "default-namespace",
        "host-path-read-write",
        "readonly-root-filesystem",
        "secret-in-env",
    }
)


def test_every_rule_folder_is_a_family() -> None:
    folders = {p.name for p in builtin_rules_dir().iterdir() if p.is_dir() and p.name not in ("data", "params")}
    assert folders == set(FAMILIES)


def test_folder_category_and_id_prefix_agree_for_every_rule() -> None:
    for rule in load_rules():
        folder = Path(rule.source).parent.name
        assert folder in FAMILIES, f"{rule.id}: rules/{folder}/ is not a rule family"
        category, prefix = FAMILIES[folder]
        assert rule.category == category, f"{rule.id}: category {rule.category!r}, its family's is {category!r}"
        assert rule.id.startswith(prefix) or rule.id in UNPREFIXED, f"{rule.id}: ids in rules/{folder}/ start {prefix}"


def test_no_two_families_share_a_category_or_a_prefix() -> None:
    categories = [c for c, _ in FAMILIES.values()]
    prefixes = [p for _, p in FAMILIES.values()]
    assert len(set(categories)) == len(categories) and len(set(prefixes)) == len(prefixes)
    for a in prefixes:
        assert not any(b != a and b.startswith(a) for b in prefixes)


def test_the_unprefixed_ids_are_existing_workload_rules() -> None:
    workload = {r.id for r in load_rules() if Path(r.source).parent.name == "workload"}
    assert workload >= UNPREFIXED, sorted(UNPREFIXED - workload)
