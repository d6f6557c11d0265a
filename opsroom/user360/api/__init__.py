"""The People section's API routers, mounted under /api/v1/ by config/api.py."""

from ninja import Router

from opsroom.user360.api.announcements import router as announcements_router
from opsroom.user360.api.people import router as people_router
from opsroom.user360.api.segments import router as segments_router

router = Router()
router.add_router("", people_router)
router.add_router("", segments_router)
router.add_router("", announcements_router)
