import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsroom.core.models import AuditEntry, User
from opsroom.core.roles import ROLES, role_permissions_missing


@pytest.mark.django_db
def test_every_permission_named_for_a_role_exists():
    assert role_permissions_missing() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fixture", "allowed", "refused"),
    [
        (
            "staff_admin",
            [
                "people.impersonate_person",
                "core.manage_api_keys",
                "core.view_jobs",
                "core.manage_outbox",
            ],
            [],
        ),
        (
            "staff_support",
            ["people.add_note", "people.impersonate_person", "support.change_ticket"],
            [
                "revenue.grant_complimentary_subscription",
                "core.manage_api_keys",
                "core.manage_outbox",
            ],
        ),
        (
            "staff_billing",
            ["revenue.grant_complimentary_subscription", "people.add_note"],
            ["people.impersonate_person", "core.manage_api_keys", "core.manage_outbox"],
        ),
        (
            "staff_analyst",
            [
                "people.view_person",
                "revenue.view_subscription",
                "core.view_auditentry",
                "core.view_outboxentry",
            ],
            [
                "people.add_note",
                "people.email_person",
                "support.change_ticket",
                "core.view_jobs",
                "core.manage_outbox",
            ],
        ),
    ],
    ids=["admin", "support", "billing", "analyst"],
)
def test_roles_hold_their_permissions(request, fixture, allowed, refused):
    user = request.getfixturevalue(fixture)
    for permission in allowed:
        assert user.has_perm(permission), permission
    for permission in refused:
        assert not user.has_perm(permission), permission


@pytest.mark.django_db
def test_the_command_creates_staff_with_a_role_and_audits_it():
    call_command(
        "opsroom_staff_create", "nina", role="Billing specialist", password="s3cret-enough-pw"
    )
    user = User.objects.get(username="nina")
    assert user.is_staff
    assert user.check_password("s3cret-enough-pw")
    assert user.role_names == ["Billing specialist"]
    assert AuditEntry.objects.get(action="staff.create").target_id == str(user.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (["x"], {"role": "Admin", "password": "short"}, "too short"),
        (["sam2"], {"role": "Admin", "password": "password123"}, "too common"),
        ([" "], {"role": "Admin", "no_password": True}, "username is required"),
    ],
    ids=["weak-password", "common-password", "blank-username"],
)
def test_the_command_refuses_bad_input_clearly(args, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("opsroom_staff_create", *args, **options)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_role_and_a_duplicate(staff_admin):
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("opsroom_staff_create", "x", "--role", "Janitor", "--no-password")
    with pytest.raises(CommandError, match="already exists"):
        call_command("opsroom_staff_create", "ada", role="Admin", no_password=True)


def test_the_roles_are_the_four_of_the_brief():
    assert ROLES == ("Admin", "Support agent", "Billing specialist", "Analyst")
