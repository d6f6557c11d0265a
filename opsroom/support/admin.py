from typing import TYPE_CHECKING

from django.contrib import admin

from opsroom.core.admin import ReadOnlyAdmin
from opsroom.support.models import Ticket, TicketMessage

if TYPE_CHECKING:
    _Inline = admin.TabularInline[TicketMessage, Ticket]
else:  # generic for type checkers only
    _Inline = admin.TabularInline


class TicketMessageInline(_Inline):
    model = TicketMessage
    extra = 0
    fields = ("created_at", "author_kind", "author_user", "is_internal", "body")
    readonly_fields = fields
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "subject",
        "requester",
        "status",
        "priority",
        "category",
        "assignee",
        "created_at",
    )
    list_filter = ("status", "priority", "category", "channel")
    search_fields = ("=id", "subject", "=requester__external_id", "requester__email")
    list_select_related = ("requester", "assignee")
    inlines = [TicketMessageInline]
