"""Which round-trip YAML library keeps manifests as they are? Load and dump every rule fixture
unedited and count what changes (README, dependency table: why ruamel.yaml).

    pip install ruamel.yaml ruyaml yamlsmith && python bench/compare_yaml_roundtrip.py

A library that is not installed is skipped.
"""

from __future__ import annotations

import difflib
import importlib
import io
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"


def _ruamel_like(module: Any) -> Callable[[str], str]:
    def round_trip(text: str) -> str:
        yaml = module.YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 1 << 16
        yaml.indent(mapping=2, sequence=4, offset=2)
        out = io.StringIO()
        yaml.dump_all(list(yaml.load_all(text)), out)
        return out.getvalue()

    return round_trip


def _libraries() -> dict[str, Callable[[str], str]]:
    found: dict[str, Callable[[str], str]] = {}
    for name in ("ruamel.yaml", "ruyaml", "yamlsmith", "yaml"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        distribution = "PyYAML" if name == "yaml" else name
        label = f"{distribution} {metadata.version(distribution)}"
        if name in ("ruamel.yaml", "ruyaml"):
            found[label] = _ruamel_like(module)
        elif name == "yamlsmith":
            found[label] = lambda text, m=module: m.dump_all(m.load_all(text))
        else:
            found[label] = lambda text, m=module: m.safe_dump_all(list(m.safe_load_all(text)), sort_keys=False)
    return found


def _comments(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip().startswith("#"))


def main() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*/*.yaml"))]
    for label, round_trip in _libraries().items():
        same = changed = lost = failed = 0
        start = time.perf_counter()
        for text in texts:
            try:
                out = round_trip(text)
            except Exception:  # a library that cannot read a fixture: counted, not fatal
                failed += 1
                continue
            same += out == text
            diff = difflib.unified_diff(text.splitlines(), out.splitlines(), lineterm="", n=0)
            changed += sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))
            lost += max(0, _comments(text) - _comments(out))
        print(
            f"{label}: {len(texts)} files, {same} byte for byte, {changed} original lines changed, "
            f"{lost} comment lines lost, {failed} failed, {time.perf_counter() - start:.1f} s"
        )


if __name__ == "__main__":
    main()
