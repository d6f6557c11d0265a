"""A person's profile attributes (arbitrary JSON from the host app) as lines of text.

Kids become "Emma (5yo, picky, allergies: sesame)". Nesting deeper than a few levels and very
long lists are summarised, so no attribute sent by a host app can make a page fail or grow
without bound.
"""

from typing import Any

from opsroom.core.labels import name_label as label

MAX_DEPTH = 4
MAX_ITEMS = 50
MAX_TEXT = 500


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def value_text(value: Any, depth: int = 0) -> str:
    """One attribute value as text."""
    if depth >= MAX_DEPTH and isinstance(value, list | dict):
        return "…"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        parts = [value_text(item, depth + 1) for item in value[:MAX_ITEMS]]
        more = f" and {len(value) - MAX_ITEMS} more" if len(value) > MAX_ITEMS else ""
        return _clip(", ".join(parts) + more) or "none"
    if isinstance(value, dict):
        items = list(value.items())
        parts = [
            f"{label(str(k)).lower()}: {value_text(v, depth + 1)}" for k, v in items[:MAX_ITEMS]
        ]
        return _clip(", ".join(parts))
    return _clip(str(value))


def item_text(item: dict[str, Any]) -> str:
    """A profile entry such as a kid: 'Emma (5yo, picky, allergies: sesame)'."""
    name = str(item.get("name") or item.get("title") or "")
    details = []
    for key, value in list(item.items())[:MAX_ITEMS]:
        if key in ("name", "title") or value in (None, False, "", []):
            continue
        if key == "age":
            details.append(f"{value_text(value, 1)}yo")
        elif value is True:
            details.append(label(str(key)).lower())
        else:
            details.append(f"{label(str(key)).lower()}: {value_text(value, 1)}")
    if name and details:
        return _clip(f"{_clip(name)} ({', '.join(details)})")
    return _clip(name or ", ".join(details))


def attribute_lines(value: Any) -> list[str]:
    """The lines one attribute shows as: one per list item, else one."""
    if isinstance(value, list):
        lines = [
            item_text(v) if isinstance(v, dict) else value_text(v, 1) for v in value[:MAX_ITEMS]
        ]
        if len(value) > MAX_ITEMS:
            lines.append(f"… and {len(value) - MAX_ITEMS} more")
        return lines
    return [value_text(value)]


def attribute_rows(attributes: dict[str, Any]) -> list[tuple[str, list[str], bool]]:
    """(label, lines, is a list like kids) for each attribute, by name."""
    return [
        (label(str(key)), attribute_lines(value), isinstance(value, list))
        for key, value in sorted(attributes.items())
    ]
