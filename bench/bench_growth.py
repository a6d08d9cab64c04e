"""Does a file scan grow linearly with the input? Time per resource at several corpus sizes.

For each size (default 1,000, 10,000, 50,000 and 200,000 resources) the generated corpus
(bench/generate_corpus.py, seed 1; made on first use) is scanned in a fresh child process:
the parse-only baseline (PyYAML's C loader, as in bench_scan.py) and the scan with every
default rule, interleaved, medians. Each child first scans the 1,000-resource corpus once,
untimed, so that first-call costs (lazy imports, compiled patterns) are not charged to the
smallest size. Reported per size: seconds, microseconds per resource for both, the scan/parse
ratio (which the machine's load moves far less than either time), CPU seconds per resource
(this process and the renderers it ran, e.g. kubectl kustomize), the CPU time of the cyclic
garbage collector's passes during the scan per resource, and the child's peak RSS. Every corpus
is made (or checked) before the first scan, so generating one never overlaps a timed scan.

Target: time per resource within +-15% of the median over the sizes. The corpus grows the
way a real repository does, including one namespace (`legacy-monolith`) with one workload
per 40 resources and one NetworkPolicy per 400: 5,000 workloads and 500 policies at 200,000.
--namespace-sizes scans that namespace alone too (a corpus's monolith, made with
generate_corpus.py --monolith-only), so its growth is seen apart from the rest.

    python bench/bench_growth.py                          # 1k, 10k, 50k, 200k (200k: minutes)
    python bench/bench_growth.py --sizes 1000,10000,50000 --repeat 3
    python bench/bench_growth.py --json
    python bench/bench_growth.py --sizes '' --namespace-sizes 1000,5000,10000
    python bench/bench_growth.py --corpus-dir /tmp/corpora    # generated corpora kept there

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
from generate_corpus import MONOLITH_WORKLOAD_SHARE, ensure_corpus  # noqa: E402

DEFAULT_SIZES = (1_000, 10_000, 50_000, 200_000)
TOLERANCE = 0.15  # time per resource within +-15% of the median over the sizes
WARMUP_SIZE = 1_000


def cpu_seconds() -> float:
    """CPU time of this process and of the children it waited for (renderers: kubectl kustomize)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class CollectionClock:
    """Collections of the cyclic garbage collector during the timed scans, and their CPU time."""

    def __init__(self) -> None:
        self.collections = 0
        self.seconds = 0.0
        self.running = False
        self.started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if not self.running:
            return
        if phase == "start":
            self.started = time.process_time()
        else:
            self.collections += 1
            self.seconds += time.process_time() - self.started


def child(root: str, warmup_root: str, repeat: int, parse: bool = True) -> int:
    """Time parse and scan of ROOT in this fresh process; print the figures as JSON."""
    clock = CollectionClock()
    gc.callbacks.append(clock)
    rules = load_default_rules()
    run_scan(warmup_root, rules)  # first-call costs, on a small corpus
    if parse:
        parse_only(warmup_root)
    parse_t: list[float] = []
    scan_t: list[float] = []
    parse_cpu: list[float] = []
    scan_cpu: list[float] = []
    result: Any = None
    for i in range(repeat):
        order = ("parse", "scan") if i % 2 == 0 else ("scan", "parse")
        for which in order if parse else ("scan",):
            if which == "scan":
                result = None  # let the previous result go before timing the next scan
            gc.collect()
            start, cpu = time.perf_counter(), cpu_seconds()
            if which == "parse":
                parse_only(root)
                parse_t.append(time.perf_counter() - start)
                parse_cpu.append(cpu_seconds() - cpu)
            else:
                clock.running = True
                result = run_scan(root, rules)
                clock.running = False
                scan_t.append(time.perf_counter() - start)
                scan_cpu.append(cpu_seconds() - cpu)
    print(
        json.dumps(
            {
                "parse_s": statistics.median(parse_t) if parse_t else None,
                "scan_s": statistics.median(scan_t),
                "parse_cpu_s": statistics.median(parse_cpu) if parse_cpu else None,
                "scan_cpu_s": statistics.median(scan_cpu),
                "parse_samples_s": parse_t,
                "scan_samples_s": scan_t,
                "resources": result.stats.resources,
                "files": result.stats.files,
                "findings": len(result.findings),
                "errors": len(result.errors),
                "gc_collections": clock.collections / repeat,
                "gc_s": clock.seconds / repeat,
                "peak_bytes": _memory_now()[1],
            }
        )
    )
    return 0


