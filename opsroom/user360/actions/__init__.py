"""Every quick action on one person, in the order the page offers them. A new action is one
module here with a QuickAction, added to ACTIONS; the page, the API and the permission checks
follow from it."""

from opsroom.core.models import User
from opsroom.user360.actions.base import ActionOutcome, QuickAction
from opsroom.user360.actions.comp import COMP
from opsroom.user360.actions.email import EMAIL
from opsroom.user360.actions.impersonate import IMPERSONATE
from opsroom.user360.actions.note import NOTE
from opsroom.user360.actions.tag import TAG
from opsroom.user360.actions.ticket import TICKET

ACTIONS: dict[str, QuickAction] = {
    action.key: action for action in (EMAIL, COMP, NOTE, TICKET, TAG, IMPERSONATE)
}


def actions_allowed(user: User) -> set[str]:
    """The quick actions a staff user may take."""
    return {
        key
        for key, action in ACTIONS.items()
        if user.is_active and user.is_staff and user.has_perms(action.permissions)
    }


__all__ = ["ACTIONS", "ActionOutcome", "QuickAction", "actions_allowed"]
