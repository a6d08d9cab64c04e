"""Does a file scan grow linearly with the input? Time per resource at several corpus sizes.

For each size (default 1,000, 10,000, 50,000 and 200,000 resources) the generated corpus
(bench/generate_corpus.py, seed 1; made on first use) is scanned in a fresh child process:
the parse-only baseline (PyYAML's C loader, as in bench_scan.py) and the scan with every
default rule, interleaved, medians. Each child first scans the 1,000-resource corpus once,
untimed, so that first-call costs (lazy imports, compiled patterns) are not charged to the
smallest size. Reported per size: seconds, microseconds per resource for both, the scan/parse
ratio (which the machine's load moves far less than either time), CPU seconds per resource
(this process and the renderers it ran, e.g. kubectl kustomize) and the child's peak RSS.

Target: time per resource within +-15% of the median over the sizes. The corpus grows the
way a real repository does, including one namespace (`legacy-monolith`) with one workload
per 40 resources and one NetworkPolicy per 400: 5,000 workloads and 500 policies at 200,000.

    python bench/bench_growth.py                          # 1k, 10k, 50k, 200k (200k: minutes)
    python bench/bench_growth.py --sizes 1000,10000,50000 --repeat 3
    python bench/bench_growth.py --json

The 200,000-resource corpus is about 230 MB and takes a few minutes to generate.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
if REPO not in sys.path:
    sys.path.insert(0, REPO)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from bench_scan import DEFAULT_SEED, _memory_now, fmt_mb, load_default_rules, parse_only, run_scan  # noqa: E402
from generate_corpus import ensure_corpus  # noqa: E402

DEFAULT_SIZES = (1_000, 10_000, 50_000, 200_000)
TOLERANCE = 0.15  # time per resource within +-15% of the median over the sizes
WARMUP_SIZE = 1_000


def cpu_seconds() -> float:
    """CPU time of this process and of the children it waited for (renderers: kubectl kustomize)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def child(root: str, warmup_root: str, repeat: int) -> int:
    """Time parse and scan of ROOT in this fresh process; print the figures as JSON."""
    rules = load_default_rules()
    run_scan(warmup_root, rules)  # first-call costs, on a small corpus
    parse_only(warmup_root)
    parse_t: list[float] = []
    scan_t: list[float] = []
    parse_cpu: list[float] = []
    scan_cpu: list[float] = []
    result: Any = None
    for i in range(repeat):
        for which in ("parse", "scan") if i % 2 == 0 else ("scan", "parse"):
            if which == "scan":
                result = None  # let the previous result go before timing the next scan
            gc.collect()
            start, cpu = time.perf_counter(), cpu_seconds()
            if which == "parse":
                parse_only(root)
                parse_t.append(time.perf_counter() - start)
                parse_cpu.append(cpu_seconds() - cpu)
            else:
                result = run_scan(root, rules)
                scan_t.append(time.perf_counter() - start)
                scan_cpu.append(cpu_seconds() - cpu)
    print(
        json.dumps(
            {
                "parse_s": statistics.median(parse_t),
                "scan_s": statistics.median(scan_t),
                "parse_cpu_s": statistics.median(parse_cpu),
                "scan_cpu_s": statistics.median(scan_cpu),
                "parse_samples_s": parse_t,
                "scan_samples_s": scan_t,
                "resources": result.stats.resources,
                "files": result.stats.files,
                "findings": len(result.findings),
                "errors": len(result.errors),
                "peak_bytes": _memory_now()[1],
            }
        )
    )
    return 0


def measure(sizes: Sequence[int], seed: int, repeat: int, corpus_dir: str | None) -> list[dict[str, Any]]:
    warmup_root = ensure_corpus(WARMUP_SIZE, seed, corpus_dir)
    rows = []
    for size in sizes:
        root = ensure_corpus(size, seed, corpus_dir)
        command = [sys.executable, os.path.abspath(__file__), "--child", root, "--warmup-corpus", warmup_root,
                   "--repeat", str(repeat)]  # fmt: skip
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        try:
            row = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            row = {"error": (proc.stderr or proc.stdout).strip()[-800:]}
        row["size"] = size
        row["child_wall_s"] = time.perf_counter() - started
        rows.append(row)
        print(f"  {size:>7} resources: {summary_line(row)}", file=sys.stderr, flush=True)
    return rows


