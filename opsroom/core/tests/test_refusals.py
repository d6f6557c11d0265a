"""Refusals in words, generated from the permissions and the roles that hold them."""

import pytest

from conftest import signed_in
from opsroom.core.refusals import permission_phrase, refusal_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("permission", "phrase"),
    [
        ("people.email_person", "send email to a person"),
        ("people.add_note", "add notes"),
        ("support.change_ticket", "change tickets"),
        ("core.manage_api_keys", "create and revoke API keys"),
    ],
)
def test_a_permission_reads_as_what_it_lets_staff_do(permission, phrase):
    assert permission_phrase(permission) == phrase


def test_a_refusal_names_the_role_what_it_cannot_do_and_who_can(
    staff_analyst, staff_support, staff_billing
):
    assert refusal_text(staff_analyst, ["people.email_person"]) == (
        "Analysts can read but not send email to a person; support agents, billing specialists "
        "and admins can. Ask an admin if you need to."
    )
    assert refusal_text(staff_support, ["revenue.grant_complimentary_subscription"]) == (
        "Support agents cannot grant a complimentary subscription; billing specialists and "
        "admins can. Ask an admin if you need to."
    )
    assert refusal_text(staff_billing, ["core.manage_api_keys"]) == (
        "Billing specialists cannot create and revoke API keys; admins can. "
        "Ask an admin if you need to."
    )


def test_refused_pages_say_it_in_words(staff_support):
    response = signed_in(staff_support).get("/api-keys/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "Support agents cannot create and revoke API keys; admins can." in body
    assert "core.manage_api_keys" not in body
