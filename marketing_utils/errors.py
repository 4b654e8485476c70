"""Errors raised by the workbook.

Every error names *where* the problem is (file, table, column or parameter),
*what was expected* and *what was found*, so that an analyst can fix the input
without reading a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["DataValidationError", "ParamsError", "RunError", "WorkbookError"]


class WorkbookError(Exception):
    """Base class of every error the workbook raises on purpose."""


def _format_examples(examples: Iterable[object] | None, limit: int = 5) -> str:
    if examples is None:
        return ""
    shown = [repr(value) for value in list(examples)[:limit]]
    return f" Examples: {', '.join(shown)}." if shown else ""


class DataValidationError(WorkbookError, ValueError):
    """Input data does not have the expected shape, type or content.

    Parameters
    ----------
    where : str
        The file or table the problem is in, e.g. ``"transactions.csv"``.
    problem : str
        What is wrong, phrased as *expected ... found ...*.
    column : str, optional
        The column the problem is in.
    examples : iterable, optional
        A few offending values or rows, shown in the message.
    """

    def __init__(
        self,
        where: str,
        problem: str,
        *,
        column: str | None = None,
        examples: Iterable[object] | None = None,
    ) -> None:
        self.where = where
        self.column = column
        self.problem = problem
        self.examples = list(examples)[:5] if examples is not None else []
        location = f"{where}, column '{column}'" if column else where
        super().__init__(f"{location}: {problem}{_format_examples(self.examples)}")


class ParamsError(WorkbookError, ValueError):
    """A params file is invalid; the message lists every problem found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        body = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{source}: invalid params\n{body}")


class RunError(WorkbookError, RuntimeError):
    """A report run failed; the message names the notebook, the cell and the error."""
