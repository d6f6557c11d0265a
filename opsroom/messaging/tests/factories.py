import factory

from opsroom.messaging.models import EmailTemplate


class EmailTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailTemplate
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"template-{n}")
    name = "We miss you"
    category = "lifecycle"
    subject = "We miss you, {{ first_name }}"
    body_text = "Hi {{ first_name }},\n\nYour meal plans are waiting at {{ site_url }}.\n"
