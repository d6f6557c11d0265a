"""First-reply targets per priority, in calendar hours: when an unanswered ticket breaches.

Zendesk's guidance for email ("good" replies within 12 hours, "better" within 4, "best" within
1), set per priority. A ticket waiting on the customer (pending) is not on the clock.
"""

from datetime import datetime, timedelta

FIRST_REPLY_HOURS = {"urgent": 1, "high": 4, "normal": 12, "low": 24}
# Tickets whose first reply is due within this are "about to breach".
SOON = timedelta(hours=1)


def first_reply_due(*, created_at: datetime, priority: str) -> datetime:
    """When a ticket's first reply is due."""
    hours = FIRST_REPLY_HOURS.get(priority, FIRST_REPLY_HOURS["normal"])
    return created_at + timedelta(hours=hours)
