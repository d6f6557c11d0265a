"""Finding people: user id, email or name prefix, then contains (the People search box adds
ticket numbers on top, in opsroom.user360.selectors.search).

Prefix matches read the email and lower(name) indexes as ranges; contains-matches read a
trigram index over Person.search_text (SQLite FTS5, PostgreSQL pg_trgm; see migration 0003).
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Lower

from opsroom.people.models import Person, search_normalize
from opsroom.people.search_index import FTS_TABLE

MIN_CONTAINS = 3


@dataclass(frozen=True)
class SearchHit:
    person_id: int
    reason: str  # what matched: user id, email, name, contains (or ticket #12, one layer up)


def _prefix_upper(text: str) -> str:
    return text[:-1] + chr(ord(text[-1]) + 1)


def _prefix(field: str, text: str, limit: int) -> QuerySet[Person, int]:
    upper = _prefix_upper(text)
    # The range lets SQLite and PostgreSQL walk the index; startswith keeps it exact whatever
    # the collation.
    if field == "name":
        named = Person.objects.annotate(name_lower=Lower("name")).filter(
            name_lower__gte=text, name_lower__lt=upper, name_lower__startswith=text
        )
        return named.order_by("name_lower", "id").values_list("id", flat=True)[:limit]
    people = Person.objects.filter(email__gte=text, email__lt=upper, email__startswith=text)
    return people.order_by("email", "id").values_list("id", flat=True)[:limit]


def _contains(text: str, limit: int) -> list[int]:
    if connection.vendor == "sqlite":
        phrase = '"' + text.replace('"', '""') + '"'
        sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [phrase, limit])
            return [row[0] for row in cursor.fetchall()]
    return list(
        Person.objects.filter(search_text__contains=text).values_list("id", flat=True)[:limit]
    )


def search_text_clean(query: str) -> str:
    """The query as typed, without unprintable characters or surrounding spaces."""
    return "".join(char for char in query if char.isprintable()).strip()


def person_search(*, query: str, limit: int = 20) -> list[SearchHit]:
    """People matching a search text, best matches first."""
    raw = search_text_clean(query)
    text = search_normalize(raw)
    if not text:
        return []
    hits: dict[int, str] = {}

    def add(ids: object, reason: str) -> None:
        for person_id in ids:  # type: ignore[attr-defined]
            if len(hits) >= limit:
                return
            hits.setdefault(int(person_id), reason)

    add(Person.objects.filter(external_id=raw).values_list("id", flat=True)[:1], "user id")
    add(Person.objects.filter(email=text).values_list("id", flat=True)[:limit], "email")
    if len(hits) < limit:
        add(_prefix("email", text, limit), "email")
    if len(hits) < limit:
        add(_prefix("name", text, limit), "name")
    if len(hits) < limit and len(text) >= MIN_CONTAINS:
        add(_contains(text, limit * 2), "contains")
    return [SearchHit(person_id, reason) for person_id, reason in hits.items()]
