"""The identity layer's API router (impersonation), mounted under /api/v1/ by config/api.py."""

from opsroom.people.api.impersonation import router

__all__ = ["router"]
