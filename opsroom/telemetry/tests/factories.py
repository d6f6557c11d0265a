from datetime import timedelta

import factory

from opsroom.core import clock
from opsroom.people.tests.factories import PersonFactory
from opsroom.telemetry.models import ApiRequest, ErrorEvent


class ErrorEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ErrorEvent

    event_id = factory.Sequence(lambda n: f"evt-{n}")
    fingerprint = "recipe-generate-timeout"
    title = "TimeoutError: recipe generation took longer than 30s"
    level = "error"
    endpoint = "POST /api/recipes/generate"
    release = "2026.11.1"
    person = factory.SubFactory(PersonFactory)
    occurred_at = factory.LazyFunction(lambda: clock.now() - timedelta(hours=3))


class ApiRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiRequest

    request_id = factory.Sequence(lambda n: f"req-{n}")
    person = factory.SubFactory(PersonFactory)
    method = "GET"
    route = "/api/meal-plans"
    path = "/api/meal-plans"
    status = 200
    duration_ms = 42.0
    occurred_at = factory.LazyFunction(lambda: clock.now() - timedelta(hours=1))
