"""The pipeline's layering: no module imports a module of a later stage.

    foundation -> sources -> semantics/inventory -> views -> engine -> scan -> suppressions
    -> compliance -> reporters -> api -> planning -> fleet -> testing/rule docs -> cli

A module may import its own stage and every earlier one. Imports inside functions count too:
a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kubeaudit

PACKAGE = Path(kubeaudit.__file__).parent

# In pipeline order; a module belongs to the first entry that is it or one of its packages.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundation",
        (
            "kubeaudit",
            "kubeaudit.__init__",
            "kubeaudit.model",
            "kubeaudit.finding_store",
            "kubeaudit.yamlnodes",
            "kubeaudit.yamlfile",
            "kubeaudit.condition",
            "kubeaudit.violation",
            "kubeaudit.refdata",
            "kubeaudit.repopath",
            "kubeaudit.config",
            "kubeaudit.safetext",
            "kubeaudit.validation_cache",
            "kubeaudit.records",
            "kubeaudit.userpaths",
        ),
    ),
    ("sources", ("kubeaudit.sources",)),
    ("semantics", ("kubeaudit.inventory", "kubeaudit.semantics")),
    ("views", ("kubeaudit.views",)),
    ("engine", ("kubeaudit.engine",)),
    ("scan", ("kubeaudit.scan", "kubeaudit.parallel")),
    ("suppressions", ("kubeaudit.suppress", "kubeaudit.baseline")),
    ("compliance", ("kubeaudit.compliance",)),
    ("reporters", ("kubeaudit.report",)),
    ("api", ("kubeaudit.api",)),
    ("planning", ("kubeaudit.psa", "kubeaudit.attackpaths")),
    ("fleet", ("kubeaudit.fleet",)),
    ("fixing", ("kubeaudit.fix",)),
    ("tools", ("kubeaudit.testing", "kubeaudit.ruledocs")),
    ("cli", ("kubeaudit.cli", "kubeaudit.__main__")),
]


def stage_of(module: str) -> int:
    best: tuple[int, int] | None = None  # (length of the matching name, stage)
    for index, (_, names) in enumerate(STAGES):
        for name in names:
            matches = module == name or (module.startswith(name + ".") and name != "kubeaudit")
            if matches and (best is None or len(name) > best[0]):
                best = (len(name), index)
    if best is None:
        raise AssertionError(f"{module} is in no pipeline stage: add it to STAGES in {__file__}")
    return best[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, module: str | None = None) -> list[tuple[int, str]]:
    """(line, module) for every kubeaudit module the file imports, wherever the import is.
    `module`: the file's module name (default: from its place in the package)."""
    module = module or module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # `from kubeaudit.views import pod` imports kubeaudit.views.pod
                candidate = PACKAGE.parent / Path(*f"{base}.{alias.name}".split("."))
                is_module = candidate.with_suffix(".py").exists() or candidate.is_dir()
                found.append((node.lineno, f"{base}.{alias.name}" if is_module else base))
    return [(line, name) for line, name in found if name == "kubeaudit" or name.startswith("kubeaudit.")]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_no_module_imports_a_later_stage(path: Path) -> None:
    own = stage_of(module_name(path))
    upward = [
        f"line {line}: {name} ({STAGES[stage_of(name)][0]})" for line, name in imports_of(path) if stage_of(name) > own
    ]
    assert not upward, f"{module_name(path)} ({STAGES[own][0]}) imports a later stage: {upward}"


def test_semantics_know_nothing_of_views_or_rules() -> None:
    """The Kubernetes semantics are reusable objects: they never import a view."""
    for path in sorted((PACKAGE / "semantics").rglob("*.py")):
        for line, name in imports_of(path):
            assert not name.startswith("kubeaudit.views"), f"{module_name(path)} line {line} imports {name}"


def test_the_layering_check_sees_an_upward_import_even_inside_a_function(tmp_path: Path) -> None:
    source = PACKAGE / "sources" / "cluster" / "kinds.py"
    probe = tmp_path / "kinds.py"
    probe.write_text(
        source.read_text(encoding="utf-8") + "\n\ndef _f() -> None:\n    from ...scan import RuleIndex\n",
        encoding="utf-8",
    )
    found = {name for _, name in imports_of(probe, "kubeaudit.sources.cluster.kinds")}
    assert "kubeaudit.scan" in found
    assert "kubeaudit.scan" not in {name for _, name in imports_of(source)}
    assert stage_of("kubeaudit.scan") > stage_of("kubeaudit.sources.cluster.kinds")
