"""The final table: value, target and whether it is met; printed and written as Markdown."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

LAST_RUN = Path(__file__).resolve().parent / "last-run.md"


@dataclass(frozen=True)
class Row:
    name: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None  # None: informational row

    def cells(self) -> list[str]:
        met = "" if self.met is None else ("yes" if self.met else "NO")
        return [self.name, f"{fmt(self.value)} {self.unit}".strip(), self.target, met]


def fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def at_least(name: str, value: float, unit: str, target: float) -> Row:
    return Row(name, value, unit, f">= {fmt(target)}", bool(value >= target))


def below(name: str, value: float, unit: str, target: float, *, inclusive: bool = False) -> Row:
    met = value <= target if inclusive else value < target
    return Row(name, value, unit, f"{'<=' if inclusive else '<'} {fmt(target)}", bool(met))


def markdown(rows: list[Row]) -> str:
    lines = ["| row | value | target | met? |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def plain(rows: list[Row]) -> str:
    table = [["row", "value", "target", "met?"], *(row.cells() for row in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in table)


def write(rows: list[Row], header: str, notes: list[str]) -> Path:
    body = f"{header}\n\n{markdown(rows)}\n" + "".join(f"- {note}\n" for note in notes)
    LAST_RUN.write_text(body)
    return LAST_RUN
