"""One row per figure of the bench: this product's figure, the anchor measured in the same run, their ratio and the
target, printed as one aligned table (`python -m bench`)."""

from __future__ import annotations

import json
import resource
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One measured figure. `anchor` is the same figure for the anchor measured in the same run (a bare
    `csv.reader` pass, a bare httpx upload, a naive poller), None when the figure has no anchor."""

    name: str
    product: float
    unit: str
    anchor: float | None = None
    anchor_name: str = ""
    target: str = ""
    ok: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.anchor is None or self.anchor == 0:
            return None
        return self.product / self.anchor


def peak_rss_mb(pid: int | str = "self") -> float:
    """A process's own peak RSS (VmHWM, reset by exec), NaN where /proc cannot tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def own_peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM, not ru_maxrss, which Linux carries across exec from the process that forked
    it (a child of a big bench process would report the bench's size)."""
    peak = peak_rss_mb()
    return peak if peak == peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if value == 0:
        text = "0"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    elif abs(value) >= 0.01:
        text = f"{value:.2f}"
    else:
        text = f"{value:.4f}"
    return f"{text} {unit}".rstrip()


def _verdict(ok: bool | None) -> str:
    return {True: "met", False: "MISSED", None: ""}[ok]


def render(figures: Iterable[Figure]) -> str:
    """The table as text: figure | product | anchor (name) | ratio | target | verdict."""
    header = ("figure", "product", "anchor", "ratio", "target", "")
    rows = [header]
    for f in figures:
        anchor = _number(f.anchor, f.unit) + (f" ({f.anchor_name})" if f.anchor is not None and f.anchor_name else "")
        ratio = "-" if f.ratio is None else f"{f.ratio:.2f}x"
        rows.append((f.name, _number(f.product, f.unit), anchor, ratio, f.target, _verdict(f.ok)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) if i in (0, 2, 4, 5) else cell.rjust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_table(figures: Iterable[Figure]) -> None:
    print(render(figures), flush=True)


def as_json(figures: Iterable[Figure]) -> str:
    return json.dumps([{**asdict(f), "ratio": f.ratio} for f in figures], indent=2)
