"""Similar tickets: TF-IDF nearest neighbours of a ticket's text among all tickets, split into
past resolved ones (with how each was resolved and how long it took) and open ones that may
be duplicates.

The index (word 1-2-grams, sublinear TF, English stop words) is built once per process; new
tickets are added to it with its vocabulary (it is refitted after 20% growth, or when tickets
were removed), so a search is one sparse product with the query vector.
"""

import threading
import time
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from django.db.models import Max
from sklearn.feature_extraction.text import TfidfVectorizer

from opsroom.support.ml.features import ticket_text
from opsroom.support.models import Ticket, TicketMessage

# A past ticket is offered as similar from this cosine similarity; an open one as a possible
# duplicate from the higher one.
SIMILAR_MIN = 0.2
DUPLICATE_MIN = 0.5
RESOLUTION_CHARS = 4000


@dataclass(frozen=True)
class SimilarTicket:
    ticket_id: int
    subject: str
    status: str
    category: str
    similarity: float
    created_at: datetime
    resolved_at: datetime | None
    resolution_hours: float | None  # from opening to resolution
    resolution: str  # the last public agent reply before resolution; "" when none
    resolution_message_id: int | None
    satisfaction_rating: int | None
    requester_id: int
    requester_name: str


@dataclass(frozen=True)
class SimilarTickets:
    resolved: list[SimilarTicket]
    duplicates: list[SimilarTicket]  # open tickets that may be the same request


class _Index:
    def __init__(self) -> None:
        self.key: tuple[int, int] | None = None
        self.vectorizer: TfidfVectorizer | None = None
        self.matrix: sp.csr_matrix | None = None
        self.ids: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.fitted_rows = 0  # how many tickets the vocabulary was learnt from
        self.counted_at = 0.0
        self.lock = threading.Lock()


_INDEX = _Index()
# New tickets are added to the index with the vocabulary it has; it is learnt again once the
# tickets have grown by this share since (new words count from then on).
REFIT_GROWTH = 0.2
COUNT_EVERY = 60.0


def _index_key() -> tuple[int, int]:
    """(how many tickets, the newest id). The newest id is one index lookup, and new tickets
    are counted past the last one seen; counting them all (to notice removals) is a scan on
    PostgreSQL, so it is done at most every COUNT_EVERY seconds."""
    top = int(Ticket.objects.aggregate(top=Max("id"))["top"] or 0)
    now = time.monotonic()
    if _INDEX.key is None or now - _INDEX.counted_at > COUNT_EVERY or top < _INDEX.key[1]:
        _INDEX.counted_at = now
        return Ticket.objects.count(), top
    count, seen = _INDEX.key
    if top > seen:
        count += Ticket.objects.filter(id__gt=seen).count()
    return count, top


def _texts(rows: list[tuple[int, str, str]]) -> list[str]:
    return [ticket_text(subject=subject, body=body) for _id, subject, body in rows]


def _index_fit(index: _Index) -> None:
    rows = list(Ticket.objects.order_by("id").values_list("id", "subject", "body"))
    texts = _texts(rows)
    index.ids = np.array([row[0] for row in rows], dtype=np.int64)
    index.fitted_rows = len(rows)
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, stop_words="english", dtype=np.float32
    )
    try:
        index.matrix = vectorizer.fit_transform(texts).tocsr()
        index.vectorizer = vectorizer
    except ValueError:  # no tickets, or only stop words: nothing to compare on
        index.matrix, index.vectorizer = None, None


def _index_extend(index: _Index, after_id: int) -> None:
    rows = list(
        Ticket.objects.filter(id__gt=after_id).order_by("id").values_list("id", "subject", "body")
    )
    if not rows or index.vectorizer is None or index.matrix is None:
        return
    added = index.vectorizer.transform(_texts(rows)).tocsr()
    index.matrix = sp.vstack([index.matrix, added], format="csr")
    index.ids = np.concatenate([index.ids, np.array([r[0] for r in rows], dtype=np.int64)])


