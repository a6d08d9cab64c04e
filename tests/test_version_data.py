"""The version and image reference data: internally consistent, and what the rules expect of it."""

from __future__ import annotations

import datetime as dt
import itertools

from kubeaudit.refdata import data_dir, load_data, stale_note
from kubeaudit.semantics.versions import parse_minor

NAMES = sorted(p.name[: -len(".yaml")] for p in data_dir().glob("*.yaml"))


def _minor(text: str) -> tuple[int, int]:
    minor = parse_minor(text)
    assert minor is not None, text
    return minor


def test_the_expected_data_files_exist() -> None:
    assert {"deprecated-apis", "kubernetes-releases", "risky-images"} <= set(NAMES)








def test_deprecated_apis_are_consistent_sorted_and_unique() -> None:
    apis = load_data("deprecated-apis")["apis"]
    keys = [(_minor(a["removedIn"]), a["apiVersion"], a["kind"]) for a in apis]
    assert keys == sorted(keys), "records must be sorted by removedIn, apiVersion, kind"
    pairs = [(a["apiVersion"], a["kind"]) for a in apis]
    assert len(pairs) == len(set(pairs)), "duplicate apiVersion/kind pair"
    for api in apis:
        assert _minor(api["removedIn"]) > _minor(api["deprecatedIn"]), api
        if api.get("replacementAvailableIn"):
            assert _minor(api["replacementAvailableIn"]) <= _minor(api["removedIn"]), api
        assert api["replacement"] != api["apiVersion"], api
        if api["replacement"] is None:
            assert api.get("note"), f"{api}: an API without replacement needs a note saying what to do"


def test_deprecated_apis_cover_the_migration_guide_removals() -> None:
    """Spot checks against the guide, one per removal release."""
    pairs = {(a["apiVersion"], a["kind"]): a["removedIn"] for a in load_data("deprecated-apis")["apis"]}
    assert pairs[("extensions/v1beta1", "Deployment")] == "1.16"
    assert pairs[("networking.k8s.io/v1beta1", "Ingress")] == "1.22"
    assert pairs[("policy/v1beta1", "PodSecurityPolicy")] == "1.25"
    assert pairs[("autoscaling/v2beta2", "HorizontalPodAutoscaler")] == "1.26"
    assert pairs[("storage.k8s.io/v1beta1", "CSIStorageCapacity")] == "1.27"
    assert pairs[("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema")] == "1.29"
    assert pairs[("flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration")] == "1.32"


def test_releases_are_sorted_unique_and_dates_increase() -> None:
    releases = load_data("kubernetes-releases")["releases"]
    minors = [_minor(r["version"]) for r in releases]
    assert minors == sorted(set(minors)), "one record per minor, oldest first"
    assert all(b[1] == a[1] + 1 for a, b in itertools.pairwise(minors)), "no minor is missing"
    released = [dt.date.fromisoformat(r["released"]) for r in releases]
    end = [dt.date.fromisoformat(r["endOfLife"]) for r in releases]
    assert released == sorted(released) and len(set(released)) == len(released)
    assert end == sorted(end) and len(set(end)) == len(end)
    for r, start, stop in zip(releases, released, end, strict=False):
        assert 270 <= (stop - start).days <= 500, f"{r['version']}: support of about a year (9 to 16 months)"


def test_releases_know_the_current_release_and_nothing_unreleased() -> None:
    today = dt.date(2026, 12, 1)
    releases = load_data("kubernetes-releases")["releases"]
    assert releases[-1]["version"] == "1.37"  # v1.38 is due this month, not released yet
    assert all(dt.date.fromisoformat(r["released"]) <= today for r in releases)


def test_stale_data_gets_a_note_after_180_days() -> None:
    updated = dt.date.fromisoformat(load_data("kubernetes-releases")["updated"])
    assert stale_note("kubernetes-releases", updated + dt.timedelta(days=180)) is None
    note = stale_note("kubernetes-releases", updated + dt.timedelta(days=181))
    assert note is not None and "181 days ago" in note and "refresh" in note.lower()


