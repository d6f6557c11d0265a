"""Staff roles are Django groups; this module says which permissions each one holds.

Code checks permissions, never role names. `roles_sync` makes the groups match this table;
it runs after every migrate, so a new permission reaches its roles on deploy.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

ADMIN = "Admin"
SUPPORT_AGENT = "Support agent"
BILLING_SPECIALIST = "Billing specialist"
ANALYST = "Analyst"
ROLES = (ADMIN, SUPPORT_AGENT, BILLING_SPECIALIST, ANALYST)

# Apps whose data every role may read.
OPSROOM_APPS = (
    "core",
    "people",
    "revenue",
    "support",
    "telemetry",
    "experiments",
    "messaging",
    "analytics",
    "user360",
)

_SUPPORT = [
    "people.add_note",
    "people.change_person",
    "people.email_person",
    "people.impersonate_person",
    "people.bulk_act_on_people",
    "people.export_people",
    "people.add_tag",
    "support.add_ticket",
    "support.change_ticket",
    "support.add_ticketmessage",
    "messaging.add_emailmessage",
]
_BILLING = [
    "people.add_note",
    "people.email_person",
    "people.export_people",
    "revenue.change_subscription",
    "revenue.grant_complimentary_subscription",
    "revenue.change_invoice",
    "support.add_ticket",
    "support.change_ticket",
    "support.add_ticketmessage",
    "messaging.add_emailmessage",
]

# Permissions on top of "view everything". Admin holds every permission there is.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    SUPPORT_AGENT: _SUPPORT,
    BILLING_SPECIALIST: _BILLING,
    ANALYST: [],
}


def _view_permissions() -> Q:
    return Q(content_type__app_label__in=OPSROOM_APPS, codename__startswith="view_") & ~Q(
        codename="view_jobs"
    )


def _permissions(names: list[str]) -> Q:
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    return query


def roles_sync() -> None:
    """Create the role groups and give each exactly its permissions."""
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        if role == ADMIN:
            permissions = Permission.objects.all()
        else:
            permissions = Permission.objects.filter(
                _view_permissions() | _permissions(ROLE_PERMISSIONS[role])
            )
        group.permissions.set(permissions)


def role_permissions_missing() -> list[str]:
    """Permissions named in the table that do not exist (a typo or a removed model)."""
    missing = []
    for names in ROLE_PERMISSIONS.values():
        for name in names:
            app_label, codename = name.split(".")
            if (
                not apps.is_installed(f"opsroom.{app_label}")
                or not Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                ).exists()
            ):
                missing.append(name)
    return missing
