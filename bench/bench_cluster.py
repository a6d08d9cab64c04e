"""Benchmark a live-cluster scan against the `kubernetes` client alone listing the same objects.

A fake API server process (tests/apiserver) serves a generated cluster: N Pods in
Deployments -> ReplicaSets -> Pods chains over several namespaces, plus Nodes. Then,
in one process, interleaved repetitions, medians:

  client  the official client, typed API, paginated with the same page size:
          list every Namespace, Deployment, ReplicaSet and Pod (the objects the scan
          reads that exist in this cluster, but the ~1% that are Nodes: the generated
          Nodes carry a partial nodeInfo that the client's typed models refuse to load)
  scan    kubeaudit's cluster source + the pipeline with every default rule: discovery,
          every kind the rules need, owner folding, findings (rules are loaded outside
          the timed region)

Peak memory is measured separately, in fresh child processes (one per workload), as in
bench_scan.py: peak RSS from /proc/self/status (VmHWM), plus the RSS before the work.

    python bench/bench_cluster.py                    # 10,000 pods, 3 repetitions
    python bench/bench_cluster.py --pods 2000 --repeat 5 --json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
if REPO not in sys.path:  # run as a script from anywhere, even without the editable install
    sys.path.insert(0, REPO)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from bench_scan import _memory_now, fmt_mb, summarize  # noqa: E402  (same measurement habits)

TARGET_RATIO = 3.0


# ---------------------------------------------------------------------------
# The two workloads


def client_only(kubeconfig: str, page_size: int) -> int:
    """The baseline: the typed client paginating through the same objects. Returns the object count."""
    import kubernetes

    api = kubernetes.config.new_client_from_config(config_file=kubeconfig)
    core, apps = kubernetes.client.CoreV1Api(api), kubernetes.client.AppsV1Api(api)
    total = 0
    for call in (
        core.list_namespace,
        apps.list_deployment_for_all_namespaces,
        apps.list_replica_set_for_all_namespaces,
        core.list_pod_for_all_namespaces,
    ):
        token = None
        while True:
            page = call(limit=page_size, _continue=token) if token else call(limit=page_size)
            total += len(page.items)
            token = page.metadata._continue
            if not token:
                break
    api.close()
    return total


def load_default_rules() -> list[Any]:
    from kubeaudit.engine.loader import load_rules
    from kubeaudit.engine.selection import select_rules

    return select_rules(load_rules())


def run_scan(kubeconfig: str, page_size: int, rules: Sequence[Any]) -> Any:
    from kubeaudit.scan import run_scan as pipeline
    from kubeaudit.sources.cluster.source import ClusterOptions, open_cluster_sources

    sources = open_cluster_sources(ClusterOptions(kubeconfig=kubeconfig, page_size=page_size))
    for source in sources:
        source.narrow_to(list(rules))
    result = pipeline(sources, rules)
    result.notices.extend(n for s in sources for n in s.notices())
    return result


# ---------------------------------------------------------------------------
# Timing


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def measure(kubeconfig: str, page_size: int, repeat: int, warmup: int) -> dict[str, Any]:
    rules = load_default_rules()
    for _ in range(warmup):
        client_only(kubeconfig, page_size)
        run_scan(kubeconfig, page_size, rules)
    client_t: list[float] = []
    scan_t: list[float] = []
    objects = 0
    result: Any = None
    for i in range(repeat):
        order = ("client", "scan") if i % 2 == 0 else ("scan", "client")
        for which in order:
            if which == "client":
                seconds, objects = timed(client_only, kubeconfig, page_size)
                client_t.append(seconds)
            else:
                result = None
                seconds, result = timed(run_scan, kubeconfig, page_size, rules)
                scan_t.append(seconds)
    by_rule: dict[str, int] = {}
    for f in result.findings:
        by_rule[f.rule_id] = by_rule.get(f.rule_id, 0) + 1
    client, scan = summarize(client_t), summarize(scan_t)
    return {
        "client": client,
        "scan": scan,
        "ratio": scan["median_s"] / client["median_s"],
        "rules": len(rules),
        "client_objects": objects,
        "scan_resources": result.stats.resources,
        "findings": len(result.findings),
        "findings_by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
        "gaps": [str(g) for g in result.gaps],
        "notices": [str(n) for n in result.notices],
    }


# ---------------------------------------------------------------------------
# Peak memory, in a fresh child process per workload


def memory_child(which: str, kubeconfig: str, page_size: int) -> int:
    rules = load_default_rules() if which == "scan" else []
    import kubernetes  # noqa: F401  (both workloads import the client before the work starts)

    gc.collect()
    before = _memory_now()[0]
    if which == "scan":
        run_scan(kubeconfig, page_size, rules)
    else:
        client_only(kubeconfig, page_size)
    out: dict[str, Any] = {"before_bytes": before}
    _, out["peak_bytes"], out["method"] = _memory_now()
    print(json.dumps(out))
    return 0


def measure_memory(kubeconfig: str, page_size: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for which in ("client", "scan"):
        command = [sys.executable, os.path.abspath(__file__), "--memory-child", which, "--kubeconfig", kubeconfig,
                   "--page-size", str(page_size)]  # fmt: skip
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        try:
            out[which] = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            out[which] = {"error": (proc.stderr or proc.stdout).strip()[-500:]}
            continue
        out["method"] = f"peak RSS of a fresh subprocess per workload ({out[which].pop('method')})"
    return out


# ---------------------------------------------------------------------------
# Report


def render(report: dict[str, Any]) -> str:
    c, s, mem = report["client"], report["scan"], report.get("memory", {})
    cl = report["cluster"]
    lines = [
        f"cluster: {cl['pods']} {'bare ' if cl.get('bare') else ''}pods in {cl['namespaces']} namespaces "
        f"({cl['objects']} objects served), "
        f"page size {report['page_size']}, server started in {cl['startup_s']:.2f}s",
        f"kubeaudit: {report['rules']} default rules, {report['scan_resources']} resources evaluated after owner "
        f"folding, {report['findings']} findings, {len(report['gaps'])} coverage gaps",
        f"client: {report['client_objects']} objects listed with the typed client",
        f"python {report['python']}, {report['repeat']} repetitions (+{report['warmup']} warm-up), median wall time",
        "",
        f"{'':32}{'median':>10}{'min':>10}{'max':>10}{'peak RSS':>12}",
    ]

    def rss(which: str) -> str:
        return fmt_mb(mem[which].get("peak_bytes")) if which in mem and "peak_bytes" in mem[which] else ""

    for name, d, which in (("client alone (typed, paginated)", c, "client"), ("kubeaudit scan --cluster", s, "scan")):
        lines.append(f"{name:32}{d['median_s']:>9.3f}s{d['min_s']:>9.3f}s{d['max_s']:>9.3f}s{rss(which):>12}")
    if mem:
        lines += ["", f"memory: {mem.get('method', 'failed')}"]
        for which in ("client", "scan"):
            m = mem.get(which, {})
            if "error" in m:
                lines.append(f"  {which}: failed: {m['error']}")
            elif m:
                lines.append(f"  {which}: peak RSS {fmt_mb(m.get('peak_bytes'))} (before the work: "
                             f"{fmt_mb(m.get('before_bytes'))})")  # fmt: skip
        if "peak_bytes" in mem.get("client", {}) and "peak_bytes" in mem.get("scan", {}):
            peak = mem["scan"]["peak_bytes"] / mem["client"]["peak_bytes"]
            lines.append(f"  ratio scan/client peak RSS: {peak:.2f}x")
    met = report["ratio"] < TARGET_RATIO
    lines += ["", f"ratio scan/client time: {report['ratio']:.2f}x   target: < {TARGET_RATIO:g}x   "
              f"{'MET' if met else 'NOT MET'}"]  # fmt: skip
    lines += [f"note: {n}" for n in report["notices"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=10_000, help="pods in the generated cluster")
    parser.add_argument("--namespaces", type=int, default=10)
    parser.add_argument("--replicas", type=int, default=5, help="pods per ReplicaSet")
    parser.add_argument(
        "--bare",
        action="store_true",
        help="pods without owners: nothing is folded, every pod is evaluated (the memory worst case)",
    )
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--memory-child", choices=("client", "scan"), help=argparse.SUPPRESS)
    parser.add_argument("--kubeconfig", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        return memory_child(args.memory_child, args.kubeconfig, args.page_size)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    from tests.apiserver import running_apiserver

    with running_apiserver([], generate_pods=args.pods, generate_namespaces=args.namespaces,
                           generate_replicas=args.replicas, generate_bare=args.bare,
                           implicit=False) as api:  # fmt: skip
        kubeconfig = str(api.kubeconfig_path)
        report: dict[str, Any] = {
            "cluster": {
                "pods": args.pods,
                "bare": args.bare,
                "namespaces": args.namespaces,
                "objects": api.state.get("objects"),
                "startup_s": api.state.get("startup_seconds", 0.0),
            },
            "page_size": args.page_size,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "repeat": args.repeat,
            "warmup": args.warmup,
            "target_ratio": TARGET_RATIO,
        }
        report.update(measure(kubeconfig, args.page_size, args.repeat, args.warmup))
        report["target_met"] = report["ratio"] < TARGET_RATIO
        if not args.no_memory:
            report["memory"] = measure_memory(kubeconfig, args.page_size)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
