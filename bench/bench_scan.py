"""Benchmark a kubeaudit scan against a parse-only baseline (PyYAML's C loader).

One process, interleaved repetitions, medians:

  parse   read every manifest a scan reads, and the rendered output of every chart and
          overlay (rendered once, beforehand), and run yaml.load_all(text, Loader=yaml.CSafeLoader)
          on each (bench/baseline.py); the rendering is timed once and reported apart
  scan    kubeaudit.scan.scan_manifests([corpus], rules) with every default rule
          (rules are loaded and selected outside the timed region; that time is
          reported on its own line)

Peak memory is measured separately, in fresh child processes (one for parse, one
for scan), with resource.getrusage(RUSAGE_SELF).ru_maxrss: the peak resident set
size of the process, which includes the interpreter and imported modules, so the
RSS just before the timed work is reported too.

The target is scan < 3x parse. The exit status is 0 whatever the ratio.

    python bench/bench_scan.py                       # 10,000 resources, 3 repetitions
    python bench/bench_scan.py --repeat 5 --json
    python bench/bench_scan.py --corpus path/to/manifests --profile
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
if REPO not in sys.path:  # run as a script from anywhere, even without the editable install
    sys.path.insert(0, REPO)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

TARGET_RATIO = 3.0
DEFAULT_RESOURCES = 10_000
DEFAULT_SEED = 1
# The same files kubeaudit's directory walk picks (kubeaudit/sources/manifests.py).
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


# ---------------------------------------------------------------------------
# The two workloads


def manifest_files(root: str) -> list[str]:
    """Manifest files under root, walked like kubeaudit does: sorted, hidden folders skipped."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(os.path.join(folder, f) for f in sorted(files) if f.lower().endswith(MANIFEST_SUFFIXES))
    return found


_BASELINE_FILES: dict[str, tuple[list[str], float]] = {}


def baseline_files(root: str) -> tuple[list[str], float]:
    """What the baseline parses (bench/baseline.py): the plain manifests of a scan of `root`, and
    the rendered output of its charts and overlays, rendered once per process into a temporary
    folder. Also the seconds that rendering took."""
    if root not in _BASELINE_FILES:
        import tempfile

        from baseline import plan, render_projects

        plain, projects = plan(root)
        start = time.perf_counter()
        rendered = render_projects(projects, tempfile.mkdtemp(prefix="kubeaudit-bench-rendered-"))
        _BASELINE_FILES[root] = (plain + rendered, time.perf_counter() - start)
    return _BASELINE_FILES[root]


def parse_only(root: str) -> tuple[int, int]:
    """The baseline: read and fully load, with the C loader, every manifest a scan of `root` reads
    and the rendered output of every chart and overlay (bench/baseline.py). Returns (files, documents)."""
    from baseline import load_all

    return load_all(baseline_files(root)[0])


def load_default_rules() -> list[Any]:
    from kubeaudit.engine.loader import load_rules
    from kubeaudit.engine.selection import select_rules

    return select_rules(load_rules())


def run_scan(root: str, rules: Sequence[Any]) -> Any:
    from kubeaudit.scan import scan_manifests

    return scan_manifests([root], rules)


# ---------------------------------------------------------------------------
# Timing


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    gc.collect()  # start each sample from the same heap state, outside the clock
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def summarize(samples: list[float]) -> dict[str, Any]:
    return {
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "max_s": max(samples),
        "samples_s": samples,
    }


def measure(root: str, repeat: int, warmup: int) -> dict[str, Any]:
    rule_cold, rules = timed(load_default_rules)  # first load: includes lazy imports and compiling
    render_seconds = baseline_files(root)[1]  # charts and overlays rendered once, outside the clock
    for _ in range(warmup):  # page cache, lazy imports, first-call costs
        parse_only(root)
        run_scan(root, rules)

    parse_t: list[float] = []
    scan_t: list[float] = []
    rules_t: list[float] = []
    parse_counts: tuple[int, int] = (0, 0)
    # What the scan answered, reduced at once to its counts: a ScanResult kept alive (every
    # finding and resource of the corpus) made each garbage collection during the next parse
    # sample walk it, inflating the parse floor and flattering the scan/parse ratio (the same
    # fault bench_cluster had, fixed by d4336fb).
    summary: dict[str, Any] = {}
    for i in range(repeat):
        # Reload the rules each round (untimed for the scan) so every scan starts
        # as a CLI run would; alternate the order so drift hits both sides.
        seconds, rules = timed(load_default_rules)
        rules_t.append(seconds)
        order = ("parse", "scan") if i % 2 == 0 else ("scan", "parse")
        for which in order:
            if which == "parse":
                seconds, parse_counts = timed(parse_only, root)
                parse_t.append(seconds)
            else:
                seconds, result = timed(run_scan, root, rules)
                summary = scan_summary(result)
                del result
                scan_t.append(seconds)

    parse = summarize(parse_t)
    scan = summarize(scan_t)
    return {
        "parse": parse,
        "scan": scan,
        "rule_loading": {"cold_s": rule_cold, **summarize(rules_t)},
        "render_once_s": render_seconds,
        "ratio": scan["median_s"] / parse["median_s"],
        "rules": len(rules),
        "rule_ids": [r.id for r in rules],
        **summary,
        "parse_files": parse_counts[0],
        "parse_documents": parse_counts[1],
    }


