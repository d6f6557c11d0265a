"""What customers wrote about lately, grouped: "12 tickets this week about meal plan export",
whether an article answers it (gap detection), and the material to draft one from.

Tickets of the window are TF-IDF vectors (word 1-2-grams, sublinear, English stop words). A
topic grows around the ticket with the most near neighbours (cosine at least TOPIC_MIN), takes
every unclaimed neighbour, and the next topic starts from the best remaining ticket (leader
clustering: each topic is held together by one real ticket, so its example reads true). A
topic is labelled by the heaviest words of its centroid; its previous-window count is the
tickets of the window before that are as close to the topic's centre, so "rising" compares
like with like.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.stats import binomtest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from opsroom.core import clock
from opsroom.support.ml.features import ticket_text
from opsroom.support.models import Article, Ticket, TicketMessage
from opsroom.support.selectors.articles import articles_matching
from opsroom.support.selectors.replies import answer_core

TOPIC_MIN = 0.3  # cosine similarity to the topic's centre ticket
TOPIC_SIZE_MIN = 3  # fewer tickets than this is not a topic
GAP_SIZE_MIN = 5  # a topic this big with no article is a gap
RISING_P = 0.05
COVERED_MIN = 0.2  # an article scoring this against the topic answers it
WINDOW_TICKETS_MAX = 5000  # the most recent tickets of a window that are grouped
ANSWER_CHARS = 4000
ANSWER_MIN_CHARS = 60  # shorter agent replies are acknowledgements, not answers


@dataclass(frozen=True)
class TopicAnswer:
    ticket_id: int
    body: str  # the last public agent reply before the ticket was solved
    rating: int | None
    requester_name: str


@dataclass(frozen=True)
class Topic:
    label: str  # the heaviest words, e.g. "meal plan export"
    terms: list[str]
    example_ticket_id: int  # the centre: the ticket most like the others
    example_subject: str
    ticket_ids: list[int]  # newest first
    previous_count: int  # as close to the centre, in the window before
    category: str  # the most common category among the tickets ("" when none)
    open_count: int
    article: Article | None  # the published article that answers it, if any
    article_score: float | None
    answers: list[TopicAnswer] = field(default_factory=list)  # best first

    @property
    def count(self) -> int:
        return len(self.ticket_ids)

    @property
    def is_gap(self) -> bool:
        """Many tickets and no article that answers them."""
        return self.article is None and self.count >= GAP_SIZE_MIN

    @property
    def rise_p_value(self) -> float:
        """How likely so many more tickets than the window before would be by chance: the
        exact conditional test of two Poisson counts over equal windows (one-sided)."""
        return float(binomtest(self.count, self.count + self.previous_count, 0.5, "greater").pvalue)

    @property
    def rising(self) -> bool:
        """More tickets than the window before, beyond chance (p < RISING_P)."""
        return self.count > self.previous_count and self.rise_p_value < RISING_P


# Words of greetings and sign-offs, which say nothing about the request.
_POLITE = [
    *("hi", "hello", "hey", "dear", "thanks", "thank", "cheers", "regards", "team", "hope"),
    *("please", "sure", "just", "don", "ll", "ve", "got", "getting", "really", "help"),
    *("does", "did", "doing", "want", "need", "know", "tried", "try", "trying", "wondering"),
]
STOP_WORDS = sorted(ENGLISH_STOP_WORDS.union(_POLITE))


def _text(subject: str, body: str) -> str:
    """What a ticket asks: subject and body without the greeting line and the sign-off."""
    return ticket_text(subject=subject, body=answer_core(body, ""))


Row = tuple[int, str, str, str, str]  # id, subject, body, category, status


def _rows(start: datetime, end: datetime) -> list[Row]:
    return list(
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by("-created_at", "-id")
        .values_list("id", "subject", "body", "category", "status")[:WINDOW_TICKETS_MAX]
    )


def _label(centroid: npt.NDArray[np.float64], vocabulary: npt.NDArray[np.str_]) -> list[str]:
    """The topic's words, heaviest first; a word already inside a chosen phrase is skipped."""
    chosen: list[str] = []
    for index in np.argsort(-centroid)[:12]:
        if centroid[index] <= 0:
            break
        term = str(vocabulary[index])
        words = set(term.split())
        if any(words <= set(c.split()) for c in chosen):
            continue
        chosen = [c for c in chosen if not set(c.split()) <= words]
        chosen.append(term)
        if len(chosen) == 3:
            break
    return chosen


