"""Where a scan reaches its peak memory: the resident set size sampled through one scan, the
largest seen in each phase (the per-file phase, each cross-resource view, locating the views'
findings, the report).

    python bench/memory_phases.py /work/corpus/c50k -f json

Runs `kubeaudit scan PATH -o <temporary file> --no-config --fail-on none` in this process, with
a thread reading VmRSS from /proc/self/status every 20 ms (Linux only). The phases are marked by
wrapping the pipeline's own steps, so the figures are those of an ordinary scan (the sampler
costs little CPU); the whole process's peak is what `/usr/bin/time -v` reports as its maximum
resident set size.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubeaudit import scan
from kubeaudit.cli import main as kubeaudit_main


def rss_mib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


class PhaseSampler:
    """The largest resident set size seen while each phase was current, in the order phases began."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.phase = "start-up"
        self.peaks: dict[str, int] = {}
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            phase, rss = self.phase, rss_mib()
            self.peaks[phase] = max(self.peaks.get(phase, 0), rss)
            time.sleep(self.interval)

    def enter(self, phase: str) -> None:
        time.sleep(self.interval * 2)  # let the sampler see the end of the phase before
        self.phase = phase


def instrument(sampler: PhaseSampler) -> None:
    """Mark the phases of kubeaudit.scan.run_scan by wrapping the steps it calls."""
    run_scan, inventory_view, locate = scan.run_scan, scan.inventory_view, scan.locate_findings

    def timed_run(*args: Any, **kwargs: Any) -> Any:
        sampler.enter("per-file phase")
        try:
            return run_scan(*args, **kwargs)
        finally:
            sampler.enter("report")

    class MarkedView:
        def __init__(self, view: Any) -> None:
            self._view = view

        def __getattr__(self, name: str) -> Any:
            return getattr(self._view, name)

        def build(self, inventory: Any) -> Any:
            sampler.enter(f"view {self._view.name}")
            return self._view.build(inventory)

    def marked_view(name: str) -> Any:
        view = inventory_view(name)
        return None if view is None else MarkedView(view)

    def marked_locate(findings: Any) -> Any:
        sampler.enter("locating the views' findings")
        try:
            return locate(findings)
        finally:
            sampler.enter("suppressions, merging, sorting")

    replacements: dict[str, Callable[..., Any]] = {
        "run_scan": timed_run,
        "inventory_view": marked_view,
        "locate_findings": marked_locate,
    }
    for name, replacement in replacements.items():
        setattr(scan, name, replacement)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", help="manifests to scan (a folder, e.g. a bench corpus)")
    parser.add_argument("-f", "--format", default="json", help="report format (default json)")
    args = parser.parse_args()
    sampler = PhaseSampler()
    instrument(sampler)
    with tempfile.TemporaryDirectory() as folder:
        report = str(Path(folder) / "report")
        with contextlib.suppress(SystemExit):
            kubeaudit_main(["scan", args.path, "-f", args.format, "-o", report, "--no-config", "--fail-on", "none"])
    sampler.enter("end")
    for phase, peak in sampler.peaks.items():
        print(f"{phase:32s} {peak:6d} MiB")


if __name__ == "__main__":
    main()
