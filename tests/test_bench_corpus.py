"""The benchmark corpus generator makes every size the growth benchmark asks for, with the same mix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"

CHILD = """
import random, sys
sys.path.insert(0, sys.argv[1])
from generate_corpus import NamespacePool
pool = NamespacePool(random.Random(1), 200_000)
names = [ns.name for ns in pool.namespaces]
print(len(names), len(set(names)))
"""


def test_a_200000_resource_corpus_gets_its_namespaces_once_the_word_lists_run_out() -> None:
    # 200,000 resources want 3,333 namespaces, more than the word lists can name: the loop that
    # drew names used to run for ever. In a child process with a timeout, so a hang fails the test.
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(BENCH)], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.split() == ["3333", "3333"]


sys.path.insert(0, str(BENCH))
from generate_corpus import CORPUS_META, GENERATOR_VERSION, build_corpus, ensure_corpus  # noqa: E402


def mix(resources: int) -> dict[str, float]:
    """Per resource: what makes a scan dear or cheap, read from the files the generator would write."""
    corpus = build_corpus(resources, 1)
    paths = list(corpus.files)
    n = corpus.resources
    return {
        "overlays": sum(p.endswith("kustomization.yaml") and "/overlays/" in p for p in paths) / n,
        "charts": sum(p.endswith("/Chart.yaml") for p in paths) / n,
        "files": len(paths) / n,
        "bytes": sum(len(text) for text in corpus.files.values()) / n,
        "List dumps": corpus.layouts.get("dump", 0) / n,
        "helm template renders": corpus.layouts.get("rendered", 0) / n,
        "all-in-one files": corpus.layouts.get("allinone", 0) / n,
        "monolith": corpus.layouts.get("monolith", 0) / n,
        "namespaces": corpus.layouts.get("namespaces", 0) / n,
    }


def test_the_corpus_mix_is_the_same_at_every_size() -> None:
    # bench_growth compares time per resource across sizes: with a different mix at each size
    # (version 3's 1,000-resource corpus had twice the Kustomize overlays per resource of its
    # 10,000 one, each a kubectl process, and no List dump) it measured the mix, not growth.
    small, large = mix(1_000), mix(2_500)
    for what, share in small.items():
        assert share > 0, what
        assert abs(share / large[what] - 1) <= 0.1, (what, share, large[what])


def test_every_benchmark_gets_a_corpus_of_the_current_generator(tmp_path: Path) -> None:
    folder = Path(ensure_corpus(60, 3, str(tmp_path)))
    meta = json.loads((folder / CORPUS_META).read_text())
    assert (meta["requested"], meta["seed"], meta["generator"]) == (60, 3, GENERATOR_VERSION)
    manifest = next(folder.rglob("*.yaml"))
    manifest.write_text("kept: because the corpus is current\n")
    assert ensure_corpus(60, 3, str(tmp_path)) == str(folder) and manifest.read_text().startswith("kept")
    (folder / CORPUS_META).write_text(json.dumps({**meta, "generator": GENERATOR_VERSION - 1}))
    ensure_corpus(60, 3, str(tmp_path))  # made by another version: made again
    assert not manifest.exists() or not manifest.read_text().startswith("kept")
    assert json.loads((folder / CORPUS_META).read_text())["generator"] == GENERATOR_VERSION


def test_a_folder_that_is_not_a_generated_corpus_is_never_replaced(tmp_path: Path) -> None:
    mine = tmp_path / "corpus-60-s3"
    mine.mkdir()
    (mine / "deploy.yaml").write_text("kind: Deployment\n")
    with pytest.raises(SystemExit, match="not a generated corpus"):
        ensure_corpus(60, 3, str(tmp_path))
    assert (mine / "deploy.yaml").read_text() == "kind: Deployment\n"


def test_the_one_namespace_corpus_is_the_whole_corpus_s_monolith() -> None:
    # bench_growth --namespace-sizes scans a corpus's legacy-monolith namespace alone: the same files.
    whole, alone = build_corpus(1_000, 1), build_corpus(1_000, 1, monolith_only=True)
    assert alone.files and alone.files == {path: text for path, text in whole.files.items() if path in alone.files}
    assert {path.split("/")[0] for path in alone.files} == {"legacy", "namespaces"}
    assert alone.kinds.get("NetworkPolicy") == 1_000 // 400 and alone.resources == 1 + 1_000 // 40 + 1_000 // 400
