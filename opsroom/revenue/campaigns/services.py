"""Writes of the retention campaigns: saving one (checked) and creating the design brief's
campaigns, paused. The daily run is in `run.py`."""

from typing import Any

from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import Conflict, InvalidInput, NotFound
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.messaging.selectors import template_list
from opsroom.revenue.campaigns.rules import (
    steps_clean,
    trigger_clean,
)
from opsroom.revenue.models import (
    Campaign,
)

EDITABLE = (
    "name",
    "kind",
    "description",
    "trigger",
    "steps",
    "offer",
    "holdout_percent",
    "reentry_days",
    "measure_days",
    "daily_limit",
    "is_active",
)


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"The {name} must be a whole number from {low} to {high}.")
    return int(value)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if "name" in clean:
        clean["name"] = str(clean["name"]).strip()
        if not clean["name"] or len(clean["name"]) > 200:
            raise InvalidInput("A campaign needs a name of 1 to 200 characters.")
    if "kind" in clean and clean["kind"] not in Campaign.Kind.values:
        raise InvalidInput(f"Unknown kind {clean['kind']!r}: one of {', '.join(Campaign.Kind)}.")
    if "offer" in clean and clean["offer"] not in Campaign.Offer.values:
        raise InvalidInput("The offer is either empty or free_month.")
    if "trigger" in clean:
        clean["trigger"] = trigger_clean(clean["trigger"])
    if "steps" in clean:
        templates = {t.key for t in template_list()}
        clean["steps"] = steps_clean(clean["steps"], templates=templates)
    if "holdout_percent" in clean:
        # A holdout of 0 would leave nothing to measure against, and over half wastes the reach.
        clean["holdout_percent"] = _int(clean["holdout_percent"], "holdout percent", 1, 50)
    for name, high in (("reentry_days", 3650), ("measure_days", 365), ("daily_limit", 100_000)):
        if name in clean:
            clean[name] = _int(clean[name], name.replace("_", " "), 1, high)
    if "is_active" in clean and not isinstance(clean["is_active"], bool):
        raise InvalidInput("is_active must be true or false.")
    if "description" in clean:
        clean["description"] = str(clean["description"])[:4000]
    return clean


@transaction.atomic
def campaign_create(*, key: str, values: dict[str, Any], audit: AuditContext) -> Campaign:
    """A new campaign (inactive unless `is_active` is given)."""
    key = key.strip()
    if not key or len(key) > 60 or not key.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("The key must be 1 to 60 letters, digits, - or _.")
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.")
    if "name" not in values or "steps" not in values:
        raise InvalidInput("A campaign needs at least a name and steps.")
    if Campaign.objects.filter(key=key).exists():
        raise Conflict(f"A campaign {key!r} exists already.")
    campaign = Campaign.objects.create(key=key, created_by=audit.actor, **_clean(values))
    audit_record(audit, action="revenue.campaign_create", target=campaign, params={"key": key})
    return campaign


@transaction.atomic
def campaign_update(*, key: str, changes: dict[str, Any], audit: AuditContext) -> Campaign:
    """Change a campaign; entrants already taken in keep their group and their sends."""
    campaign = Campaign.objects.select_for_update().filter(key=key).first()
    if campaign is None:
        raise NotFound(f"No campaign {key!r}.")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.")
    clean = _clean(changes)
    before = {name: getattr(campaign, name) for name in clean}
    for name, value in clean.items():
        setattr(campaign, name, value)
    campaign.updated_at = clock.now()
    campaign.save()
    audit_record(
        audit,
        action="revenue.campaign_update",
        target=campaign,
        params={
            "key": key,
            "changed": {n: [before[n], v] for n, v in clean.items() if before[n] != v},
        },
    )
    return campaign


# The design brief's campaigns, created paused (an operator reviews and starts them). Payment
# recovery is not among them: the payment recovery schedule (revenue/recovery) runs dunning.
DEFAULTS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "win-back-high-risk",
        {
            "name": "Win-back: high risk",
            "kind": "win_back",
            "description": "A personal check-in for customers the prediction puts at high risk.",
            "trigger": {"bands": ["high"]},
            "steps": [{"template": "retention_checkin", "day": 0}],
        },
    ),
    (
        "adoption-nudge",
        {
            "name": "Feature adoption: medium risk",
            "kind": "adoption",
            "description": "Show medium-risk customers the feature retained customers use.",
            "trigger": {"bands": ["medium"]},
            "steps": [
                {"template": "retention_templates_nudge", "day": 0},
                {"template": "retention_checkin", "day": 5},
            ],
        },
    ),
    (
        "annual-upsell",
        {
            "name": "Upsell to annual: power users",
            "kind": "upsell",
            "description": "Monthly customers at low risk who have paid for six months or more.",
            "trigger": {
                "bands": ["low"],
                "signals": {"is_annual": {"max": 0}, "paid_days": {"min": 180}},
            },
            "steps": [{"template": "annual_upsell", "day": 0}],
            "holdout_percent": 20,
        },
    ),
)


def campaign_defaults_ensure(*, audit: AuditContext) -> list[str]:
    """Create the brief's campaigns (paused) whose email templates exist; return their keys."""
    templates = {t.key for t in template_list()}
    created = []
    for key, values in DEFAULTS:
        needed = {step["template"] for step in values["steps"]}
        if Campaign.objects.filter(key=key).exists() or not needed <= templates:
            continue
        campaign_create(key=key, values=dict(values), audit=audit)
        created.append(key)
    return created
