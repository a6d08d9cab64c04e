"""How long `kubeaudit report merge` and `diff` take on large saved reports, whole process.

    python bench/bench_report.py                       # 10,000-resource report, 4 clusters, 3 repetitions
    python bench/bench_report.py --clusters 10 --repeat 5 --json

The generated corpus (bench/generate_corpus.py, seeded; bench/corpus/ by default) is scanned once
to a JSON report; that report is copied as the report of each of `--clusters` clusters (context
`cluster-N`), and the last one is changed a little (a tenth of its findings dropped) to be a later
report of the first cluster. Then, `--repeat` times (median reported):

- `json.load` of one report, in this process (the floor: merge must at least read each report);
- `kubeaudit report merge` of all the reports (`-f json`), as a separate process;
- `kubeaudit report diff` of the first cluster's report and its later one (`-f json`).

Exit status 0: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_corpus import ensure_corpus  # noqa: E402


def kubeaudit(*args: str, cwd: Path | None = None) -> float:
    """Seconds one `kubeaudit ARGS` process takes, start to exit."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kubeaudit", *args], cwd=cwd, stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def reports(folder: Path, work: Path, clusters: int) -> tuple[list[Path], Path]:
    """One scan's report as the report of each cluster, and a later report of the first."""
    scanned = work / "scan.json"
    subprocess.run(
        [sys.executable, "-m", "kubeaudit", "scan", ".", "--no-config", "--fail-on", "none", "-f", "json",
         "-o", str(scanned)],
        cwd=folder, check=True, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    document: dict[str, Any] = json.loads(scanned.read_text(encoding="utf-8"))
    paths = []
    for number in range(clusters):
        document["inputs"] = [f"cluster:cluster-{number}"]
        path = work / f"cluster-{number}.json"
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
        paths.append(path)
    document["inputs"] = ["cluster:cluster-0"]
    document["findings"] = document["findings"][: len(document["findings"]) * 9 // 10]
    later = work / "cluster-0-later.json"
    later.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return paths, later


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clusters", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    folder = Path(ensure_corpus(args.resources, args.seed))
    work = Path(tempfile.mkdtemp(prefix="kubeaudit-bench-report-"))
    try:
        paths, later = reports(folder, work, args.clusters)
        size = paths[0].stat().st_size
        findings = len(json.loads(paths[0].read_text(encoding="utf-8"))["findings"])
        load, merge, diff = [], [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            json.loads(paths[0].read_text(encoding="utf-8"))
            load.append(time.perf_counter() - started)
            merge.append(kubeaudit("report", "merge", *map(str, paths), "-f", "json", "--fail-on", "none"))
            diff.append(kubeaudit("report", "diff", str(paths[0]), str(later), "-f", "json"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures = {
        "resources": args.resources,
        "reportBytes": size,
        "findingsPerReport": findings,
        "clusters": args.clusters,
        "loadOneSeconds": round(statistics.median(load), 3),
        "mergeSeconds": round(statistics.median(merge), 3),
        "diffSeconds": round(statistics.median(diff), 3),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(
            f"{args.clusters} reports of {findings} findings ({size / 2**20:.1f} MiB each): "
            f"json.load of one {figures['loadOneSeconds']:.2f} s; merge {figures['mergeSeconds']:.2f} s "
            f"({figures['mergeSeconds'] / args.clusters / figures['loadOneSeconds']:.2f}x the load per report); "
            f"diff of two {figures['diffSeconds']:.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
