"""Staff roles are Django groups; this module says which permissions each one holds.

Code checks permissions, never role names. `roles_sync` makes the groups match this table;
it runs after every migrate, so a new permission reaches its roles on deploy. The role table
in docs/operating.md is generated from here (`manage.py opsroom_roles_doc`), and a test fails
when the two differ.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.db.models import Q

from opsroom.core.services.audit import AuditContext, audit_record

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
    "user360.share_segment",
    "support.add_ticket",
    "support.change_ticket",
    "support.add_ticketmessage",
    "support.add_article",
    "support.change_article",
    "support.escalate_ticket",
    "support.manage_known_issues",
    "support.set_own_availability",
    "messaging.add_emailmessage",
]
_BILLING = [
    "people.add_note",
    "people.email_person",
    "people.export_people",
    "user360.share_segment",
    "revenue.change_subscription",
    "revenue.grant_complimentary_subscription",
    "revenue.change_invoice",
    "revenue.change_marketingspend",
    "revenue.change_exchangerate",
    "revenue.change_revenuesettings",
    "revenue.rebuild_ledger",
    "revenue.share_forecast",
    "revenue.act_on_churn_risk",
    "revenue.manage_campaign",
    "revenue.manage_payment_recovery",
    "revenue.check_stripe_drift",
    "support.add_ticket",
    "support.change_ticket",
    "support.add_ticketmessage",
    "support.set_own_availability",
    "messaging.add_emailmessage",
]

# Permissions on top of "view everything". Admin holds every permission there is. The Analyst
# reads everything and changes nothing (it may keep private saved searches, which are its own).
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


def _names(permissions: "models.QuerySet[Permission]") -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in permissions.values_list("content_type__app_label", "codename")
    }


def roles_sync() -> None:
    """Create the role groups and give each exactly its permissions (changes are audited)."""
    for role in ROLES:
        group, created = Group.objects.get_or_create(name=role)
        if role == ADMIN:
            permissions = Permission.objects.all()
        else:
            permissions = Permission.objects.filter(
                _view_permissions() | _permissions(ROLE_PERMISSIONS[role])
            )
        before = set() if created else _names(group.permissions.all())
        group.permissions.set(permissions)
        after = _names(permissions)
        if not created and after != before:
            audit_record(
                AuditContext.system("roles sync"),
                action="role.permissions_set",
                target=group,
                params={"added": sorted(after - before), "removed": sorted(before - after)},
            )


def role_table() -> str:
    """The role table of docs/operating.md, as Markdown, from ROLE_PERMISSIONS."""
    lines = [
        "| permission | " + " | ".join(ROLES) + " |",
        "| --- |" + " :---: |" * len(ROLES),
        "| view every Opsroom record (people, revenue, support, telemetry, audit log…) |"
        + " yes |" * len(ROLES),
    ]
    granted = sorted({name for names in ROLE_PERMISSIONS.values() for name in names})
    for name in granted:
        marks = ["yes" if role == ADMIN or name in ROLE_PERMISSIONS[role] else "" for role in ROLES]
        lines.append(f"| {_permission_label(name)} (`{name}`) | " + " | ".join(marks) + " |")
    lines.append(
        "| everything else: staff accounts and roles, API keys, background jobs, retrying and "
        "canceling outbox entries, the data admin |" + " yes |" + " |" * (len(ROLES) - 1)
    )
    return "\n".join(lines) + "\n"


def _permission_label(name: str) -> str:
    """A permission's description, from its model (no database needed)."""
    app_label, codename = name.split(".")
    for model in apps.get_app_config(app_label).get_models():
        meta = model._meta
        for custom, label in meta.permissions:
            if custom == codename:
                return str(label)
        for action in meta.default_permissions:
            if codename == f"{action}_{meta.model_name}":
                return f"Can {action} {meta.verbose_name}"
    raise LookupError(f"no permission {name}")


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
