"""Reference data under rules/data/: every file has its JSON Schema, a `source` and an
`updated` date, is valid, and is consistent with itself and with the rules that use it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import REPO

from kubeaudit.engine.loader import load_rules
from kubeaudit.refdata import DataFileError, read_data_file, schema_path_of
from kubeaudit.semantics.rbac_defaults import controller_service_accounts, default_cluster_roles

DATA = REPO / "rules" / "data"
DATA_FILES = sorted(DATA.glob("*.yaml"))
TODAY = dt.date(2026, 12, 2)


def test_the_data_folder_holds_only_data_files_and_their_schemas() -> None:
    assert DATA_FILES
    schemas = {p.name for p in DATA.glob("*.schema.json")}
    assert schemas == {schema_path_of(p).name for p in DATA_FILES}, "each <name>.yaml needs <name>.schema.json"
    assert {p.name for p in DATA.iterdir()} == schemas | {p.name for p in DATA_FILES}


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.stem)
def test_each_schema_is_valid_and_demands_a_source_and_an_updated_date(path: Path) -> None:
    schema = json.loads(schema_path_of(path).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema"
    assert {"source", "updated"} <= set(schema["required"])
    assert schema["properties"]["updated"]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.stem)
def test_each_data_file_is_valid_dated_and_sourced(path: Path) -> None:
    data = read_data_file(path)
    updated = dt.date.fromisoformat(data["updated"])
    assert updated <= TODAY, f"{path.name}: updated {updated} is in the future"
    assert "http" in data["source"], f"{path.name}: source should say where the data can be checked"


def test_a_data_file_that_breaks_its_schema_is_named_with_the_field(tmp_path: Path) -> None:
    original = DATA / "default-cluster-roles.yaml"
    broken = tmp_path / original.name
    data = yaml.safe_load(original.read_text(encoding="utf-8"))
    data["cluster_roles"][0]["rules"][0]["verbs"] = "everything"
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    (tmp_path / schema_path_of(original).name).write_text(schema_path_of(original).read_text(encoding="utf-8"))
    with pytest.raises(DataFileError, match=r"default-cluster-roles\.yaml: cluster_roles/0/rules/0/verbs: "):
        read_data_file(broken)


def test_a_data_file_without_its_schema_is_an_error(tmp_path: Path) -> None:
    lonely = tmp_path / "lonely.yaml"
    lonely.write_text("source: x\nupdated: '2026-01-01'\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"lonely\.yaml: cannot read reference data"):
        read_data_file(lonely)


# -- default-cluster-roles.yaml -------------------------------------------------------------------


def test_default_cluster_roles_are_unique_and_their_aggregations_select_roles_that_exist() -> None:
    data = read_data_file(DATA / "default-cluster-roles.yaml")
    names = [r["name"] for r in data["cluster_roles"]]
    assert len(names) == len(set(names))
    assert {"cluster-admin", "admin", "edit", "view"} <= set(names)
    roles = default_cluster_roles()
    for name, role in roles.items():
        for selector in role.get("aggregationRule", {}).get("clusterRoleSelectors", []):
            (label,) = selector["matchLabels"]
            selected = [n for n, r in roles.items() if r["metadata"]["labels"].get(label) == "true" and n != name]
            assert selected, f"{name} aggregates {label}, which no default role carries"
    assert controller_service_accounts() == tuple(sorted(controller_service_accounts()))


def test_every_controller_service_account_is_an_expected_subject_of_the_rbac_rules() -> None:
    """The controllers' ServiceAccounts hold powerful grants by design; the shared parameter
    set every RBAC rule uses must list each one."""
    controllers = {f"ServiceAccount/kube-system/{name}" for name in controller_service_accounts()}
    rules = [r for r in load_rules() if "expected_subjects" in r.params]
    assert len(rules) >= 10
    for rule in rules:
        assert controllers <= set(rule.params["expected_subjects"]), rule.id


# -- metadata-services.yaml -----------------------------------------------------------------------


def test_metadata_service_addresses_are_single_unique_addresses_the_rule_can_choose_from() -> None:
    import ipaddress

    data = read_data_file(DATA / "metadata-services.yaml")
    addresses = [ipaddress.ip_address(s["address"]) for s in data["services"]]
    assert len(set(addresses)) == len(addresses)
    assert {a.version for a in addresses} == {4, 6}
    (rule,) = [r for r in load_rules() if r.id == "netpol-egress-metadata"]
    assert set(rule.params["metadata_addresses"]) <= {str(a) for a in addresses}
