from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "opsroom.messaging"
    label = "messaging"
    verbose_name = "Messaging"
