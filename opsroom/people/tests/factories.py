from datetime import timedelta

import factory

from opsroom.core import clock
from opsroom.people.models import Note, Person, Tag


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    external_id = factory.Sequence(lambda n: f"user-{n}")
    email = factory.LazyAttribute(lambda p: f"{p.external_id}@example.com")
    name = factory.Faker("name")
    signed_up_at = factory.LazyFunction(lambda: clock.now() - timedelta(days=120))
    last_seen_at = factory.LazyFunction(lambda: clock.now() - timedelta(days=1))
    acquisition_channel = "organic"


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    person = factory.SubFactory(PersonFactory)
    body = "Called them about the export."
