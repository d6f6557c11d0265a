"""A digest of everything the demo world wrote, with database ids replaced by natural keys."""

import hashlib
import json

from django.apps import apps
from django.db import models

from opsroom.core.models import ApiKey, User
from opsroom.experiments.models import Experiment, FeatureFlag
from opsroom.messaging.models import EmailSequence, EmailTemplate
from opsroom.people.models import Person, Tag
from opsroom.revenue.models import Invoice, Plan, Subscription
from opsroom.support.models import Ticket
from opsroom.telemetry.models import ApiRequest

NATURAL_KEYS: dict[type[models.Model], str] = {
    Person: "external_id",
    Tag: "name",
    Plan: "provider_price_id",
    Subscription: "provider_subscription_id",
    Invoice: "provider_invoice_id",
    Ticket: "external_id",
    FeatureFlag: "key",
    Experiment: "key",
    ApiRequest: "request_id",
    EmailTemplate: "key",
    EmailSequence: "key",
    User: "username",
    ApiKey: "prefix",
}
WORLD_APPS = ("people", "revenue", "support", "telemetry", "experiments", "messaging")
# Work queues, not the world: their rows carry random tokens and are consumed by tasks.
TRANSIENT = {"revenue.MrrDirty"}


def _keys(model: type[models.Model]) -> dict[int, str]:
    return dict(model._default_manager.values_list("pk", NATURAL_KEYS[model]))


def table_digest(model: type[models.Model]) -> tuple[int, str]:
    """Row count and a digest of a table's content, independent of ids and row order."""
    if not model._default_manager.exists():
        # Tables the world leaves empty (the copilot's, filled by triage) need no natural keys.
        return 0, hashlib.sha256(b"").hexdigest()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    lookups = {
        f.attname: _keys(f.related_model)  # type: ignore[arg-type]
        for f in fields
        if f.is_relation
    }
    rows = []
    for values in model._default_manager.values(*(f.attname for f in fields)):
        for name, keys in lookups.items():
            values[name] = keys.get(values[name])
        rows.append(json.dumps(values, sort_keys=True, default=str))
    rows.sort()
    digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return len(rows), digest


def world_digest() -> dict[str, tuple[int, str]]:
    """The digest of every table the demo world writes (tags through their link table)."""
    digests = {}
    for app_label in WORLD_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if model._meta.label in TRANSIENT:
                continue
            digests[model._meta.label] = table_digest(model)
    links = Person.tags.through
    pairs = sorted(
        (person, tag)
        for person, tag in links.objects.values_list("person__external_id", "tag__name")
    )
    digests["people.Person_tags"] = (len(pairs), hashlib.sha256(repr(pairs).encode()).hexdigest())
    return digests
