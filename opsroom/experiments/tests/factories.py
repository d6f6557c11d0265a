import factory

from opsroom.experiments.models import FeatureFlag


class FeatureFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeatureFlag
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"flag_{n}")
    name = factory.LazyAttribute(lambda f: f.key)
    variants = factory.LazyFunction(lambda: [{"key": "on", "weight": 1}])
    rollout_percent = 100
