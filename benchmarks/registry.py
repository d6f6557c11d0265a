"""The benchmark suites, and small helpers to print their tables."""

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from typing import Any

SUITES: dict[str, Callable[..., None]] = {}


def suite(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a benchmark suite under a name."""

    def register(function: Callable[..., None]) -> Callable[..., None]:
        SUITES[name] = function
        return function

    return register


def load_suites() -> None:
    import benchmarks

    for module in pkgutil.iter_modules(benchmarks.__path__):
        if module.name.startswith("bench_"):
            importlib.import_module(f"benchmarks.{module.name}")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table, numbers right-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(str(h)), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    numeric = [all(_is_number(row[i]) for row in rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(parts) + " |"

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if n else ("-" * (w + 2))
            for w, n in zip(widths, numeric, strict=True)
        )
        + "|"
    )
    return "\n".join([line([str(h) for h in headers]), rule, *(line(row) for row in cells)])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