def scan_summary(result: Any) -> dict[str, Any]:
    """What the report says of a scan's result: counts of findings, errors and what was read."""
    stats = result.stats
    by_rule: dict[str, int] = {}
    for f in result.findings:
        by_rule[f.rule_id] = by_rule.get(f.rule_id, 0) + 1
    return {
        "findings": len(result.findings),
        "findings_by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
        "scan_errors": len(result.errors),
        "scan_stats": {
            "files": stats.files,
            "documents": stats.documents,
            "resources": stats.resources,
            "skipped_documents": stats.skipped_documents,
            "untargeted_resources": stats.untargeted_resources,
        },
    }


# ---------------------------------------------------------------------------
# Peak memory, in a fresh child process per workload


def _memory_now() -> tuple[int | None, int | None, str]:
    """(current RSS, peak RSS, how they were read) for this process.

    On Linux, VmRSS and VmHWM from /proc/self/status: they belong to the process's
    own address space. getrusage's ru_maxrss is the fallback only, because Linux
    carries it over fork+exec, so a child could report its parent's peak.
    """
    fields: dict[str, int] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    if "VmHWM" in fields:
        return fields.get("VmRSS"), fields["VmHWM"], "VmRSS/VmHWM from /proc/self/status"
    try:
        import resource
    except ImportError:  # Windows
        return None, None, "unavailable"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # bytes on macOS, KiB elsewhere
    return None, (rss if sys.platform == "darwin" else rss * 1024), "getrusage(RUSAGE_SELF).ru_maxrss"


