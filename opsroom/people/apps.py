from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _search_index_ensure(sender: AppConfig, *, using: str = "default", **kwargs: Any) -> None:
    from opsroom.people.search_index import search_index_ensure

    search_index_ensure(using=using)


class PeopleConfig(AppConfig):
    name = "opsroom.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        post_migrate.connect(
            _search_index_ensure, sender=self, dispatch_uid="opsroom_people_search_index"
        )
        from opsroom.people.selectors.activity_signals import ACTIVITY_SIGNALS
        from opsroom.people.signals import signal_source_register

        signal_source_register(ACTIVITY_SIGNALS)