def measure(roots: dict[int, str], warmup_root: str, repeat: int, what: str, parse: bool) -> list[dict[str, Any]]:
    """Scan each corpus (keyed by its size) in a fresh child process, in turn."""
    rows = []
    for size, root in roots.items():
        command = [sys.executable, os.path.abspath(__file__), "--child", root, "--warmup-corpus", warmup_root,
                   "--repeat", str(repeat)] + ([] if parse else ["--no-parse"])  # fmt: skip
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        try:
            row = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            row = {"error": (proc.stderr or proc.stdout).strip()[-800:]}
        row["size"] = size
        row["child_wall_s"] = time.perf_counter() - started
        rows.append(row)
        print(f"  {size:>7} {what}: {summary_line(row)}", file=sys.stderr, flush=True)
    return rows


def summary_line(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"failed: {row['error']}"
    n = row["resources"]
    return (
        f"scan {row['scan_s']:.2f}s ({1e6 * row['scan_s'] / n:.0f} us/resource, "
        f"CPU {1e6 * row['scan_cpu_s'] / n:.0f}), "
        + (f"parse {row['parse_s']:.2f}s, ratio {row['scan_s'] / row['parse_s']:.2f}x, " if row["parse_s"] else "")
        + f"peak {fmt_mb(row['peak_bytes'])}"
    )


def verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    good = [r for r in rows if "error" not in r]
    per = {r["size"]: r["scan_s"] / r["resources"] for r in good}
    per_cpu = {r["size"]: r["scan_cpu_s"] / r["resources"] for r in good}
    ratio = {r["size"]: r["scan_s"] / r["parse_s"] for r in good if r["parse_s"]}
    if not per:
        return {"met": False}
    median = statistics.median(per.values())
    median_ratio = statistics.median(ratio.values()) if ratio else 0.0
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
        "ratio_met": bool(ratio) and len(good) == len(rows) and all(abs(d) <= TOLERANCE for d in ratio_spread.values()),
    }


def table(rows: list[dict[str, Any]], v: dict[str, Any], first: str) -> list[str]:
    lines = [
        f"{first:>10}{'resources':>10}{'files':>8}{'findings':>10}{'parse':>9}{'scan':>9}{'us/res':>9}{'vs median':>11}"
        f"{'CPU us/res':>12}{'vs median':>11}{'GC us/res':>11}{'scan/parse':>12}{'vs median':>11}{'peak RSS':>10}",
    ]
    for row in rows:
        size = row["size"]
        if "error" in row:
            lines.append(f"{size:>10}  failed: {row['error']}")
            continue
        n = row["resources"]
        parse_s = f"{row['parse_s']:.2f}s" if row["parse_s"] else "-"
        ratio = (
            f"{row['scan_s'] / row['parse_s']:.2f}x{100 * v['ratio_deviation'][size]:>+10.0f}%"
            if row["parse_s"]
            else "-"
        )
        lines.append(
            f"{size:>10}{n:>10}{row['files']:>8}{row['findings']:>10}{parse_s:>9}{row['scan_s']:>8.2f}s"
            f"{1e6 * row['scan_s'] / n:>9.0f}{100 * v['deviation'][size]:>+10.0f}%"
            f"{1e6 * row['scan_cpu_s'] / n:>12.0f}{100 * v['cpu_deviation'][size]:>+10.0f}%"
            f"{1e6 * row['gc_s'] / n:>11.0f}"
            f"{ratio:>22}"
            f"{fmt_mb(row['peak_bytes']):>10}"
        )
    if "median_us_per_resource" in v:
        lines += [
            f"time per resource within +-{TOLERANCE:.0%} of the median ({v['median_us_per_resource']:.0f} us): "
            f"{'MET' if v['met'] else 'NOT MET'}",
            f"CPU time per resource within +-{TOLERANCE:.0%} of the median ({v['median_cpu_us_per_resource']:.0f} us): "
            f"{'MET' if v['cpu_met'] else 'NOT MET'} (the machine's load moves it less than wall time)",
        ]
        if v["ratio_deviation"]:
            lines.append(
                f"scan/parse ratio within +-{TOLERANCE:.0%} of its median: {'MET' if v['ratio_met'] else 'NOT MET'}"
            )
    return lines


