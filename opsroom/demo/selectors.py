"""Reads the demo generator needs before it starts: what is stored already, who the staff are."""

from django.db.models import Model

from opsroom.core.models import User
from opsroom.experiments.models import FeatureFlag
from opsroom.messaging.models import EmailTemplate
from opsroom.people.models import Event, Person
from opsroom.revenue.models import Plan, Subscription
from opsroom.support.models import Ticket
from opsroom.telemetry.models import ErrorEvent

_HOLDINGS: dict[str, type[Model]] = {
    "people": Person,
    "events": Event,
    "plans": Plan,
    "subscriptions": Subscription,
    "tickets": Ticket,
    "errors": ErrorEvent,
    "feature flags": FeatureFlag,
    "email templates": EmailTemplate,
}


def host_data_present() -> list[str]:
    """Which kinds of host-app data the database already holds (empty: safe for a demo world)."""
    return [label for label, model in _HOLDINGS.items() if model._default_manager.exists()]


def staff_for_permission(*, permission: str, unless: str) -> list[User]:
    """Active staff who hold a permission, preferring those without `unless` (specialists)."""
    users = [
        user
        for user in User.objects.filter(is_active=True, is_staff=True).order_by("username")
        if user.has_perm(permission)
    ]
    specialists = [user for user in users if not user.has_perm(unless)]
    return specialists or users
