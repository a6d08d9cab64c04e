"""Reports of two fixture clusters, made by real scans of the test API server with the real client.

- `prod`: the example cluster (tests/apiserver/fixtures), scanned as context `prod`;
- `staging`: the same cluster a day later (data/staging: one Pod fixed, one gone, one new), as
  context `staging`;
- `prod-next`: that later cluster scanned as context `prod` again: yesterday's and today's report
  of one cluster, for diff;
- `prod-partial`: the example cluster with NetworkPolicies unreadable (403): an incomplete report.

The servers stop once the reports are written; every test reads the same files.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubeaudit.cli import main
from tests.apiserver import FIXTURES
from tests.cluster.conftest import serve, write_kubeconfig
from tests.conftest import AS_OF

DATA = Path(__file__).resolve().parent / "data"
STAGING = [*(FIXTURES / name for name in ("namespaces.yaml", "policies.yaml", "rbac.yaml", "secrets.yaml")),
           DATA / "staging"]  # fmt: skip
# Values of the fixture clusters' Secrets (and their base64): no output may contain one.
SECRET_VALUES = ("s3cr3t-pass", "czNjcjN0", "YWRtaW4", "do-not-leak-me", "ZG8tbm90LWxlYWstbWU")


@dataclass(frozen=True)
class FleetReports:
    folder: Path
    prod: Path
    staging: Path
    prod_next: Path
    prod_partial: Path

    def load(self, path: Path) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return document


def scan_to(kubeconfig: Path, context: str, output: Path) -> int:
    args = ["scan", "--cluster", "--kubeconfig", str(kubeconfig), "--context", context, "--no-config",
            "--as-of", AS_OF, "--fail-on", "none", "-f", "json", "-o", str(output)]  # fmt: skip
    with contextlib.redirect_stderr(io.StringIO()):
        return main(args)


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetReports]:
    folder = tmp_path_factory.mktemp("fleet")
    reports = FleetReports(
        folder, folder / "prod.json", folder / "staging.json", folder / "prod-next.json", folder / "prod-partial.json"
    )
    netpol = "networkpolicies.networking.k8s.io"
    with serve(FIXTURES) as first, serve(STAGING) as second, serve(FIXTURES, forbid=[netpol]) as partial:
        both = write_kubeconfig(folder / "fleet.kubeconfig", {"prod": first, "staging": second})
        later = write_kubeconfig(folder / "later.kubeconfig", {"prod": second})
        broken = write_kubeconfig(folder / "partial.kubeconfig", {"prod": partial})
        assert scan_to(both, "prod", reports.prod) == 0
        assert scan_to(both, "staging", reports.staging) == 0
        assert scan_to(later, "prod", reports.prod_next) == 0
        assert scan_to(broken, "prod", reports.prod_partial) == 2
    yield reports
