"""The People search box: a ticket number finds its requester first, then people by user id,
email, name and contains (opsroom.people.selectors.search)."""

import re

from opsroom.people.models import search_normalize
from opsroom.people.selectors.search import SearchHit, person_search, search_text_clean
from opsroom.support.selectors import ticket_requester_id

_TICKET = re.compile(r"^#?(\d{1,12})$")


def people_search(*, query: str, limit: int = 20) -> list[SearchHit]:
    """People matching the search box, best first; '#12' finds only ticket 12's requester."""
    raw = search_text_clean(query)
    hits: list[SearchHit] = []
    ticket = _TICKET.match(search_normalize(raw))
    if ticket:
        requester = ticket_requester_id(ticket_id=int(ticket.group(1)))
        if requester is not None:
            hits.append(SearchHit(requester, f"ticket #{ticket.group(1)}"))
        if raw.startswith("#"):
            return hits
    found = {hit.person_id for hit in hits}
    hits += [hit for hit in person_search(query=query, limit=limit) if hit.person_id not in found]
    return hits[:limit]
