"""The batch API under /api/v1/ingest/: one POST endpoint per kind of record."""

from opsroom.ingest.api.batch import router

__all__ = ["router"]
