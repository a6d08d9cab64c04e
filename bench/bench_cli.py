"""Whole-process benchmark: the `kubeaudit` command against a parse-only process, on pinned cores.

Every figure is a fresh process, timed from outside with wall-clock time, so it includes
interpreter start-up, imports, rule loading and writing the report: what a CI job pays.

  parse      a Python process that reads every manifest a scan reads, and the rendered output of
             every Helm chart and Kustomize overlay, and runs yaml.load_all(text,
             Loader=yaml.CSafeLoader) on each to the end (bench/baseline.py)
  render     a Python process that renders each chart and overlay once, with the renderers the
             scan uses (the Helm SDK in-process, `kubectl kustomize`), and writes the output
  cli        python -m kubeaudit scan CORPUS -f FORMAT -o FILE --no-config --fail-on none
  cli-jobsN  the same with --jobs N (when this kubeaudit has --jobs), on N cores

Runs alternate (parse, render, cli, cli-jobs2, parse, ...) so that machine drift hits all of
them; medians are reported, with each command's ratio to the parse median and to the baseline
(parse + render medians: what any tool must do to see the manifests the scan sees). The serial runs are
pinned to one core (os.sched_setaffinity), the --jobs N runs to N cores.

    python bench/bench_cli.py                          # 10,000 resources, json, 5 rounds
    python bench/bench_cli.py --resources 50000 --formats json,sarif,junit,console --memory
    python bench/bench_cli.py --growth 1000,10000,50000,200000     # time per resource by size
    python bench/bench_cli.py --startup                # --version and `rules list`

Peak memory (`--memory`) is the VmHWM of the kubeaudit process, read from /proc when it ends
(Linux only), one extra run per format.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from generate_corpus import ensure_corpus  # noqa: E402

DEFAULT_RESOURCES = 10_000
TARGET_SERIAL = 1.2  # the json report, one core, against the baseline (parse + render)
TARGET_JOBS = 0.7  # --jobs 2 on two cores, against the baseline on one
TARGET_STARTUP_S = 0.12


def cores() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return []


def pinned(count: int) -> Any:
    """A preexec_fn that pins the child to the first `count` cores this process may use."""
    allowed = cores()
    if not allowed:
        return None
    chosen = set(allowed[:count])
    return lambda: os.sched_setaffinity(0, chosen)


def run_timed(command: Sequence[str], cores_: int) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=pinned(cores_), check=False
    )
    elapsed = time.perf_counter() - start
    # 2 is an incomplete scan (a corpus of your own may hold charts that do not render): still a
    # whole run, timed like the others.
    if proc.returncode not in (0, 1, 2):
        raise SystemExit(f"bench_cli: {' '.join(command)} exited {proc.returncode}: {proc.stderr.decode()[-800:]}")
    return elapsed


def parse_command(file_list: str) -> list[str]:
    return [sys.executable, os.path.abspath(__file__), "--parse-child", file_list]


def render_command(corpus: str, out_dir: str) -> list[str]:
    return [sys.executable, os.path.abspath(__file__), "--render-child", corpus, out_dir]


def cli_command(corpus: str, fmt: str, output: str, jobs: int | None = None) -> list[str]:
    command = [sys.executable, "-m", "kubeaudit", "scan", corpus, "-f", fmt, "-o", output]
    command += ["--no-config", "--fail-on", "none"]
    return command + (["--jobs", str(jobs)] if jobs else [])


def has_jobs_option() -> bool:
    proc = subprocess.run(
        [sys.executable, "-m", "kubeaudit", "scan", "--help"], capture_output=True, text=True, check=False
    )
    return "--jobs" in proc.stdout


def parse_child(file_list: str) -> int:
    """The parse process: read and load_all every file named in `file_list`, one path a line."""
    from baseline import load_all

    with open(file_list, encoding="utf-8") as handle:
        load_all(handle.read().splitlines())
    return 0


def render_child(corpus: str, out_dir: str) -> int:
    """The render process: each chart and overlay of the corpus rendered once into `out_dir`."""
    from baseline import plan, render_projects

    render_projects(plan(corpus)[1], out_dir)
    return 0


def write_file_list(corpus: str, rendered_dir: str, file_list: str) -> None:
    """What the parse process reads: the scan's plain manifests, and every rendered output."""
    from baseline import plan

    rendered = sorted(os.path.join(rendered_dir, name) for name in os.listdir(rendered_dir))
    with open(file_list, "w", encoding="utf-8") as handle:
        handle.write("\n".join(plan(corpus)[0] + rendered) + "\n")


def memory_child(argv: list[str]) -> int:
    """Run the kubeaudit CLI in this process, then print its peak RSS (VmHWM) to stderr as JSON."""
    from kubeaudit.cli import main

    code = 0
    try:
        code = main(argv) or 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    peak = None
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
    print(json.dumps({"peak_bytes": peak, "exit": code}), file=sys.stderr)
    return 0


