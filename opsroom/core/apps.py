from typing import Any

from django.apps import AppConfig, apps
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

from opsroom.core.sqlite_functions import sqlite_functions_register


def _roles_sync_after_last_app(sender: AppConfig, **kwargs: Any) -> None:
    # Permissions exist only once post_migrate has run for their app; it runs app by app,
    # so the roles are synced when the last app with models has been handled.
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender.label != with_models[-1].label:
        return
    from opsroom.core.roles import roles_sync

    roles_sync()


class CoreConfig(AppConfig):
    name = "opsroom.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        post_migrate.connect(_roles_sync_after_last_app, dispatch_uid="opsroom_roles_sync")
        # Django's hook for per-connection setup: the audit log's SQLite trigger reads it.
        connection_created.connect(sqlite_functions_register, dispatch_uid="opsroom_sqlite_fns")
        from opsroom.core.outbox.host_webhook import HOST_WEBHOOK
        from opsroom.core.outbox.registry import performer_register

        performer_register(HOST_WEBHOOK)
