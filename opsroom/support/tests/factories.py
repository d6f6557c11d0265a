from datetime import timedelta

import factory

from opsroom.core import clock
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.models import Ticket, TicketMessage


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket
        skip_postgeneration_save = True

    requester = factory.SubFactory(PersonFactory)
    channel = "email"
    subject = "Recipe won't save"
    body = "Every time I press save on a recipe it spins and then times out."
    status = "new"
    priority = "normal"
    category = "bug"
    created_at = factory.LazyFunction(lambda: clock.now() - timedelta(hours=2))
    updated_at = factory.LazyAttribute(lambda t: t.created_at)

    @factory.post_generation  # type: ignore[untyped-decorator]
    def sla(obj: Ticket, create: bool, extracted: object, **kwargs: object) -> None:
        """Store the SLA as the services do after every write (skip with sla=False)."""
        if create and extracted is not False:
            from opsroom.support.services.sla import tickets_sla_refresh

            tickets_sla_refresh(tickets=[obj])


class TicketMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketMessage

    ticket = factory.SubFactory(TicketFactory)
    author_kind = "agent"
    body = "Thanks for writing in; could you try clearing your cache?"
