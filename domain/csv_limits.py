"""How big a contacts file may be: the limits (CAMPAIGN_CSV_MAX_*, parsed by domain.csv_sources with the other
contacts settings), their defaults and the errors that name them."""

from __future__ import annotations

from dataclasses import dataclass

MAX_MB = "CAMPAIGN_CSV_MAX_MB"
DOWNLOAD_TIMEOUT_S = "CAMPAIGN_CSV_DOWNLOAD_TIMEOUT_S"
MAX_LINE_CHARS = "CAMPAIGN_CSV_MAX_LINE_CHARS"
MAX_CELL_CHARS = "CAMPAIGN_CSV_MAX_CELL_CHARS"
MAX_COLUMNS = "CAMPAIGN_CSV_MAX_COLUMNS"

# Defaults sized for million-row campaigns. A contacts row is a number, a name and a few variables: a few hundred
# bytes, so a million rows are a few hundred MB; 1 GiB is also the API's upload cap (API_MAX_UPLOAD_MB), so a file
# the API stores is a file the worker reads.
DEFAULT_MAX_MB = 1024
# The whole download (every redirect, every byte): 1 GiB at 2 MB/s, and well inside pre-flight's 15-minute timeout.
DEFAULT_DOWNLOAD_TIMEOUT_S = 600
# One line (one row, or one physical line of a quoted multi-line row): a thousand times a real row, and no more
# than a read block (1 Mi characters), so a long line costs one block's reading and never a quadratic re-scan.
DEFAULT_MAX_LINE_CHARS = 1 << 20
# One cell: the csv module's own default limit (128 Ki), far above any name, address or note.
DEFAULT_MAX_CELL_CHARS = 128 * 1024
# Columns in the header: a campaign maps a handful of variables; wide CRM exports stay well under a thousand.
DEFAULT_MAX_COLUMNS = 1000


class CsvLimitExceeded(ValueError):
    """A contacts file is bigger than a CAMPAIGN_CSV_* limit: the message names the limit and its setting."""


@dataclass(frozen=True)
class CsvLimits:
    max_bytes: int = DEFAULT_MAX_MB * 1024 * 1024
    download_timeout_s: float = DEFAULT_DOWNLOAD_TIMEOUT_S
    max_line_chars: int = DEFAULT_MAX_LINE_CHARS
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS
    max_columns: int = DEFAULT_MAX_COLUMNS

    def too_big(self) -> CsvLimitExceeded:
        mb = self.max_bytes / (1024 * 1024)
        return CsvLimitExceeded(f"the file is larger than {mb:,.0f} MB ({MAX_MB}); raise {MAX_MB} or split the file")

    def too_slow(self) -> CsvLimitExceeded:
        return CsvLimitExceeded(
            f"the download did not finish within {self.download_timeout_s:,.0f} s ({DOWNLOAD_TIMEOUT_S}); serve it "
            f"faster, or raise {DOWNLOAD_TIMEOUT_S}"
        )

    def line_too_long(self, row: int | None) -> CsvLimitExceeded:
        where = f"row {row:,} is" if row else "a line is"
        return CsvLimitExceeded(
            f"{where} longer than {self.max_line_chars:,} characters ({MAX_LINE_CHARS}); is this a CSV with one "
            f"row per line? Raise {MAX_LINE_CHARS} if the rows are really that long"
        )

    def cell_too_large(self, row: int | None) -> CsvLimitExceeded:
        where = f"row {row:,} has" if row else "a row has"
        return CsvLimitExceeded(
            f"{where} a cell longer than {self.max_cell_chars:,} characters ({MAX_CELL_CHARS}); an unclosed quote? "
            f"Raise {MAX_CELL_CHARS} if the cells are really that long"
        )

    def too_many_columns(self, columns: int) -> CsvLimitExceeded:
        return CsvLimitExceeded(
            f"the header has {columns:,} columns, more than {self.max_columns:,} ({MAX_COLUMNS}); remove the "
            f"columns the campaign does not use, or raise {MAX_COLUMNS}"
        )
