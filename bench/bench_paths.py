"""How much the attack-path view costs, and whether it grows linearly: its build time at two
corpus sizes (default 10,000 and 50,000 resources), and what the whole scan pays for the path
rules.

    python bench/bench_paths.py                      # 10,000 and 50,000 resources, 3 repetitions
    python bench/bench_paths.py --sizes 10000 --json

For each size the generated corpus (bench/generate_corpus.py, seeded) is read once into an
inventory of the kinds the view reads, kept as the scan keeps them (workloads slimmed), and
the view is built `--repeat` times (median reported): graph, one backward search per crown
jewel, one target per path. `--scan` also times whole scans with and without the path rules,
interleaved. Exit status 0: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from generate_corpus import ensure_corpus  # noqa: E402

from kubeaudit.engine.loader import load_rules  # noqa: E402
from kubeaudit.engine.selection import select_rules  # noqa: E402
from kubeaudit.inventory import Inventory  # noqa: E402
from kubeaudit.scan import scan_manifests  # noqa: E402
from kubeaudit.semantics.pathgraph import DEFAULT_MAX_LENGTH  # noqa: E402
from kubeaudit.semantics.paths import PathBuilder  # noqa: E402
from kubeaudit.semantics.workloads import WORKLOAD_KINDS  # noqa: E402
from kubeaudit.sources.manifests import ManifestSource  # noqa: E402
from kubeaudit.views.paths import PATH_VIEW, path_targets  # noqa: E402
from kubeaudit.views.pod import slim_resource  # noqa: E402


def inventory_of(folder: Path) -> tuple[Inventory, int]:
    kinds = PATH_VIEW.all_kinds | PATH_VIEW.optional_kinds
    inventory = Inventory(kinds)
    inventory.settings = {"strict_inputs": False}
    resources = 0
    for batch in ManifestSource([str(folder)]).batches():
        for resource in batch.resources:
            resources += 1
            if resource.kind in kinds:
                kept = slim_resource(resource) if resource.kind in WORKLOAD_KINDS else resource
                inventory.add(replace(kept, origin=kept.origin.keep(kept.data, resource.data)))
        if batch.release is not None:
            batch.release()
    return inventory, resources


def time_view(inventory: Inventory, repeat: int) -> dict[str, Any]:
    samples = []
    targets = 0
    for _ in range(repeat):
        inventory._derived.clear()  # a fresh build each time (the scan builds it once)
        gc.collect()
        start = time.perf_counter()
        targets = len(path_targets(inventory))
        samples.append(time.perf_counter() - start)
    inventory._derived.clear()
    builder = PathBuilder(inventory)
    builder.build()
    by_target: dict[str, int] = {}
    for path in builder.paths(DEFAULT_MAX_LENGTH):
        by_target[path.target] = by_target.get(path.target, 0) + 1
    return {
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "samples_s": samples,
        "targets": targets,
        "nodes": len(builder.graph.labels),
        "edges": builder.graph.edge_count,
        "entries": len(builder.entries),
        "paths_by_target": by_target,
        "kept_resources": sum(len(inventory.of_kind(k)) for k in inventory.kinds),
    }


def time_scans(folder: Path, repeat: int) -> dict[str, float]:
    rules = select_rules(load_rules(), "all", [])
    without = [r for r in rules if r.view != "path"]
    times: dict[str, list[float]] = {"with": [], "without": []}
    for round_ in range(repeat):
        order = [("with", rules), ("without", without)]
        for name, chosen in order if round_ % 2 == 0 else order[::-1]:
            gc.collect()
            start = time.perf_counter()
            scan_manifests([str(folder)], chosen)
            times[name].append(time.perf_counter() - start)
    return {f"scan_{k}_path_rules_s": statistics.median(v) for k, v in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000", help="corpus sizes in resources (comma-separated)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scan", action="store_true", help="also time whole scans with and without path rules")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        folder = Path(ensure_corpus(size, args.seed))
        start = time.perf_counter()
        inventory, resources = inventory_of(folder)
        figures: dict[str, Any] = {"size": size, "resources": resources, "read_s": time.perf_counter() - start}
        figures.update(time_view(inventory, args.repeat))
        if args.scan:
            figures.update(time_scans(folder, args.repeat))
        results.append(figures)
    if len(results) >= 2:
        first, last = results[0], results[-1]
        growth = last["resources"] / first["resources"]
        results.append({"growth_resources": growth, "growth_view_time": last["median_s"] / first["median_s"]})
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for figures in results:
        if "size" not in figures:
            print(f"resources x{figures['growth_resources']:.2f} -> view time x{figures['growth_view_time']:.2f}")
            continue
        print(
            f"{figures['resources']:>7} resources ({figures['kept_resources']} kept for the view): "
            f"path view {figures['median_s']:.3f} s median ({figures['min_s']:.3f} min), "
            f"{figures['nodes']} nodes, {figures['edges']} edges, {figures['entries']} entry points, "
            f"{figures['targets']} paths {figures['paths_by_target']}"
        )
        if "scan_with_path_rules_s" in figures:
            print(
                f"         whole scan {figures['scan_with_path_rules_s']:.2f} s with path rules, "
                f"{figures['scan_without_path_rules_s']:.2f} s without"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