def measure_memory(corpus: str, fmt: str, output: str, jobs: int | None = None) -> int | None:
    """The scanning process's peak RSS (with --jobs, not counting its workers')."""
    argv = cli_command(corpus, fmt, output, jobs)[3:]
    command = [sys.executable, os.path.abspath(__file__), "--memory-child", "--", *argv]
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    try:
        return int(json.loads(proc.stderr.strip().splitlines()[-1])["peak_bytes"])
    except (IndexError, KeyError, TypeError, ValueError):
        print(f"memory run failed: {proc.stderr[-800:]}", file=sys.stderr)
        return None


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def compare(corpus: str, formats: list[str], rounds: int, jobs: int | None, memory: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        rendered_dir, file_list = os.path.join(tmp, "rendered"), os.path.join(tmp, "parse-files.txt")
        render = render_command(corpus, rendered_dir)
        run_timed(render, 1)  # the rendered output the parse process reads
        write_file_list(corpus, rendered_dir, file_list)
        commands: dict[str, tuple[list[str], int]] = {"parse": (parse_command(file_list), 1), "render": (render, 1)}
        for fmt in formats:
            commands[f"cli-{fmt}"] = (cli_command(corpus, fmt, os.path.join(tmp, f"report.{fmt}")), 1)
        if jobs:
            commands[f"cli-json-jobs{jobs}"] = (cli_command(corpus, "json", os.path.join(tmp, "jobs.json"), jobs), jobs)
        for command, count in commands.values():  # warm-up: page cache, .pyc files
            run_timed(command, count)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for i in range(rounds):
            names = list(commands) if i % 2 == 0 else list(reversed(commands))
            for name in names:
                command, count = commands[name]
                wall, used = run_measured(command, count)
                samples[name].append(wall)
                cpu[name].append(used)
        parse = median(samples["parse"])
        baseline = parse + median(samples["render"])
        baseline_cpu = median(cpu["parse"]) + median(cpu["render"])
        out: dict[str, Any] = {
            "corpus": corpus,
            "rounds": rounds,
            "cores": cores(),
            "commands": {name: " ".join(cmd) for name, (cmd, _) in commands.items()},
            "median_s": {name: median(values) for name, values in samples.items()},
            "samples_s": samples,
            "ratio_to_parse": {name: median(values) / parse for name, values in samples.items()},
            "baseline_s": baseline,
            "ratio_to_baseline": {name: median(values) / baseline for name, values in samples.items()},
            # CPU seconds (user + system, children such as kubectl included): on a shared machine the
            # wall time of a pinned process waits for the other jobs on its core; its CPU time does not.
            "cpu_samples_s": cpu,
            "median_cpu_s": {name: median(values) for name, values in cpu.items()},
            "baseline_cpu_s": baseline_cpu,
            "cpu_ratio_to_baseline": {name: median(values) / baseline_cpu for name, values in cpu.items()},
        }
        if jobs:
            serial = os.path.join(tmp, "report.json")
            with open(serial, "rb") as a, open(os.path.join(tmp, "jobs.json"), "rb") as b:
                out["jobs_output_identical"] = a.read() == b.read()
        if memory:
            out["peak_rss_bytes"] = peak_memory(corpus, formats, jobs)
    return out


def peak_memory(corpus: str, formats: list[str], jobs: int | None) -> dict[str, int | None]:
    """Peak RSS of one run per format, and of a json run with --jobs N."""
    with tempfile.TemporaryDirectory() as tmp:
        peaks = {fmt: measure_memory(corpus, fmt, os.path.join(tmp, f"m.{fmt}")) for fmt in formats}
        if jobs:
            peaks[f"json --jobs {jobs}"] = measure_memory(corpus, "json", os.path.join(tmp, "m-jobs.json"), jobs)
    return peaks


def growth(sizes: list[int], seed: int, rounds: int) -> dict[str, Any]:
    rows = []
    for size in sizes:
        corpus = ensure_corpus(size, seed)
        with tempfile.TemporaryDirectory() as tmp:
            command = cli_command(corpus, "json", os.path.join(tmp, "r.json"))
            run_timed(command, 1)
            seconds = median([run_timed(command, 1) for _ in range(rounds)])
        rows.append({"resources": size, "median_s": seconds, "us_per_resource": 1e6 * seconds / size})
    per = [r["us_per_resource"] for r in rows]
    mid = statistics.median(per)
    return {"rows": rows, "spread_vs_median": [p / mid - 1 for p in per]}


def cpu_timed(command: Sequence[str]) -> float:
    """The CPU seconds (user + system) one run of `command` used: on a shared machine a truer
    measure of a short command's own cost than its wall time, which waits for the other jobs."""
    return run_measured(command, 1)[1]


def run_measured(command: Sequence[str], cores_: int) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, with the command's own children) of one run
    (NaN CPU where there is no child CPU accounting)."""
    try:
        import resource
    except ImportError:  # not a Unix: no child CPU accounting
        return run_timed(command, cores_), float("nan")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = run_timed(command, cores_)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def startup(rounds: int) -> dict[str, float]:
    """Median wall and CPU seconds of `--version` and `rules list` (the second run on, the rules
    are known valid: see kubeaudit/validation_cache.py)."""
    commands = {
        "--version": [sys.executable, "-m", "kubeaudit", "--version"],
        "rules list": [sys.executable, "-m", "kubeaudit", "rules", "list", "--no-config"],
    }
    for command in commands.values():
        run_timed(command, 1)
    found: dict[str, float] = {}
    for name, command in commands.items():
        found[name] = median([run_timed(command, 1) for _ in range(rounds)])
        found[f"{name} (cpu)"] = median([cpu_timed(command) for _ in range(rounds)])
    return found


def render(report: dict[str, Any]) -> str:
    lines: list[str] = []
    cmp = report.get("compare")
    if cmp:
        lines.append(f"corpus {cmp['corpus']}, {cmp['rounds']} rounds, median wall time of whole processes")
        lines.append(f"  baseline = parse + render = {cmp['baseline_s']:.3f}s")
        for name, seconds in cmp["median_s"].items():
            ratio = cmp["ratio_to_baseline"][name]
            target = TARGET_JOBS if "jobs" in name else TARGET_SERIAL if name == "cli-json" else None
            verdict = "" if target is None else f"   target <= {target}x: {'MET' if ratio <= target else 'NOT MET'}"
            to_parse = cmp["ratio_to_parse"][name]
            lines.append(f"  {name:20} {seconds:8.3f}s  {to_parse:5.2f}x parse  {ratio:5.2f}x baseline{verdict}")
        if "median_cpu_s" in cmp:
            lines.append(f"  CPU seconds (user + system, children included), baseline {cmp['baseline_cpu_s']:.3f}s")
            for name, seconds in cmp["median_cpu_s"].items():
                lines.append(f"  {name:20} {seconds:8.3f}s  {cmp['cpu_ratio_to_baseline'][name]:5.2f}x baseline CPU")
        if "jobs_output_identical" in cmp:
            lines.append(f"  --jobs output byte-identical to the serial run: {cmp['jobs_output_identical']}")
    memory = cmp or report.get("memory")
    if memory:
        if not cmp:
            lines.append(f"corpus {memory['corpus']}, one run per format")
        for fmt, peak in memory.get("peak_rss_bytes", {}).items():
            lines.append(f"  peak RSS, {fmt:14} {'n/a' if peak is None else f'{peak / 2**20:.0f} MiB'}")
    if "growth" in report:
        lines.append("growth (json report, one core):")
        for row, spread in zip(report["growth"]["rows"], report["growth"]["spread_vs_median"], strict=True):
            lines.append(
                f"  {row['resources']:>8} resources {row['median_s']:8.2f}s "
                f"{row['us_per_resource']:7.0f} us/resource ({spread:+.0%} vs the median)"
            )
    if "startup" in report:
        for name, seconds in report["startup"].items():
            verdict = "MET" if seconds < TARGET_STARTUP_S else "NOT MET"
            lines.append(f"  kubeaudit {name:12} {seconds:.3f}s   target < {TARGET_STARTUP_S}s: {verdict}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--parse-child"]:
        return parse_child(argv[1])
    if argv[:1] == ["--render-child"]:
        return render_child(argv[1], argv[2])
    if argv[:2] == ["--memory-child", "--"]:
        return memory_child(argv[2:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", help="benchmark this folder instead of a generated corpus")
    parser.add_argument("--resources", type=int, default=DEFAULT_RESOURCES)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--formats", default="json", help="comma-separated report formats to time (default: json)")
    parser.add_argument("--jobs", type=int, default=2, help="also time --jobs N (0: not)")
    parser.add_argument("--memory", action="store_true", help="peak RSS of one run per format")
    parser.add_argument("--growth", help="comma-separated corpus sizes: time per resource for each")
    parser.add_argument("--startup", action="store_true", help="time `--version` and `rules list`")
    parser.add_argument("--no-compare", action="store_true", help="skip the parse/cli comparison")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    report: dict[str, Any] = {}
    if not args.no_compare or args.memory:
        corpus = args.corpus or ensure_corpus(args.resources, args.seed)
        jobs = args.jobs if args.jobs and has_jobs_option() else None
        if not args.no_compare:
            report["compare"] = compare(corpus, args.formats.split(","), args.rounds, jobs, args.memory)
        else:  # --memory alone: one run per format, not timed
            report["memory"] = {"corpus": corpus, "peak_rss_bytes": peak_memory(corpus, args.formats.split(","), jobs)}
    if args.growth:
        report["growth"] = growth([int(n) for n in args.growth.split(",")], args.seed, max(1, args.rounds // 2))
    if args.startup:
        report["startup"] = startup(args.rounds)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
