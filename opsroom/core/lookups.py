"""The comparisons filters may name, as Django field lookups."""

COMPARISONS = ("eq", "gt", "gte", "lt", "lte")


def comparison_lookup(op: str) -> str:
    """The Django lookup of a comparison: "eq" is "exact"; gt, gte, lt and lte are themselves."""
    if op not in COMPARISONS:
        raise ValueError(f"unknown comparison {op!r}")
    return "exact" if op == "eq" else op
