"""Domain errors become a clear 4xx in one place; anything else stays a 500."""

import pytest
from django.test import RequestFactory

from conftest import signed_in
from opsroom.core.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceFailed
from opsroom.core.middleware import DomainErrorMiddleware
from opsroom.people.tests.factories import PersonFactory


def _middleware():
    return DomainErrorMiddleware(lambda request: None)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("The note is empty."), 400),
        (Forbidden("Analysts cannot send email."), 403),
        (NotFound("No such ticket."), 404),
        (Conflict("Already solved."), 409),
        (ServiceFailed("Stripe refused: card declined."), 502),
    ],
    ids=["invalid", "forbidden", "not-found", "conflict", "service"],
)
@pytest.mark.django_db
def test_a_domain_error_becomes_its_status_with_its_message(error, status, staff_analyst):
    request = RequestFactory().get("/people/")
    request.user = staff_analyst
    response = _middleware().process_exception(request, error)
    assert response.status_code == status
    assert error.message in response.content.decode()
    assert 'class="mainnav"' in response.content.decode()  # the app's page, with its navigation


def test_htmx_gets_the_message_as_text():
    request = RequestFactory().get("/people/", headers={"HX-Request": "true"})
    response = _middleware().process_exception(request, InvalidInput("Ask a question."))
    assert (response.status_code, response.content) == (400, b"Ask a question.")


def test_a_programming_error_is_not_turned_into_a_4xx():
    request = RequestFactory().get("/people/")
    assert _middleware().process_exception(request, ValueError("a bug")) is None
    assert _middleware().process_exception(request, KeyError("a bug")) is None


@pytest.mark.django_db
def test_the_api_answers_a_domain_error_with_its_status_and_detail(staff_support):
    person = PersonFactory(email="", status="active")
    response = signed_in(staff_support).post(
        f"/api/v1/people/{person.pk}/actions",
        {"action": "email", "subject": "Hello", "body": "Hi"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "This person has no email address."}


@pytest.mark.django_db
def test_a_refused_page_is_the_apps_page_saying_why(staff_analyst):
    response = signed_in(staff_analyst).post("/people/health/", {})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Analysts can read but not change health score settings; admins can." in body
    assert 'class="mainnav"' in body


@pytest.mark.django_db
def test_an_unknown_page_is_the_apps_404(staff_analyst):
    response = signed_in(staff_analyst).get("/no-such-page/")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.content.decode()
