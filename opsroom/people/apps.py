from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "opsroom.people"
    label = "people"
    verbose_name = "People"