def memory_child(which: str, root: str, traced: bool) -> int:
    """Entry point of the child: do one workload, print its memory figures as JSON."""
    rules = load_default_rules() if which == "scan" else None
    gc.collect()
    before = _memory_now()[0]
    if traced:
        tracemalloc.start()
    if which == "scan":
        run_scan(root, rules or [])
    else:
        parse_only(root)
    out: dict[str, Any] = {"before_bytes": before}
    if traced:
        out["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    _, out["peak_bytes"], out["method"] = _memory_now()
    print(json.dumps(out))
    return 0


def measure_memory(root: str, traced: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for which in ("parse", "scan"):
        command = [sys.executable, os.path.abspath(__file__), "--memory-child", which, "--corpus", root]
        proc = subprocess.run(
            command + (["--tracemalloc"] if traced else []),
            capture_output=True,
            text=True,
            check=False,
        )
        try:
            out[which] = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            out[which] = {"error": (proc.stderr or proc.stdout).strip()[-500:]}
            continue
        out["method"] = f"peak RSS of a fresh subprocess per workload ({out[which].pop('method')})"
    if traced:
        out["method"] += "; tracemalloc peak of Python allocations during the work (slower run)"
    return out


# ---------------------------------------------------------------------------
# Profiling


def profile_scan(root: str, top: int, out_file: str | None) -> str:
    rules = load_default_rules()
    profiler = cProfile.Profile()
    profiler.enable()
    run_scan(root, rules)
    profiler.disable()
    if out_file:
        profiler.dump_stats(out_file)
    buffer = io.StringIO()
    for key in ("cumulative", "tottime"):
        buffer.write(f"\n--- cProfile of one scan: top {top} by {key} ---\n")
        stats = pstats.Stats(profiler, stream=buffer)
        stats.strip_dirs().sort_stats(key).print_stats(top)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Corpus and report


def corpus_info(root: str) -> dict[str, Any]:
    files = manifest_files(root)
    size = sum(os.path.getsize(f) for f in files)
    info: dict[str, Any] = {"path": root, "files": len(files), "bytes": size, "mb": size / 1e6}
    from generate_corpus import CORPUS_META

    meta_path = os.path.join(root, CORPUS_META)
    if os.path.exists(meta_path):
        with open(meta_path, encoding="utf-8") as handle:
            meta = json.load(handle)
        info["generated_resources"] = meta.get("resources")
        info["seed"] = meta.get("seed")
    return info


def ensure_corpus(args: argparse.Namespace) -> str:
    if args.corpus:
        if not os.path.isdir(args.corpus):
            raise SystemExit(f"bench_scan: no such folder: {args.corpus}")
        return args.corpus
    from generate_corpus import ensure_corpus as ensure_generated

    return ensure_generated(args.resources, args.seed)


def fmt_mb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:.0f} MiB"


def render(report: dict[str, Any]) -> str:
    c, p, s, r = report["corpus"], report["parse"], report["scan"], report["rule_loading"]
    mem = report.get("memory", {})
    lines = [
        f"corpus: {c['path']}: {c['files']} files, {c['mb']:.1f} MB"
        + (f", {c['generated_resources']} generated resources" if c.get("generated_resources") else ""),
        f"kubeaudit: {report['rules']} default rules, {report['scan_stats']['resources']} resources in "
        f"{report['scan_stats']['documents']} documents, {report['findings']} findings, "
        f"{report['scan_errors']} scan errors",
        f"python {report['python']}, {report['repeat']} repetitions (+{report['warmup']} warm-up), median wall time",
        "",
        f"{'':28}{'median':>10}{'min':>10}{'max':>10}{'peak RSS':>12}",
    ]

    def row(name: str, d: dict[str, Any], rss: str = "") -> str:
        return f"{name:28}{d['median_s']:>9.3f}s{d['min_s']:>9.3f}s{d['max_s']:>9.3f}s{rss:>12}"

    def rss(which: str) -> str:
        return fmt_mb(mem[which].get("peak_bytes")) if which in mem and "peak_bytes" in mem[which] else ""

    lines.append(row("parse only (CSafeLoader)", p, rss("parse")))
    lines.append(row("kubeaudit scan", s, rss("scan")))
    lines.append(row("rule loading (separate)", r))
    lines.append(f"{'':28}first (cold) rule load: {r['cold_s']:.3f}s")
    lines.append(f"{'':28}charts and overlays rendered once (outside parse): {report['render_once_s']:.3f}s")
    if mem:
        lines.append("")
        lines.append(f"memory: {mem.get('method', 'failed')}")
        for which in ("parse", "scan"):
            m = mem.get(which, {})
            if "error" in m:
                lines.append(f"  {which}: failed: {m['error']}")
            elif m:
                text = f"  {which}: peak RSS {fmt_mb(m.get('peak_bytes'))}"
                text += f" (RSS before the work, after imports: {fmt_mb(m.get('before_bytes'))})"
                if "traced_peak_bytes" in m:
                    text += f", tracemalloc peak {fmt_mb(m['traced_peak_bytes'])}"
                lines.append(text)
    met = report["ratio"] < TARGET_RATIO
    lines += [
        "",
        f"ratio scan/parse: {report['ratio']:.2f}x   target: < {TARGET_RATIO:g}x   {'MET' if met else 'NOT MET'}",
        f"per resource: parse {1e6 * p['median_s'] / max(1, report['scan_stats']['resources']):.0f} us, "
        f"scan {1e6 * s['median_s'] / max(1, report['scan_stats']['resources']):.0f} us",
    ]
    if report["parse_files"] != report["scan_stats"]["files"]:
        lines.append(
            f"WARNING: the baseline read {report['parse_files']} files, the scan {report['scan_stats']['files']}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", help="scan this folder instead of the generated corpus (bench/corpus)")
    parser.add_argument("--resources", type=int, default=DEFAULT_RESOURCES, help="size of the generated corpus")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated corpus")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions of each workload")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds before timing")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--profile", action="store_true", help="also cProfile one scan and print the top functions")
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument("--profile-out", help="write the cProfile stats to this file (for snakeviz, pstats)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also report the tracemalloc peak (memory runs are slower)"
    )
    parser.add_argument("--memory-child", choices=("parse", "scan"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_child:
        return memory_child(args.memory_child, args.corpus, args.tracemalloc)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    import yaml

    if not getattr(yaml, "__with_libyaml__", False):
        print("warning: PyYAML has no libyaml; the baseline is the pure-Python loader", file=sys.stderr)

    root = ensure_corpus(args)
    report: dict[str, Any] = {
        "corpus": corpus_info(root),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "repeat": args.repeat,
        "warmup": args.warmup,
        "target_ratio": TARGET_RATIO,
    }
    report.update(measure(root, args.repeat, args.warmup))
    report["target_met"] = report["ratio"] < TARGET_RATIO
    if not args.no_memory:
        report["memory"] = measure_memory(root, args.tracemalloc)
    profile_text = profile_scan(root, args.profile_top, args.profile_out) if args.profile else ""

    if args.json:
        if profile_text:
            report["profile"] = profile_text
        print(json.dumps(report, indent=2))
    else:
        print(render(report))
        if profile_text:
            print(profile_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