def _label_text(terms: list[str], subject: str) -> str:
    """The heaviest phrase of two words ("meal plan export" reads as "meal plan"), or the
    centre ticket's subject when no phrase stands out."""
    for term in terms:
        if " " in term:
            return term
    return " ".join(subject.split())[:80]


def _signature_stripped(text: str) -> str:
    """Without a trailing signature block (a last paragraph of short lines with no sentence)."""
    paragraphs = text.strip().split("\n\n")
    last = paragraphs[-1].splitlines()
    if (
        len(paragraphs) > 1
        and len(last) <= 3
        and all(
            len(line) <= 40 and not line.rstrip().endswith((".", "?", "!", ":")) for line in last
        )
    ):
        paragraphs.pop()
    return "\n\n".join(paragraphs).strip()


def _answers(ticket_ids: list[int], names: dict[int, str]) -> list[TopicAnswer]:
    """For each solved ticket, its most substantial public agent reply (not the "glad it
    works" that closed it), greeting, sign-off and signature taken out; best rated first."""
    solved = {
        t.pk: t
        for t in Ticket.objects.filter(
            pk__in=ticket_ids, status__in=(Ticket.Status.SOLVED, Ticket.Status.CLOSED)
        )
    }
    best: dict[int, str] = {}
    for reply in TicketMessage.objects.filter(
        ticket_id__in=solved, author_kind=TicketMessage.Author.AGENT, is_internal=False
    ).order_by("ticket_id", "created_at", "id"):
        core = _signature_stripped(
            answer_core(reply.body[:ANSWER_CHARS], names.get(reply.ticket_id, ""))
        )
        if len(core) >= ANSWER_MIN_CHARS and len(core) > len(best.get(reply.ticket_id, "")):
            best[reply.ticket_id] = core
    answers = [
        TopicAnswer(
            ticket_id=ticket_id,
            body=body,
            rating=solved[ticket_id].satisfaction_rating,
            requester_name=names.get(ticket_id, ""),
        )
        for ticket_id, body in best.items()
    ]
    return sorted(answers, key=lambda a: (-(a.rating or 3), -a.ticket_id))


def _topic(
    members: list[Row],
    centre: Row,
    terms: list[str],
    previous_count: int,
    answers: list[TopicAnswer] | None = None,
) -> Topic:
    """A topic of these tickets (newest first) around its centre ticket, with the published
    article that answers it, if any."""
    categories = Counter(row[3] for row in members if row[3])
    match = articles_matching(text=f"{' '.join(terms)} {centre[1]}", limit=1)
    covered = match[0] if match and match[0].score >= COVERED_MIN else None
    return Topic(
        label=_label_text(terms, centre[1]),
        terms=terms,
        example_ticket_id=centre[0],
        example_subject=centre[1],
        ticket_ids=[row[0] for row in members],
        previous_count=previous_count,
        category=categories.most_common(1)[0][0] if categories else "",
        open_count=sum(1 for row in members if row[4] in Ticket.OPEN_STATUSES),
        article=covered.article if covered else None,
        article_score=covered.score if covered else None,
        answers=answers or [],
    )


