from django.contrib import admin

from opsroom.core.admin import ReadOnlyAdmin
from opsroom.messaging.models import EmailMessage, EmailSequence, EmailTemplate, SequenceEnrollment


@admin.register(EmailTemplate)
class EmailTemplateAdmin(ReadOnlyAdmin):
    list_display = ("key", "name", "category", "is_active")


@admin.register(EmailSequence)
class EmailSequenceAdmin(ReadOnlyAdmin):
    list_display = ("key", "name", "is_active")


@admin.register(SequenceEnrollment)
class SequenceEnrollmentAdmin(ReadOnlyAdmin):
    list_display = ("person", "sequence", "status", "steps_sent", "enrolled_at", "next_step_at")
    list_filter = ("status", "sequence")
    list_select_related = ("person", "sequence")


@admin.register(EmailMessage)
class EmailMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "to_email", "subject", "status", "template", "sequence")
    list_filter = ("status", "template")
    search_fields = ("=to_email", "=provider_message_id")
    list_select_related = ("template", "sequence")
