"""Text that came from scanned input, made safe to show to a person.

A manifest controls its resource, namespace and container names, and a repository its file names.
Printed as they are, a newline or a terminal escape sequence in one of them could forge a line of
the report ("0 findings") in a CI log or rewrite the terminal, and a file name that is not valid
UTF-8 (Python keeps its bytes as lone surrogates) cannot be written to a UTF-8 stream at all. So
human-readable output shows such characters as visible escapes: `\\n`, `\\x1b`, `\\u202e`, and
each undecodable byte of a file name as `\\xff`.
"""

from __future__ import annotations

import re

# C0 controls but tab, DEL and C1 controls (\x9b starts an escape sequence on some terminals),
# the Unicode line and paragraph separators, bidirectional overrides and isolates (which can make
# text read differently from what it is), and lone surrogates (bytes a file name could not decode).
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's surrogateescape of one undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """text with control, bidirectional-override and undecodable characters shown as escapes."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)
