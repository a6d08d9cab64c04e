"""The HTML report in a real browser: headless Chromium renders a page that is not blank, runs the
inline script (the Content-Security-Policy lets exactly it run) and filters the findings.

Runs where /usr/bin/chromium exists (Debian's `chromium` package; .ci/run installs it when it can),
and is skipped with the reason otherwise."""

from __future__ import annotations

import json
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, RunCli

from tests.report.htmltree import Element, parse

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (install Debian's chromium package to run these)"
)
# Headless, and kept off the network: no background requests, no component or sync updates, every
# host name unresolvable (the page must need none).
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND",
)  # fmt: skip


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"  # a fresh one per run
    run = subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    return run


@pytest.fixture
def demo_report(run_cli: RunCli, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """The demo scanned once, as HTML and JSON."""
    page, report = tmp_path / "report.html", tmp_path / "report.json"
    assert run_cli("scan", str(FIXTURES / "demo"), "-o", f"html={page}", "-o", f"json={report}").code == 1
    return page, json.loads(report.read_text())


def dumped_dom(tmp_path: Path, page: Path, fragment: str = "") -> Element:
    run = chromium(tmp_path, "--dump-dom", page.as_uri() + fragment)
    return parse(run.stdout.decode()).root


def _shown_rows(dom: Element) -> list[Element]:
    rows = dom.find("table", id="findings-table").find("tbody").find_all("tr")
    return [row for row in rows if "hidden" not in row.attrs]


def test_the_script_runs_and_shows_the_filters(tmp_path: Path, demo_report: tuple[Path, dict[str, Any]]) -> None:
    page, report = demo_report
    dom = dumped_dom(tmp_path, page)
    total = report["summary"]["findings"]["total"]
    assert dom.find("html").attrs.get("data-filters") == "ready"  # the CSP let the inline script run
    assert "hidden" not in dom.find("form", id="filters").attrs
    assert dom.find(id="filter-status").text == f"Showing all {total} findings."
    assert len(_shown_rows(dom)) == total
    assert dom.find("td", data_category="pod-security").find("a").attrs["href"].startswith("#filter?")


def test_filters_in_the_address_filter_the_findings(tmp_path: Path, demo_report: tuple[Path, dict[str, Any]]) -> None:
    page, report = demo_report
    findings = report["findings"]
    total = len(findings)
    dom = dumped_dom(tmp_path, page, "#filter?severity=critical,high&rule=secret-in-env")
    shown = _shown_rows(dom)
    wanted = [f for f in findings if f["ruleId"] == "secret-in-env"]
    assert len(shown) == len(wanted) >= 1
    assert dom.find(id="filter-status").text == f"Showing {len(wanted)} of {total} findings (filtered)."
    text = dumped_dom(tmp_path, page, "#filter?q=logging")
    logging = [f for f in findings if "logging" in json.dumps(f)]
    assert 0 < len(_shown_rows(text)) <= len(logging) < total


def _png_pixels(png: bytes) -> bytes:
    """The decompressed image data of a PNG (filter bytes included): enough to tell blank from not."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    data, offset = b"", 8
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        if kind == b"IDAT":
            data += png[offset + 8 : offset + 8 + length]
        offset += 12 + length
    return zlib.decompress(data)


def test_the_rendered_page_is_not_blank(tmp_path: Path, demo_report: tuple[Path, dict[str, Any]]) -> None:
    page, _ = demo_report
    shot = tmp_path / "page.png"
    chromium(tmp_path, "--window-size=1280,1600", f"--screenshot={shot}", page.as_uri())
    pixels = _png_pixels(shot.read_bytes())
    assert len(set(pixels)) > 32  # text, badges and the heatmap: many shades, not one background
    assert pixels.count(0xFF) < 0.97 * len(pixels)
