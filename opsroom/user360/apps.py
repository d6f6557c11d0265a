from django.apps import AppConfig


class User360Config(AppConfig):
    name = "opsroom.user360"
    label = "user360"
    verbose_name = "People (User 360)"
