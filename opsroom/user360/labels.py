"""Words for the enums the snapshot carries, used by templates, schemas and text alike."""

from opsroom.people.snapshot import BillingFacts
from opsroom.revenue.selectors import SUBSCRIPTION_STATUS_LABELS
from opsroom.user360.health import COMPONENT_LABELS
from opsroom.user360.models import HealthBand


def band_label(band: str) -> str:
    """'at_risk' -> 'At risk'."""
    try:
        return str(HealthBand(band).label)
    except ValueError:
        return band


def component_label(key: str) -> str:
    """'engagement' -> 'Engagement trend'."""
    return COMPONENT_LABELS.get(key, key)


def subscription_status_label(status: str) -> str:
    """'past_due' -> 'Past due'; 'none' -> 'No subscription'."""
    if status == "none":
        return "No subscription"
    return SUBSCRIPTION_STATUS_LABELS.get(status, status)


def plan_label(billing: BillingFacts) -> str:
    """The plan's name, 'Custom price' without a plan, 'No subscription' without one."""
    if billing.status == "none":
        return "No subscription"
    return billing.plan_name or "Custom price"
