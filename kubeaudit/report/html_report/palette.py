"""The report's colours, as (text, background) pairs, so a test can hold each pair to WCAG AA
contrast (4.5:1 for normal text). Colour is never the only sign: every severity is also written
out, every heatmap cell holds its number, every verdict its word."""

from __future__ import annotations

PAGE = ("#1b1b1b", "#ffffff")
MUTED = ("#595959", "#ffffff")
LINK = ("#0645ad", "#ffffff")
SEVERITY = {
    "critical": ("#ffffff", "#7f0000"),
    "high": ("#ffffff", "#b3261e"),
    "medium": ("#1b1b1b", "#ffd54f"),
    "low": ("#0d2a4a", "#cfe3ff"),
    "info": ("#1b1b1b", "#e4e4e4"),
}
VERDICT = {
    "pass": ("#0b5323", "#e6f4ea"),
    "fail": ("#8a1020", "#fde7e9"),
    "incomplete": ("#5c4200", "#fff4ce"),
}
# Heatmap cells by how many findings they hold, relative to the fullest cell (0: none).
HEAT = (
    ("#595959", "#ffffff"),
    ("#1b1b1b", "#fff3e0"),
    ("#1b1b1b", "#ffcc80"),
    ("#1b1b1b", "#ff9e80"),
    ("#ffffff", "#b71c1c"),
)


def css_variables() -> str:
    """The palette as CSS custom properties, which the stylesheet (report.css) uses."""
    pairs = {"page": PAGE, "muted": MUTED, "link": LINK}
    pairs.update({f"sev-{name}": pair for name, pair in SEVERITY.items()})
    pairs.update({f"verdict-{name}": pair for name, pair in VERDICT.items()})
    pairs.update({f"heat-{level}": pair for level, pair in enumerate(HEAT)})
    lines = [f"--{name}-fg:{fg};--{name}-bg:{bg};" for name, (fg, bg) in pairs.items()]
    return ":root{" + "".join(lines) + "}\n"


def heat_level(count: int, fullest: int) -> int:
    """0 for an empty cell, else 1 to len(HEAT) - 1 by the share of the fullest cell it holds."""
    if count <= 0 or fullest <= 0:
        return 0
    steps = len(HEAT) - 1
    return max(1, min(steps, -(-count * steps // fullest)))
