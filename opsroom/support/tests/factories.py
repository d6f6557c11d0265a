from datetime import timedelta

import factory

from opsroom.core import clock
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import Ticket, TicketMessage


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    requester = factory.SubFactory(PersonFactory)
    channel = "email"
    subject = "Recipe won't save"
    body = "Every time I press save on a recipe it spins and then times out."
    status = "new"
    priority = "normal"
    category = "bug"
    created_at = factory.LazyFunction(lambda: clock.now() - timedelta(hours=2))
    updated_at = factory.LazyAttribute(lambda t: t.created_at)


class TicketMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketMessage

    ticket = factory.SubFactory(TicketFactory)
    author_kind = "agent"
    body = "Thanks for writing in; could you try clearing your cache?"
