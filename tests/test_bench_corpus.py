"""The benchmark corpus generator makes every size the growth benchmark asks for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