def render(report: dict[str, Any]) -> str:
    lines = [
        f"corpus seed {report['seed']}, {report['repeat']} repetition(s) per size, one fresh process per size, "
        f"python {report['python']}, load average at start {report['load']} and at the end {report['load_end']}",
        "",
    ]
    if report["rows"]:
        lines += table(report["rows"], report["verdict"], "size")
    if report["namespace_rows"]:
        lines += [""] if report["rows"] else []
        lines += ["one namespace (legacy-monolith alone): its workloads, and a NetworkPolicy per 10 of them", ""]
        lines += table(report["namespace_rows"], report["namespace_verdict"], "workloads")
    return "\n".join(lines)


def sizes_option(parser: argparse.ArgumentParser, text: str, name: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        parser.error(f"{name} takes whole numbers separated by commas")
    if sizes and min(sizes) < 1:
        parser.error(f"{name} takes sizes of 1 or more")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                        help="corpus sizes, comma-separated (default: %(default)s; empty for none)")  # fmt: skip
    parser.add_argument("--namespace-sizes", default="",
                        help="also scan one namespace alone with this many workloads (comma-separated, e.g. "
                             "1000,5000,10000): the legacy-monolith of a corpus 40 times that size")  # fmt: skip
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=1, help="timed repetitions per size (median)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--no-parse", action="store_true", help="scan only, no parse-only baseline")
    parser.add_argument("--corpus-dir", help="keep the generated corpora in this folder (default: bench/)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--warmup-corpus", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.warmup_corpus, max(1, args.repeat), not args.no_parse)
    sizes = sizes_option(parser, args.sizes, "--sizes")
    namespace_sizes = sizes_option(parser, args.namespace_sizes, "--namespace-sizes")
    if not sizes and not namespace_sizes:
        parser.error("nothing to measure: give --sizes or --namespace-sizes")
    repeat = max(1, args.repeat)
    # Every corpus first (generating one takes minutes at 200,000), then the timed scans.
    warmup_root = ensure_corpus(WARMUP_SIZE, args.seed, args.corpus_dir)
    roots = {size: ensure_corpus(size, args.seed, args.corpus_dir) for size in sizes}
    namespace_roots = {
        workloads: ensure_corpus(workloads * MONOLITH_WORKLOAD_SHARE, args.seed, args.corpus_dir, monolith_only=True)
        for workloads in namespace_sizes
    }
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = measure(roots, warmup_root, repeat, "resources", not args.no_parse)
    namespace_rows = measure(namespace_roots, warmup_root, repeat, "workloads in one namespace", not args.no_parse)
    report = {
        "seed": args.seed,
        "repeat": repeat,
        "python": platform.python_version(),
        "load": round(load, 1),
        "load_end": round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else float("nan"),
        "rows": rows,
        "namespace_rows": namespace_rows,
        "tolerance": TOLERANCE,
    }
    report["verdict"] = verdict(rows)
    report["namespace_verdict"] = verdict(namespace_rows)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