def ticket_topics(
    *, days: int = 7, now: datetime | None = None, limit: int = 10, with_answers: bool = False
) -> list[Topic]:
    """The biggest topics of the last `days` days, biggest first, each with its article (or
    none: a gap) and the count of the window before."""
    end = now or clock.now()
    start = end - timedelta(days=days)
    rows = _rows(start, end)
    if len(rows) < TOPIC_SIZE_MIN:
        return []
    texts = [_text(s, b) for _i, s, b, _c, _st in rows]
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, stop_words=STOP_WORDS, min_df=2
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no word appears twice: nothing groups
        return []
    similarity = sp.csr_matrix(matrix @ matrix.T)
    similarity.data[similarity.data < TOPIC_MIN] = 0
    similarity.eliminate_zeros()
    degree = np.asarray((similarity > 0).sum(axis=1)).ravel()
    unclaimed = np.ones(len(rows), dtype=bool)
    vocabulary = vectorizer.get_feature_names_out()
    previous = _rows(start - timedelta(days=days), start)
    previous_matrix = (
        vectorizer.transform([_text(s, b) for _i, s, b, _c, _st in previous]) if previous else None
    )
    topics: list[Topic] = []
    for centre in np.argsort(-degree, kind="stable"):
        if len(topics) == limit or degree[centre] < TOPIC_SIZE_MIN:
            break
        if not unclaimed[centre]:
            continue
        row = similarity.getrow(centre)
        members = [int(i) for i in row.indices if unclaimed[i]]
        if centre not in members:
            members.append(int(centre))
        if len(members) < TOPIC_SIZE_MIN:
            continue
        unclaimed[members] = False
        centroid = np.asarray(matrix[members].mean(axis=0)).ravel()
        terms = _label(centroid, vocabulary)
        previous_count = 0
        if previous_matrix is not None:
            closeness = np.asarray((previous_matrix @ matrix[centre].T).todense()).ravel()
            previous_count = int((closeness >= TOPIC_MIN).sum())
        members.sort(key=lambda i: -rows[i][0])
        topics.append(_topic([rows[i] for i in members], rows[centre], terms, previous_count))
    if with_answers:
        names = dict(
            Ticket.objects.filter(pk__in=[i for t in topics for i in t.ticket_ids]).values_list(
                "id", "requester__name"
            )
        )
        topics = [Topic(**{**t.__dict__, "answers": _answers(t.ticket_ids, names)}) for t in topics]
    return topics


def topic_for_tickets(*, ticket_ids: list[int]) -> Topic | None:
    """A topic made of chosen tickets (the ones an agent drafts an article from): labelled
    and answered as ticket_topics would, centred on the ticket most like the others."""
    rows = list(
        Ticket.objects.filter(pk__in=ticket_ids)
        .order_by("-created_at", "-id")
        .values_list("id", "subject", "body", "category", "status")
    )
    if not rows:
        return None
    texts = [_text(s, b) for _i, s, b, _c, _st in rows]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words=STOP_WORDS)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # only stop words
        terms: list[str] = []
        centre = 0
    else:
        centroid = np.asarray(matrix.mean(axis=0)).ravel()
        terms = _label(centroid, vectorizer.get_feature_names_out())
        centre = int(np.argmax(np.asarray((matrix @ centroid).ravel())))
    names = dict(
        Ticket.objects.filter(pk__in=[r[0] for r in rows]).values_list("id", "requester__name")
    )
    return _topic(rows, rows[centre], terms, 0, _answers([r[0] for r in rows], names))


@dataclass(frozen=True)
class ArticleDraft:
    title: str
    body: str  # Markdown
    category: str
    tags: list[str]
    source_ticket_ids: list[int]  # the tickets whose answers it was written from


def _question_title(subject: str, label: str) -> str:
    subject = " ".join(subject.split()).strip(" .!")
    if len(subject) >= 12 and not subject.lower().startswith(("re:", "fwd:", "fw:")):
        return subject[:200]
    return f"About {label}"[:200] if label else "A common question"


def topic_article_draft(topic: Topic) -> ArticleDraft:
    """An article drafted from a topic's best answers: the best one as the answer, other
    distinct ones as alternatives, the customer's own first name taken out, and a note of the
    tickets it came from, for a person to check and publish."""
    usable = topic.answers
    chosen: list[TopicAnswer] = []
    seen: set[str] = set()
    for answer in usable:
        core = re.sub(r",?\s*\{first_name\}", "", answer.body).strip()
        key = re.sub(r"\S*\d\S*", "#", " ".join(core.lower().split()))[:200]
        if core and key not in seen:
            seen.add(key)
            chosen.append(TopicAnswer(**{**answer.__dict__, "body": core}))
        if len(chosen) == 3:
            break
    parts = ["## What to do"]
    if chosen:
        parts.append(chosen[0].body)
        if len(chosen) > 1:
            parts.append("## If that does not help")
            parts.extend(a.body for a in chosen[1:])
    else:
        parts.append(
            "No solved ticket in this group has an answer yet: write the steps here before "
            "publishing."
        )
    sources = [a.ticket_id for a in chosen]
    return ArticleDraft(
        title=_question_title(topic.example_subject, topic.label),
        body="\n\n".join(parts),
        category=topic.category,
        tags=[t for t in topic.terms if len(t) <= 50][:5],
        source_ticket_ids=sources,
    )
