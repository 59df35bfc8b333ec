"""The one table the bench prints: each figure next to the target or baseline it is compared with."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MET, MISSED, INFO = "met", "MISSED", ""


@dataclass
class Row:
    """One line of the table.

    `compared_with` names the target ("≥ 1,000/s") or the baseline figure measured in the same run;
    `verdict` is MET, MISSED or empty for figures that are context (the emulator's ceiling).
    """

    section: str
    measure: str
    value: float | None
    unit: str
    compared_with: str = ""
    verdict: str = INFO
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def shown_value(self) -> str:
        return "n/a" if self.value is None else f"{format_number(self.value)} {self.unit}".strip()


def format_number(value: float) -> str:
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def check(
    value: float | None, *, at_least: float | None = None, at_most: float | None = None
) -> str:
    """MET when the value is within the bound, MISSED when not or when nothing was measured."""
    if value is None:
        return MISSED
    if at_least is not None and value < at_least:
        return MISSED
    if at_most is not None and value > at_most:
        return MISSED
    return MET


def render(rows: list[Row]) -> str:
    headers = ("measure", "figure", "compared with", "verdict", "note")
    lines = [(r.measure, r.shown_value, r.compared_with, r.verdict, r.note) for r in rows]
    widths = [
        max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
        for i, h in enumerate(headers)
    ]
    widths[-1] = len(headers[-1])  # the note runs on; no padding after it

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.ljust(width) for cell, width in zip(cells, widths, strict=True)
        ).rstrip()

    out = [fmt(headers), fmt(tuple("-" * w for w in widths))]
    section = None
    for row, line in zip(rows, lines, strict=True):
        if row.section != section:
            section = row.section
            out.append(f"[{section}]")
        out.append(fmt(line))
    return "\n".join(out)


def render_markdown(rows: list[Row]) -> str:
    """The table for docs/performance.md (`python -m bench --markdown`)."""
    out = ["| | measure | figure | compared with | verdict | note |", "|---|---|---|---|---|---|"]
    section = None
    for row in rows:
        shown_section = row.section if row.section != section else ""
        section = row.section
        cells = (
            shown_section,
            row.measure,
            row.shown_value,
            row.compared_with,
            row.verdict,
            row.note,
        )
        out.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(out)


def load(path: Path) -> tuple[list[Row], dict[str, Any]]:
    document = json.loads(path.read_text())
    rows = [Row(**row) for row in document.pop("rows")]
    return rows, document


def machine() -> dict[str, Any]:
    import os

    import psutil

    cpu_model = platform.processor() or ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cpu_model": cpu_model,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def save(rows: list[Row], path: Path, *, quick: bool, context: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "machine": machine(),
        **context,
        "rows": [asdict(row) for row in rows],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
