from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from opsroom.core.models import ApiKey, AuditEntry, ScheduleSlot, User
from opsroom.core.services.audit import AuditContext, audit_record

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
    _UserAdmin = UserAdmin[User]
else:  # the admin's classes are generic for type checkers only
    _ModelAdmin = admin.ModelAdmin
    _UserAdmin = UserAdmin


class ReadOnlyAdmin(_ModelAdmin):
    """Records written by Opsroom's services are viewed here, never edited or deleted.

    Editing them in the admin would bypass the services that keep derived data consistent.
    """

    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class StaffAdmin(_UserAdmin):
    list_display = ("username", "email", "roles", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "groups")

    @admin.display(description="Role")
    def roles(self, user: User) -> str:
        return ", ".join(user.role_names)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Staff who leave are deactivated, so their audit trail keeps pointing at them.
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        action = "staff.update" if change else "staff.create"
        fields = sorted(set(form.changed_data) - {"password"})
        params: dict[str, Any] = {"fields": fields}
        if "password" in form.changed_data or "password1" in form.changed_data:
            params["password_changed"] = True
        audit_record(AuditContext.from_request(request), action=action, target=obj, params=params)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if "groups" in form.changed_data:
            audit_record(
                AuditContext.from_request(request),
                action="staff.role_set",
                target=form.instance,
                params={"to": form.instance.role_names},
            )


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "prefix",
        "scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    exclude = ("key_hash",)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "actor_label",
        "acting_as",
        "action",
        "target_type",
        "target_label",
        "ip",
    )
    list_filter = ("action",)
    search_fields = ("actor_label", "target_id", "target_label")
    date_hierarchy = "occurred_at"


@admin.register(ScheduleSlot)
class ScheduleSlotAdmin(ReadOnlyAdmin):
    list_display = ("job", "slot_at", "claimed_at", "task_result_id")
    list_filter = ("job",)
