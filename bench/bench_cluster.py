"""Benchmark a live-cluster scan against just GETting the same lists as raw JSON.

A fake API server process (tests/apiserver) serves a generated cluster: N Pods in
Deployments -> ReplicaSets -> Pods chains over several namespaces, plus Nodes. Then,
in one process, interleaved repetitions, medians:

  raw     the floor: every request one scan sends (its discovery and every list it
          pages through, same paths, same page size, same Accept header, the same 4 lists
          at a time), sent through the `kubernetes` client's ApiClient and decoded with
          json.loads -- no typed objects, no rules. The target: scan <= 1.2x raw.
  raw-orjson, raw-tuned  the same GETs decoded with orjson as the scan does, and also with
          the garbage collector's thresholds raised as a scan raises them (kubeaudit.scan):
          at Python's defaults, collections during decoding are a third of the raw floor's CPU
  client  the official client, typed API, paginated with the same page size:
          list every Namespace, Deployment, ReplicaSet and Pod (the objects the scan
          reads that exist in this cluster, but the ~1% that are Nodes: the generated
          Nodes carry a partial nodeInfo that the client's typed models refuse to load)
  listing kubeaudit's cluster source alone, narrowed to the default rules and read to the
          end, no rules evaluated: connecting, discovery, every kind the rules need, the type
          checks, owner folding (the part of a scan that the cluster source is), with the
          collector set as in a scan
  scan    kubeaudit's cluster source + the pipeline with every default rule: discovery,
          every kind the rules need, owner folding, findings (rules are loaded outside
          the timed region)

Each is timed by wall clock and by the CPU seconds of this process (user+sys, every thread;
the API server's own CPU is not counted): on a loaded machine wall times mostly say how busy it
was, CPU seconds say what the work costs.

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

TARGET_RATIO = 1.2  # scan / raw
TARGET_PEAK_MIB = 300


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


def scan_requests(request_log: list[dict[str, Any]]) -> list[tuple[str, str, int | None]]:
    """(path, Accept, limit) of every request a scan sent that did not continue a list: the
    discovery documents and the first page of each list, in the order they were sent."""
    seen: dict[tuple[str, str, int | None], None] = {}
    for r in request_log:
        if "continue" in r["query"]:
            continue
        limit = int(r["query"]["limit"]) if "limit" in r["query"] else None
        seen.setdefault((r["path"], r["accept"] or "application/json", limit), None)
    return list(seen)


def raw_only(kubeconfig: str, requests: Sequence[tuple[str, str, int | None]], decode: Any = json.loads) -> int:
    """The floor: the same GETs as a scan, with the scan's concurrency (discovery first, then the
    lists 4 at a time, each paged through by one thread), each answer decoded from JSON (with
    `decode`) and dropped. Returns the number of list items decoded."""
    from concurrent.futures import ThreadPoolExecutor

    import kubernetes

    from kubeaudit.sources.cluster.source import DEFAULT_CONCURRENCY

    api = kubernetes.config.new_client_from_config(config_file=kubeconfig)
    api.configuration.connection_pool_maxsize = DEFAULT_CONCURRENCY + 2

    def pages(path: str, accept: str, limit: int | None) -> int:
        items, token = 0, None
        while True:
            query: list[tuple[str, Any]] = [] if limit is None else [("limit", limit)]
            if token:
                query.append(("continue", token))
            method, url, headers, _, _ = api.param_serialize(
                method="GET", resource_path=path, query_params=query, header_params={"Accept": accept},
                auth_settings=["BearerToken"],
            )  # fmt: skip
            body = decode(api.call_api(method, url, header_params=headers).read())
            items += len(body.get("items") or [])
            token = (body.get("metadata") or {}).get("continue") if limit is not None else None
            if not token:
                return items

    discovery = [r for r in requests if r[2] is None]
    lists = [r for r in requests if r[2] is not None]
    total = sum(pages(*r) for r in discovery)
    with ThreadPoolExecutor(DEFAULT_CONCURRENCY) as pool:
        total += sum(pool.map(lambda r: pages(*r), lists))
    api.close()
    return total


def load_default_rules() -> list[Any]:
    from kubeaudit.engine.loader import load_rules
    from kubeaudit.engine.selection import select_rules

    return select_rules(load_rules())


def run_listing(kubeconfig: str, page_size: int, rules: Sequence[Any]) -> int:
    """The cluster source read to the end as a scan reads it, no rules run, with the garbage
    collector set as a scan sets it (before 2026-12-03 it ran at Python's defaults, and collections
    during decoding took half its CPU). Returns the number of resources it hands to the pipeline."""
    from kubeaudit.scan import _fewer_collections
    from kubeaudit.sources.cluster.source import ClusterOptions, open_cluster_sources

    resources = 0
    with _fewer_collections():
        for source in open_cluster_sources(ClusterOptions(kubeconfig=kubeconfig, page_size=page_size)):
            source.narrow_to(list(rules))
            resources += sum(len(batch.resources) for batch in source.batches())
    return resources


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


def timed(fn: Any, *args: Any) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result)."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return time.perf_counter() - start, time.process_time() - cpu, result


WORKLOADS = ("raw", "raw-orjson", "raw-tuned", "client", "listing", "scan")
LABELS = {
    "raw": "GET the same lists, raw JSON",
    "raw-orjson": "the same, decoded as the scan does",
    "raw-tuned": "the same, collector as the scan sets it",
    "client": "client alone (typed, paginated)",
    "listing": "the cluster source alone, no rules",
    "scan": "kubeaudit scan --cluster",
}


def run_workload(which: str, kubeconfig: str, page_size: int, rules: Sequence[Any], requests: Any) -> Any:
    if which == "raw":
        return raw_only(kubeconfig, requests)
    if which == "raw-orjson":  # the scan's own decoder (orjson), so that decoding is no part of the ratio
        from kubeaudit.sources.cluster.transport import decode_json

        return raw_only(kubeconfig, requests, decode_json)
    if which == "raw-tuned":  # and the collector's thresholds as a scan raises them: the lowest floor
        from kubeaudit.scan import _fewer_collections
        from kubeaudit.sources.cluster.transport import decode_json

        with _fewer_collections():
            return raw_only(kubeconfig, requests, decode_json)
    if which == "client":
        return client_only(kubeconfig, page_size)
    if which == "listing":
        return run_listing(kubeconfig, page_size, rules)
    return run_scan(kubeconfig, page_size, rules)


def measure(kubeconfig: str, page_size: int, repeat: int, warmup: int, requests: Any) -> dict[str, Any]:
    rules = load_default_rules()
    for _ in range(warmup):
        for which in WORKLOADS:
            run_workload(which, kubeconfig, page_size, rules, requests)
    samples: dict[str, list[float]] = {w: [] for w in WORKLOADS}
    cpu: dict[str, list[float]] = {w: [] for w in WORKLOADS}
    # What each workload answered, reduced at once to counts: a ScanResult kept alive (24,000
    # findings) made every garbage collection of the next workload walk it, and the raw GETs took
    # half as much CPU again (0.54 s against 0.36 s) whenever they ran after a scan.
    outputs: dict[str, Any] = {}
    for i in range(repeat):
        turn = i % len(WORKLOADS)
        order = WORKLOADS[turn:] + WORKLOADS[:turn]  # each workload goes first in turn
        for which in order:
            seconds, cpu_seconds, output = timed(run_workload, which, kubeconfig, page_size, rules, requests)
            outputs[which] = scan_summary(output) if which == "scan" else output
            del output
            samples[which].append(seconds)
            cpu[which].append(cpu_seconds)
    result = outputs["scan"]
    times = {w: {**summarize(samples[w]), "cpu": summarize(cpu[w])} for w in WORKLOADS}

    def ratio(a: str, b: str, key: str = "") -> float:
        return (times[a]["cpu"] if key else times[a])["median_s"] / (times[b]["cpu"] if key else times[b])["median_s"]

    return {
        **times,
        "ratio": ratio("scan", "raw"),
        "ratio_vs_same_decoder": ratio("scan", "raw-orjson"),
        "ratio_vs_client": ratio("scan", "client"),
        "ratio_listing": ratio("listing", "raw"),
        "cpu_ratio": ratio("scan", "raw", "cpu"),
        "cpu_ratio_vs_same_decoder": ratio("scan", "raw-orjson", "cpu"),
        "cpu_ratio_vs_tuned": ratio("scan", "raw-tuned", "cpu"),
        "cpu_ratio_listing": ratio("listing", "raw", "cpu"),
        "listing_resources": outputs["listing"],
        "rules": len(rules),
        "raw_requests": len(requests),
        "raw_items": outputs["raw"],
        "client_objects": outputs["client"],
        **result,
    }


def scan_summary(result: Any) -> dict[str, Any]:
    """What the report says of a scan's result: counts and the gaps' and notices' words."""
    by_rule: dict[str, int] = {}
    for f in result.findings:
        by_rule[f.rule_id] = by_rule.get(f.rule_id, 0) + 1
    return {
        "scan_resources": result.stats.resources,
        "findings": len(result.findings),
        "findings_by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
        "gaps": [str(g) for g in result.gaps],
        "notices": [str(n) for n in result.notices],
    }


