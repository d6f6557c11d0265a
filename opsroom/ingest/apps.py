from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "opsroom.ingest"
    label = "ingest"
    verbose_name = "Ingestion"

    def ready(self) -> None:
        # django-anymail delivers tracking and inbound events through its signals (its API);
        # the receivers only validate and call the owning apps' services.
        from opsroom.ingest.webhooks.email import receivers

        receivers.connect()