def _index_get() -> _Index:
    key = _index_key()
    with _INDEX.lock:
        old = _INDEX.key
        if old == key:
            return _INDEX
        only_added = (
            old is not None
            and _INDEX.vectorizer is not None
            and key[1] > old[1]
            and key[0] - old[0] == Ticket.objects.filter(id__gt=old[1]).count()
        )
        if only_added and key[0] <= _INDEX.fitted_rows * (1 + REFIT_GROWTH) and old is not None:
            _index_extend(_INDEX, old[1])
        else:
            _index_fit(_INDEX)
        _INDEX.key = key
        return _INDEX


def _neighbours(*, text: str, exclude_id: int | None, limit: int) -> list[tuple[int, float]]:
    index = _index_get()
    if index.vectorizer is None or index.matrix is None:
        return []
    query = index.vectorizer.transform([text])
    if query.nnz == 0:
        return []
    scores = np.asarray((index.matrix @ query.T).todense()).ravel()
    if exclude_id is not None:
        scores[index.ids == exclude_id] = 0.0
    count = min(limit, len(scores))
    top: list[int] = list(np.argpartition(-scores, count - 1)[:count]) if count else []
    ranked = sorted(((int(index.ids[i]), float(scores[i])) for i in top), key=lambda p: -p[1])
    return [(ticket_id, score) for ticket_id, score in ranked if score >= SIMILAR_MIN]


def _resolutions(ticket_ids: list[int]) -> dict[int, TicketMessage]:
    replies = TicketMessage.objects.filter(
        ticket_id__in=ticket_ids, author_kind=TicketMessage.Author.AGENT, is_internal=False
    ).order_by("ticket_id", "-created_at", "-id")
    found: dict[int, TicketMessage] = {}
    for reply in replies:
        found.setdefault(reply.ticket_id, reply)
    return found


def tickets_similar(*, text: str, exclude_id: int | None = None, limit: int = 5) -> SimilarTickets:
    """The past resolved tickets most like a text, with their resolutions, and the open ones
    similar enough to be duplicates."""
    pairs = _neighbours(text=text, exclude_id=exclude_id, limit=limit * 8)
    if not pairs:
        return SimilarTickets(resolved=[], duplicates=[])
    score_of = dict(pairs)
    tickets = {t.pk: t for t in Ticket.objects.filter(pk__in=score_of).select_related("requester")}
    resolved_ids = [i for i, _s in pairs if i in tickets and not tickets[i].is_open][:limit]
    open_ids = [i for i, s in pairs if i in tickets and tickets[i].is_open and s >= DUPLICATE_MIN][
        :limit
    ]
    answers = _resolutions(resolved_ids)

    def build(ticket_id: int) -> SimilarTicket:
        ticket = tickets[ticket_id]
        answer = answers.get(ticket_id)
        hours = None
        if ticket.resolved_at is not None:
            hours = round((ticket.resolved_at - ticket.created_at).total_seconds() / 3600, 2)
        return SimilarTicket(
            ticket_id=ticket_id,
            subject=ticket.subject,
            status=ticket.status,
            category=ticket.category,
            similarity=round(score_of[ticket_id], 3),
            created_at=ticket.created_at,
            resolved_at=ticket.resolved_at,
            resolution_hours=hours,
            resolution=answer.body[:RESOLUTION_CHARS] if answer else "",
            resolution_message_id=answer.pk if answer else None,
            satisfaction_rating=ticket.satisfaction_rating,
            requester_id=ticket.requester_id,
            requester_name=ticket.requester.name,
        )

    return SimilarTickets(
        resolved=[build(i) for i in resolved_ids], duplicates=[build(i) for i in open_ids]
    )


def tickets_similar_to(*, ticket: Ticket, limit: int = 5) -> SimilarTickets:
    """Tickets similar to a ticket (itself left out)."""
    return tickets_similar(
        text=ticket_text(subject=ticket.subject, body=ticket.body),
        exclude_id=ticket.pk,
        limit=limit,
    )
