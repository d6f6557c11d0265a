"""JSON from outside (host apps, providers, query strings) is bounded before anything uses it.

Python's own JSON parser and printer recurse, so a value nested a few hundred levels deep
breaks every page and endpoint that touches it. Values are parsed with orjson (which refuses
more than 1,024 levels without recursing in Python), checked here without recursion, and
shown through `json_bounded`, which cuts depth, length and text.
"""

from typing import Any

import orjson

from opsroom.core.errors import InvalidInput

# Levels of objects and arrays a value may nest (an ingested item counts as the first level).
MAX_DEPTH = 20
# Values (object members and array items, at any depth) a value may hold.
MAX_VALUES = 10_000


def json_shape_problem(
    value: Any, *, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES
) -> tuple[str, str] | None:
    """(top-level key where it happened, what is wrong) when a value is too deep or too big."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    seen = 0
    while stack:
        item, depth, top = stack.pop()
        if isinstance(item, dict):
            children = [(child, str(key)) for key, child in item.items()]
        elif isinstance(item, list | tuple):
            children = [(child, str(position)) for position, child in enumerate(item)]
        else:
            continue
        if depth > max_depth:
            return top, f"nests deeper than {max_depth} levels"
        seen += len(children)
        if seen > max_values:
            return top, f"holds more than {max_values:,} values"
        for child, key in children:
            if isinstance(child, dict | list | tuple):
                stack.append((child, depth + 1, top or key))
    return None


def json_parse(
    text: str | bytes, *, what: str, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES
) -> Any:
    """Parse JSON from outside; InvalidInput (naming `what`) when it is not JSON or too big."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"{what} is not valid JSON: {exc}.") from None
    problem = json_shape_problem(value, max_depth=max_depth, max_values=max_values)
    if problem is not None:
        raise InvalidInput(f"{what} {problem[1]}.")
    return value


def json_bounded(value: Any, *, depth: int = 12, items: int = 200, text: int = 5000) -> Any:
    """A copy of a JSON-like value cut to `depth` levels, `items` per level, `text` characters.

    For showing stored values that may predate the limits at the edge (or came from a
    trusted path): whatever a row holds, its page and its API answer can be rendered.
    """
    if isinstance(value, str):
        return value if len(value) <= text else value[:text] + "…"
    if isinstance(value, dict | list | tuple) and depth <= 0:
        return "…"
    if isinstance(value, dict):
        shown = {
            str(key)[:200]: json_bounded(item, depth=depth - 1, items=items, text=text)
            for key, item in list(value.items())[:items]
        }
        if len(value) > items:
            shown["…"] = f"{len(value) - items} more"
        return shown
    if isinstance(value, list | tuple):
        listed = [
            json_bounded(item, depth=depth - 1, items=items, text=text) for item in value[:items]
        ]
        return listed + ([f"… {len(value) - items} more"] if len(value) > items else [])
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[:text]
