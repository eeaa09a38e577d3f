"""What the spreadsheet imports of the organisation (cli/organisation.py) and of the inventory
(cli/stock_rows.py) share: a refused row, and the bad-rows file that imports again once corrected."""

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer


def csv_file(help: str):
    """A command's spreadsheet argument: a readable file, not a directory."""
    return Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help=help)]


def read_rows(file: Path, read: Callable[[str, tuple[str, ...], tuple[str, ...]], list],
              columns: tuple[str, ...], required: tuple[str, ...]) -> list:
    """The rows `read` makes of a CSV file; a file that is not UTF-8 text, or that `read` refuses as a whole
    (unknown or missing columns), is bad usage (exit 2), before anything is sent."""
    try:
        return read(file.read_bytes().decode("utf-8-sig"), columns, required)
    except UnicodeDecodeError:
        raise typer.BadParameter("the file is not UTF-8 text", param_hint="FILE") from None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="FILE") from None


@dataclass
class RowError:
    row: int  # the spreadsheet's row (the header is 1)
    values: dict
    code: str
    message: str


def bad_rows_csv(columns: tuple[str, ...], errors: list[RowError]) -> list[list[str]]:
    """The bad rows as they were, after their row number, with the reason: correct them and import this file."""
    return [["row", *columns, "error_code", "error"], *(
        [str(e.row), *(e.values.get(c, "") for c in columns), e.code, e.message]
        for e in sorted(errors, key=lambda e: e.row))]


def write_csv(path: Path, rows: Iterable[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)
