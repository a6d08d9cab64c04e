"""GitHub code scanning's limits on a SARIF upload, and the warnings a run over them gets.

From GitHub's documentation ("SARIF support for code scanning", upload limits): at most
25,000 results per run (only the first 25,000 are kept), at most 10 MB of gzip-compressed
SARIF per upload, and at most 20 runs per upload.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import TextIO

MAX_RESULTS_PER_RUN = 25_000
MAX_GZIPPED_BYTES = 10 * 1000 * 1000
MAX_RUNS = 20
HINT = "report fewer with --severity, a baseline or --disable"


def limit_warnings(runs: int, results_per_run: Sequence[int], gzipped_bytes: int) -> list[str]:
    warnings = []
    most = max(results_per_run, default=0)
    if most > MAX_RESULTS_PER_RUN:
        warnings.append(
            f"the SARIF report has {most:,} results in one run; GitHub code scanning keeps only the first "
            f"{MAX_RESULTS_PER_RUN:,} ({HINT})"
        )
    if gzipped_bytes > MAX_GZIPPED_BYTES:
        warnings.append(
            f"the SARIF report is {gzipped_bytes / 1e6:.1f} MB gzipped; GitHub code scanning rejects uploads over "
            f"10 MB ({HINT})"
        )
    if runs > MAX_RUNS:
        warnings.append(f"the SARIF report has {runs} runs; GitHub code scanning accepts at most {MAX_RUNS} runs")
    return warnings


class GzipMeter:
    """A text stream that passes writes through and counts their gzip-compressed size."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip framing
        self.compressed = 0

    def write(self, text: str) -> int:
        self.compressed += len(self._compressor.compress(text.encode("utf-8")))
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()

    def finish(self) -> int:
        self.compressed += len(self._compressor.flush())
        return self.compressed
