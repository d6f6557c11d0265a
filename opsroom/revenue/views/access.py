"""The permission check every revenue page makes, and the section's tabs."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

TABS = (
    ("overview", "Overview", "revenue:index"),
    ("movements", "Movements", "revenue:movements"),
    ("customers", "Customers", "revenue:customers"),
    ("cohorts", "Cohorts", "revenue:cohorts"),
    ("forecast", "Forecast", "revenue:forecast"),
    ("churn", "Churn risk", "revenue:churn"),
    ("campaigns", "Campaigns", "revenue:campaigns"),
    ("payments", "Payments", "revenue:payments"),
    ("settings", "Spend, rates & targets", "revenue:settings"),
    ("definitions", "Definitions", "revenue:definitions"),
)


def perm_require(request: HttpRequest, permission: str) -> None:
    """Refuse (403) a staff user without the permission."""
    if not request.user.has_perm(permission):
        raise PermissionDenied(f"You may not do this (needs {permission}).")


def section(tab: str, **context: object) -> dict[str, object]:
    """The context every revenue page shares: the tabs and the current one."""
    return {"revenue_tabs": TABS, "revenue_tab": tab, **context}
