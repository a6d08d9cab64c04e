"""Renders Helm charts with the Helm SDK (the helm-python-sdk wheel), in one long-lived child process.

`python -m kubeaudit.sources.helm_worker` reads one JSON request per line on standard input
(`chart`, `values` files, `set` expressions, `release`, `namespace`) and answers each with one JSON
line: the rendered manifests per template (`rendered`), the same output with line markers (`marked`,
see kubeaudit.sources.helm_lines; null when the chart could not be rendered marked), the marker
`tag`, the values the templates saw (`values`) and the --set values alone (`set`); or
`{"error": "..."}` (a template or values error) or `{"gap": "..."}` (dependencies not in the
chart). kubeaudit.sources.helm runs it, once per scan, for every chart (loading the SDK is most of
the cost of a small chart's render: about 0.06 s of CPU, against a few milliseconds per render).

Each chart is rendered once: from a copy whose templates carry line markers, the real output being
that output without them. A chart whose templates name a template file (`include (print
$.Template.BasePath "/configmap.yaml") . | sha256sum`) would see the markers in what it includes, so
it is rendered a second time, unmarked, for its real output.

A child process because the SDK runs Helm's Go code in-process: a template that loops for ever or
crashes the Go runtime must cost a timeout or an error line, never the scan (the scan then starts a
new worker for the next chart). The SDK renders offline (`lookup` finds nothing), runs no
post-renderer and no plugin, and fetches nothing: a dependency that is not already in charts/ is a
gap, not a download.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from typing import Any, TextIO

from kubeaudit.sources.helm_lines import mark_template, new_tag, strip_markers

# What `helm template` prints: manifests, not the chart's notes.
_NOT_MANIFESTS = ("NOTES.txt",)
# `include` or `template` of anything but a plain define name (a string without a slash): it may
# name a template file, whose marked text the chart would then hash or parse.
_NAMES_A_FILE = re.compile(r"""\b(?:include|template)\s+(?!"[^"/\n]*"|`[^`/]*`)""")
_ARCHIVE_TEMPLATE_BYTES = 16 * 1024 * 1024  # read of a packed subchart's templates, at most


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of user values: maps merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def one_line(message: str) -> str:
    return " ".join(part.strip() for part in message.splitlines() if part.strip())


def render(request: dict[str, Any], tag: str) -> dict[str, Any]:
    """One chart's answer (see the module's doc). Raises helm.HelmError."""
    import helm_python as helm

    chart_path: str = request["chart"]
    missing = [d for d in helm.dependency_list(chart_path) if d.get("status") not in ("ok", "unpacked")]
    if missing:
        names = ", ".join(f"{d.get('name')} {d.get('version')} ({d.get('status')})" for d in missing)
        return {"gap": f"dependencies not in charts/: {names}; run `helm dependency build` (kubeaudit fetches nothing)"}
    values: dict[str, Any] = {}
    for path in request["values"]:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            return {"error": f"values file {path}: cannot read it: {getattr(exc, 'strerror', None) or exc}"}
        try:
            values = merge(values, helm.values_from_yaml(text))
        except helm.HelmError as exc:
            return {"error": f"values file {path}: {one_line(str(exc))}"}
    set_values = []
    for expression in request["set"]:
        try:
            parsed = helm.parse_set_string(expression)
        except helm.HelmError as exc:
            return {"error": f"--helm-set {expression}: {one_line(str(exc))}"}
        set_values.append(parsed)
        values = merge(values, parsed)
    options = {"name": request["release"], "namespace": request["namespace"], "is_install": True}
    with helm.Chart.load(chart_path) as chart:
        merged = chart.merge_values(values)
        chart.validate_schema(merged)
        names_a_file = any(_NAMES_A_FILE.search(t["data"]) for t in chart.templates) or _subcharts_name_a_file(
            chart_path
        )
        marked = _marked(chart_path, values, options, tag)
        if marked is not None and not names_a_file:
            rendered = {name: strip_markers(text, tag) for name, text in marked.items()}
        else:  # the real output from the chart as written (and its error, when the chart has one)
            rendered = _manifests(chart.render(values, **options))
    return {"rendered": rendered, "marked": marked, "tag": tag, "values": merged, "set": set_values}


def _manifests(output: dict[str, str]) -> dict[str, str]:
    return {name: text for name, text in sorted(output.items()) if not name.endswith(_NOT_MANIFESTS)}


def _marked(chart_path: str, values: dict[str, Any], options: dict[str, Any], tag: str) -> dict[str, str] | None:
    """The chart rendered from a copy whose templates carry line markers; None if that fails."""
    import helm_python as helm

    with tempfile.TemporaryDirectory(prefix="kubeaudit-helm-") as scratch:
        copy = os.path.join(scratch, os.path.basename(os.path.abspath(chart_path)) or "chart")
        try:
            shutil.copytree(chart_path, copy, symlinks=False)
            _mark_templates(os.path.join(copy, "templates"), tag)
            with helm.Chart.load(copy) as chart:
                return _manifests(chart.render(values, **options))
        except (OSError, shutil.Error, UnicodeDecodeError, helm.HelmError):
            return None


def _mark_templates(folder: str, tag: str) -> None:
    for top, _, names in os.walk(folder):
        for name in names:
            if name.startswith("_") or name.endswith(_NOT_MANIFESTS):
                continue  # helpers are text other templates include; they stay as written
            path = os.path.join(top, name)
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(mark_template(text, tag))


def _subcharts_name_a_file(chart_path: str) -> bool:
    """Whether a subchart's template (unpacked or packed in charts/) may name a template file."""
    return any(_NAMES_A_FILE.search(text) for text in _subchart_templates(os.path.join(chart_path, "charts")))


def _subchart_templates(folder: str) -> Iterator[str]:
    if not os.path.isdir(folder):
        return
    for top, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(top, name)
            if name.endswith((".tgz", ".tar.gz")):
                yield from _archive_templates(path)
            elif f"{os.sep}templates" in path[len(folder) :]:
                try:
                    with open(path, encoding="utf-8", errors="replace") as handle:
                        yield handle.read()
                except OSError:
                    continue


def _archive_templates(path: str) -> Iterator[str]:
    left = _ARCHIVE_TEMPLATE_BYTES
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if not member.isfile() or "/templates/" not in member.name or member.size > left:
                    continue
                handle = archive.extractfile(member)
                if handle is not None:
                    left -= member.size
                    yield handle.read().decode("utf-8", "replace")
    except (OSError, tarfile.TarError):
        yield "include (unreadable)"  # unknown: render unmarked too, as for a chart that names a file


def answer(line: str, tag: str) -> dict[str, Any]:
    """The answer to one request line, whatever the chart does."""
    import helm_python as helm

    try:
        request = json.loads(line)
        return render(request, tag)
    except helm.HelmError as exc:
        return {"error": one_line(str(exc))}
    except (ValueError, KeyError, TypeError) as exc:
        return {"error": f"bad request to the Helm worker: {exc}"}


def serve(requests: TextIO, answers: TextIO) -> None:
    """Answer each request line with one JSON line, until the end of the input."""
    import helm_python as helm

    helm.disable_logging()
    tag = new_tag()
    for line in requests:
        if line.strip():
            answers.write(json.dumps(answer(line, tag)) + "\n")
            answers.flush()


def main() -> int:
    # The answers get a file descriptor of their own; anything else printed to standard output
    # (by Go code, which Python cannot silence) goes to standard error instead of into an answer.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
