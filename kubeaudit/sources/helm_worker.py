"""Renders one Helm chart with the Helm SDK (the helm-python-sdk wheel), in a child process.

`python -m kubeaudit.sources.helm_worker CHART [--values FILE]... [--set K=V]... --release NAME
--namespace NS` prints one JSON object: the rendered manifests per template (`rendered`), the same
chart rendered from a copy with line markers (`marked`, see kubeaudit.sources.helm_lines; null when
that render failed), the values the templates saw (`values`) and the --set values alone (`set`);
or `{"error": "..."}` (a template or values error) or `{"gap": "..."}` (dependencies not in the
chart). kubeaudit.sources.helm runs it.

A child process because the SDK runs Helm's Go code in-process: a template that loops for ever or
crashes the Go runtime must cost a timeout or an error line, never the scan. The SDK renders
offline (`lookup` finds nothing), runs no post-renderer and no plugin, and fetches nothing: a
dependency that is not already in charts/ is a gap, not a download.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from typing import Any

from kubeaudit.sources.helm_lines import mark_template

# What `helm template` prints: manifests, not the chart's notes.
_NOT_MANIFESTS = ("NOTES.txt",)


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kubeaudit.sources.helm_worker")
    parser.add_argument("chart")
    parser.add_argument("--values", action="append", default=[])
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--release", required=True)
    parser.add_argument("--namespace", required=True)
    return parser.parse_args(argv)


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


def render(args: argparse.Namespace) -> dict[str, Any]:
    import helm_python as helm

    missing = [d for d in helm.dependency_list(args.chart) if d.get("status") not in ("ok", "unpacked")]
    if missing:
        names = ", ".join(f"{d.get('name')} {d.get('version')} ({d.get('status')})" for d in missing)
        return {"gap": f"dependencies not in charts/: {names}; run `helm dependency build` (kubeaudit fetches nothing)"}
    values: dict[str, Any] = {}
    for path in args.values:
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
    for expression in args.set:
        try:
            parsed = helm.parse_set_string(expression)
        except helm.HelmError as exc:
            return {"error": f"--helm-set {expression}: {one_line(str(exc))}"}
        set_values.append(parsed)
        values = merge(values, parsed)
    options = {"name": args.release, "namespace": args.namespace, "is_install": True}
    with helm.Chart.load(args.chart) as chart:
        merged = chart.merge_values(values)
        chart.validate_schema(merged)
        rendered = _manifests(chart.render(values, **options))
    return {"rendered": rendered, "marked": _marked(args.chart, values, options), "values": merged, "set": set_values}


def _manifests(output: dict[str, str]) -> dict[str, str]:
    return {name: text for name, text in sorted(output.items()) if not name.endswith(_NOT_MANIFESTS)}


def _marked(chart_path: str, values: dict[str, Any], options: dict[str, Any]) -> dict[str, str] | None:
    """The chart rendered from a copy whose templates carry line markers; None if that fails."""
    import helm_python as helm

    with tempfile.TemporaryDirectory(prefix="kubeaudit-helm-") as scratch:
        copy = os.path.join(scratch, os.path.basename(os.path.abspath(chart_path)) or "chart")
        try:
            shutil.copytree(chart_path, copy, symlinks=False)
            _mark_templates(os.path.join(copy, "templates"))
            with helm.Chart.load(copy) as chart:
                return _manifests(chart.render(values, **options))
        except (OSError, shutil.Error, UnicodeDecodeError, helm.HelmError):
            return None


def _mark_templates(folder: str) -> None:
    for top, _, names in os.walk(folder):
        for name in names:
            if name.startswith("_") or name.endswith(_NOT_MANIFESTS):
                continue  # helpers are text other templates include; they stay as written
            path = os.path.join(top, name)
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(mark_template(text))


def main(argv: list[str] | None = None) -> int:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    import helm_python as helm

    try:
        answer = render(args)
    except helm.HelmError as exc:
        answer = {"error": one_line(str(exc))}
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
