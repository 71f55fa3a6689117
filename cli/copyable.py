"""Values a user copies (workflow and schedule IDs, report and export paths): printed whole, one a line, below the
table that mentions them, so no terminal width folds or ellipsizes them inside a cell."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console

BELOW = "the path is below the table"


def print_below(console: Console, lines: Iterable[str]) -> None:
    """Each line as it is: no wrapping, no markup, no highlighting (a copied value must be exactly the value)."""
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False, markup=False)


def fits_inline(width: int, widest: int, others: int) -> bool:
    """Whether a column of IDs `widest` long fits whole beside `others` columns of content (borders included)."""
    return width >= widest + others
