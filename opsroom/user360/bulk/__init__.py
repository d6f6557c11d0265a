"""Every bulk action on a filtered set of people, in the order the bulk bar offers them. A new
one is one module here with a BulkAction, added to BULK_ACTIONS."""

from opsroom.user360.bulk.base import BulkAction
from opsroom.user360.bulk.email import EMAIL
from opsroom.user360.bulk.export import EXPORT
from opsroom.user360.bulk.note import NOTE
from opsroom.user360.bulk.tag import TAG

BULK_ACTIONS: dict[str, BulkAction] = {action.key: action for action in (TAG, NOTE, EMAIL, EXPORT)}

__all__ = ["BULK_ACTIONS", "BulkAction"]
