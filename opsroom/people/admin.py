from django.contrib import admin

from opsroom.core.admin import ReadOnlyAdmin
from opsroom.people.models import ActivityDaily, Event, Note, Person, Tag


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = (
        "external_id",
        "email",
        "name",
        "status",
        "is_vip",
        "signed_up_at",
        "last_seen_at",
    )
    list_filter = ("status", "is_vip", "acquisition_channel", "is_placeholder")
    search_fields = ("=external_id", "email", "name")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "person", "name", "source")
    list_select_related = ("person",)
    raw_id_fields = ("person",)
    search_fields = ("=person__external_id", "=name")


@admin.register(ActivityDaily)
class ActivityDailyAdmin(ReadOnlyAdmin):
    list_display = ("day", "person", "name", "count")
    list_select_related = ("person",)
    search_fields = ("=person__external_id",)


@admin.register(Note)
class NoteAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "person", "author", "is_pinned")
    list_select_related = ("person", "author")


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
