"""The benchmark corpus's Helm charts (bench/generate_corpus.py) render as a real repository's do:
a benchmark that timed scan errors instead of scans would measure the wrong thing."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from tests.conftest import REPO, RunCli

sys.path.insert(0, str(REPO / "bench"))
from generate_corpus import CHART_HELPERS, CHART_TEMPLATES, Ctx, chart_kinds, helm_values


def test_a_generated_chart_renders_to_the_resources_the_corpus_counts(tmp_path: Path, run_cli: RunCli) -> None:
    for seed in range(4):  # hardened and bare values, ingress on and off
        ctx = Ctx(random.Random(seed), "shop", f"web-{seed}", "prod", "shop")
        chart = tmp_path / f"web-{seed}"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: web-{seed}\nversion: 0.1.0\nappVersion: 1.16.0\n")
        text, values = helm_values(ctx)
        (chart / "values.yaml").write_text(text)
        (chart / "templates" / "_helpers.tpl").write_text(CHART_HELPERS)
        for name, template in CHART_TEMPLATES.items():
            (chart / "templates" / name).write_text(template)
        result = run_cli("scan", str(chart), "-f", "json", "--no-config")
        report = json.loads(result.out)
        assert result.code == 1 and report["complete"] and not report["errors"] and not report["gaps"]
        assert report["summary"]["resources"] == len(chart_kinds(values))
        (workload,) = report["workloads"]
        assert workload["kind"] == "Deployment" and workload["source"].endswith("templates/deployment.yaml")
