"""The support API under /api/v1/support/: tickets, their analysis, similar tickets and the
suggested reply. Reads take an API key with the read scope; creating a ticket an ingest key;
other writes an admin key or a staff session holding the permission.

Each module registers its endpoints on the one router in `access`, so the paths and operation
ids stay as they were when this was one module. New areas get their own module, imported here."""

from opsroom.support.api import (
    agents,
    analysis,
    articles,
    automations,
    engineering,
    features,
    metrics,
    resources,
    sla,
    tickets,
)
from opsroom.support.api.access import router

__all__ = [
    "agents",
    "analysis",
    "articles",
    "automations",
    "engineering",
    "features",
    "metrics",
    "resources",
    "router",
    "sla",
    "tickets",
]
