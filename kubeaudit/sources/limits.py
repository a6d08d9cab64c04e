"""Size limits of what the sources read, apart from the readers so the CLI can state them cheaply."""

from __future__ import annotations

MIB = 1024 * 1024
# Bigger than any manifest or `kubectl get -o yaml` dump we have seen (a 50,000-resource List is
# about 60 MiB); a bigger file is a named gap rather than gigabytes of memory.
DEFAULT_MAX_FILE_BYTES = 128 * MIB