def summary_line(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"failed: {row['error']}"
    n = row["resources"]
    return (
        f"scan {row['scan_s']:.2f}s ({1e6 * row['scan_s'] / n:.0f} us/resource), "
        f"parse {row['parse_s']:.2f}s, ratio {row['scan_s'] / row['parse_s']:.2f}x, peak {fmt_mb(row['peak_bytes'])}"
    )


def verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    good = [r for r in rows if "error" not in r]
    per = {r["size"]: r["scan_s"] / r["resources"] for r in good}
    per_cpu = {r["size"]: r["scan_cpu_s"] / r["resources"] for r in good}
    ratio = {r["size"]: r["scan_s"] / r["parse_s"] for r in good}
    if not per:
        return {"met": False}
    median = statistics.median(per.values())
    median_ratio = statistics.median(ratio.values())
    spread = {size: value / median - 1 for size, value in per.items()}
    median_cpu = statistics.median(per_cpu.values())
    cpu_spread = {size: value / median_cpu - 1 for size, value in per_cpu.items()}
    ratio_spread = {size: value / median_ratio - 1 for size, value in ratio.items()}
    return {
        "median_us_per_resource": 1e6 * median,
        "deviation": spread,
        "ratio_deviation": ratio_spread,
        "median_cpu_us_per_resource": 1e6 * median_cpu,
        "cpu_deviation": cpu_spread,
        "cpu_met": len(good) == len(rows) and all(abs(d) <= TOLERANCE for d in cpu_spread.values()),
        "met": len(good) == len(rows) and all(abs(d) <= TOLERANCE for d in spread.values()),
        "ratio_met": len(good) == len(rows) and all(abs(d) <= TOLERANCE for d in ratio_spread.values()),
    }


def render(report: dict[str, Any]) -> str:
    lines = [
        f"corpus seed {report['seed']}, {report['repeat']} repetition(s) per size, one fresh process per size, "
        f"python {report['python']}, load average at start {report['load']}",
        "",
        f"{'resources':>10}{'files':>8}{'findings':>10}{'parse':>9}{'scan':>9}{'us/res':>9}{'vs median':>11}"
        f"{'CPU us/res':>12}{'vs median':>11}{'scan/parse':>12}{'vs median':>11}{'peak RSS':>10}",
    ]
    v = report["verdict"]
    for row in report["rows"]:
        if "error" in row:
            lines.append(f"{row['size']:>10}  failed: {row['error']}")
            continue
        size = row["size"]
        lines.append(
            f"{row['resources']:>10}{row['files']:>8}{row['findings']:>10}{row['parse_s']:>8.2f}s{row['scan_s']:>8.2f}s"
            f"{1e6 * row['scan_s'] / row['resources']:>9.0f}{100 * v['deviation'][size]:>+10.0f}%"
            f"{1e6 * row['scan_cpu_s'] / row['resources']:>12.0f}{100 * v['cpu_deviation'][size]:>+10.0f}%"
            f"{row['scan_s'] / row['parse_s']:>11.2f}x{100 * v['ratio_deviation'][size]:>+10.0f}%"
            f"{fmt_mb(row['peak_bytes']):>10}"
        )
    if "median_us_per_resource" in v:
        lines += [
            "",
            f"time per resource within +-{TOLERANCE:.0%} of the median ({v['median_us_per_resource']:.0f} us): "
            f"{'MET' if v['met'] else 'NOT MET'}",
            f"CPU time per resource within +-{TOLERANCE:.0%} of the median ({v['median_cpu_us_per_resource']:.0f} us): "
            f"{'MET' if v['cpu_met'] else 'NOT MET'} (the machine's load moves it less than wall time)",
            f"scan/parse ratio within +-{TOLERANCE:.0%} of its median: {'MET' if v['ratio_met'] else 'NOT MET'}",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                        help="corpus sizes, comma-separated (default: %(default)s)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=1, help="timed repetitions per size (median)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--corpus-dir", help="keep the generated corpora in this folder (default: bench/)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--warmup-corpus", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.warmup_corpus, max(1, args.repeat))
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes needs at least one size of 1 or more")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = measure(sizes, args.seed, max(1, args.repeat), args.corpus_dir)
    report = {
        "seed": args.seed,
        "repeat": max(1, args.repeat),
        "python": platform.python_version(),
        "load": round(load, 1),
        "rows": rows,
        "tolerance": TOLERANCE,
    }
    report["verdict"] = verdict(rows)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
