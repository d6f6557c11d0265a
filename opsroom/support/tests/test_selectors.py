import pytest

from opsroom.support.selectors import ticket_ids_by_external_id
from opsroom.support.tests.factories import TicketFactory


@pytest.mark.django_db
def test_tickets_are_found_by_the_help_desk_id():
    ticket = TicketFactory(external_id="T-1")
    TicketFactory(external_id=None)
    assert ticket_ids_by_external_id(external_ids=["T-1", "T-9"]) == {"T-1": ticket.pk}
