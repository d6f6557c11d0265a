"""The comparisons filters may name, as Django field lookups."""


def comparison_lookup(op: str) -> str:
    """The Django lookup of a comparison: "eq" is "exact"; gt, gte, lt and lte are themselves."""
    if op == "eq":
        return "exact"
    if op in ("gt", "gte", "lt", "lte"):
        return op
    raise ValueError(f"unknown comparison {op!r}")
