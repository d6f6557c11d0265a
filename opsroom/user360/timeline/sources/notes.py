"""Notes staff wrote about the person."""

from opsroom.people.models import Note
from opsroom.user360.timeline.items import SourceRead, TimelineItem, TimelineSource


def notes(read: SourceRead) -> list[TimelineItem]:
    person, before, limit = read.person, read.before, read.limit
    notes = (
        Note.objects.filter(person_id=person.pk, created_at__lte=before)
        .select_related("author")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        TimelineItem(
            "note",
            6,
            note.created_at,
            note.pk,
            f"Note by {note.author.get_username()}",
            note.body[:300],
        )
        for note in notes
    ]


SOURCE = TimelineSource("note", "Notes", notes)