# ---------------------------------------------------------------------------
# Peak memory, in a fresh child process per workload


def memory_child(which: str, kubeconfig: str, page_size: int, requests_file: str) -> int:
    rules = load_default_rules() if which in ("scan", "listing") else []
    with open(requests_file, encoding="utf-8") as handle:
        requests = [tuple(r) for r in json.load(handle)]
    import kubernetes  # noqa: F401  (every workload imports the client before the work starts)

    gc.collect()
    before = _memory_now()[0]
    run_workload(which, kubeconfig, page_size, rules, requests)
    out: dict[str, Any] = {"before_bytes": before}
    _, out["peak_bytes"], out["method"] = _memory_now()
    print(json.dumps(out))
    return 0


def measure_memory(kubeconfig: str, page_size: int, requests_file: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for which in WORKLOADS:
        command = [sys.executable, os.path.abspath(__file__), "--memory-child", which, "--kubeconfig", kubeconfig,
                   "--page-size", str(page_size), "--requests-file", requests_file]  # fmt: skip
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
    mem = report.get("memory", {})
    cl = report["cluster"]
    lines = [
        f"cluster: {cl['pods']} {'bare ' if cl.get('bare') else ''}pods in {cl['namespaces']} namespaces "
        f"({cl['objects']} objects served), "
        f"page size {report['page_size']}, server started in {cl['startup_s']:.2f}s",
        f"kubeaudit: {report['rules']} default rules, {report['scan_resources']} resources evaluated after owner "
        f"folding, {report['findings']} findings, {len(report['gaps'])} coverage gaps",
        f"raw: the scan's {report['raw_requests']} discovery documents and lists, {report['raw_items']} items decoded",
        f"client: {report['client_objects']} objects listed with the typed client",
        f"python {report['python']}, {report['repeat']} repetitions (+{report['warmup']} warm-up), medians; "
        "CPU: this process, user+sys, the API server's not counted",
        "",
        f"{'':38}{'wall':>9}{'min':>9}{'max':>9}{'CPU':>9}{'min':>9}{'peak RSS':>11}",
    ]

    def rss(which: str) -> str:
        return fmt_mb(mem[which].get("peak_bytes")) if which in mem and "peak_bytes" in mem[which] else ""

    for which in WORKLOADS:
        d = report[which]
        c = d["cpu"]
        lines.append(
            f"{LABELS[which]:38}{d['median_s']:>8.3f}s{d['min_s']:>8.3f}s{d['max_s']:>8.3f}s"
            f"{c['median_s']:>8.3f}s{c['min_s']:>8.3f}s{rss(which):>11}"
        )
    if mem:
        lines += ["", f"memory: {mem.get('method', 'failed')}"]
        for which in WORKLOADS:
            m = mem.get(which, {})
            if "error" in m:
                lines.append(f"  {which}: failed: {m['error']}")
            elif m:
                lines.append(f"  {which}: peak RSS {fmt_mb(m.get('peak_bytes'))} (before the work: "
                             f"{fmt_mb(m.get('before_bytes'))})")  # fmt: skip
        peak = mem.get("scan", {}).get("peak_bytes")
        if peak is not None:
            ok = peak < TARGET_PEAK_MIB * 2**20
            lines.append(f"  scan peak RSS target: < {TARGET_PEAK_MIB} MiB   {'MET' if ok else 'NOT MET'}")
    met = report["ratio"] <= TARGET_RATIO
    lines += ["", f"ratio scan/raw time: {report['ratio']:.2f}x   target: <= {TARGET_RATIO:g}x   "
              f"{'MET' if met else 'NOT MET'}",
              f"ratio scan/raw time with the scan's decoder: {report['ratio_vs_same_decoder']:.2f}x",
              f"ratio scan/typed client time: {report['ratio_vs_client']:.2f}x",
              f"ratio scan/raw CPU: {report['cpu_ratio']:.2f}x (with the scan's decoder: "
              f"{report['cpu_ratio_vs_same_decoder']:.2f}x, and the scan's collector settings: "
              f"{report['cpu_ratio_vs_tuned']:.2f}x)",
              f"ratio listing alone/raw: {report['ratio_listing']:.2f}x time, "
              f"{report['cpu_ratio_listing']:.2f}x CPU"]  # fmt: skip
    lines += [f"note: {n}" for n in report["notices"]]
    return "\n".join(lines)


def huge_response(mib: int) -> int:
    """A scan against a server whose pod list answers are MIB long: time, peak RSS and the gap."""
    from tests.apiserver import running_apiserver

    child = (
        "import json, sys, time\n"
        "from kubeaudit.api import ScanOptions, run\n"
        "from kubeaudit.sources.cluster.source import ClusterOptions, open_cluster_sources\n"
        "started = time.perf_counter()\n"
        "sources = open_cluster_sources(ClusterOptions(kubeconfig=sys.argv[1]))\n"
        "result = run(ScanOptions(use_config=False, sources=sources))\n"
        "print(json.dumps({'seconds': time.perf_counter() - started, 'gaps': [str(g) for g in result.gaps]}))\n"
        "print(open('/proc/self/status').read())\n"
    )
    with running_apiserver([], generate_pods=100, generate_namespaces=2, implicit=False,
                           huge={"pods": mib * 2**20}) as api:  # fmt: skip
        proc = subprocess.run([sys.executable, "-c", child, str(api.kubeconfig_path)], capture_output=True,
                              text=True, check=False, cwd=REPO)  # fmt: skip
    lines = proc.stdout.splitlines()
    if not lines:
        print(proc.stderr)
        return 1
    out = json.loads(lines[0])
    peak = next((int(line.split()[1]) * 1024 for line in lines if line.startswith("VmHWM:")), None)
    print(f"pod list answers of {mib} MiB: scan ended in {out['seconds']:.1f}s, peak RSS {fmt_mb(peak)}")
    for gap in out["gaps"]:
        print(f"  gap: {gap}")
    return 0


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
    parser.add_argument("--huge-response", type=int, metavar="MIB",
                        help="instead: scan a server whose pod list answers are MIB long (memory under the cap)")
    parser.add_argument("--memory-child", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--kubeconfig", help=argparse.SUPPRESS)
    parser.add_argument("--requests-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        return memory_child(args.memory_child, args.kubeconfig, args.page_size, args.requests_file)
    if args.huge_response:
        return huge_response(args.huge_response)
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
            "target_peak_mib": TARGET_PEAK_MIB,
        }
        # What one scan asks for is what the raw baseline GETs.
        api.clear_requests()
        run_scan(kubeconfig, args.page_size, load_default_rules())
        requests = scan_requests(api.requests())
        requests_file = str(api.workdir / "scan-requests.json")
        with open(requests_file, "w", encoding="utf-8") as handle:
            json.dump(requests, handle)
        report.update(measure(kubeconfig, args.page_size, args.repeat, args.warmup, requests))
        report["target_met"] = report["ratio"] <= TARGET_RATIO
        if not args.no_memory:
            report["memory"] = measure_memory(kubeconfig, args.page_size, requests_file)
            peak = report["memory"].get("scan", {}).get("peak_bytes")
            report["target_peak_met"] = peak is not None and peak < TARGET_PEAK_MIB * 2**20
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
