import json
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import JSONField, QuerySet
from django.http import HttpRequest

from opsroom.core.jsonshape import json_bounded
from opsroom.core.models import ApiKey, AuditEntry, ScheduleSlot, User
from opsroom.core.roles import ROLES
from opsroom.core.services.audit import AuditContext, audit_record

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
    _UserAdmin = UserAdmin[User]
else:  # the admin's classes are generic for type checkers only
    _ModelAdmin = admin.ModelAdmin
    _UserAdmin = UserAdmin


def _permission_names(permissions: Any) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in permissions.values_list("content_type__app_label", "codename")
    }


class ReadOnlyAdmin(_ModelAdmin):
    """Records written by Opsroom's services are viewed here, never edited or deleted.

    Editing them in the admin would bypass the services that keep derived data consistent.
    """

    list_per_page = 50
    show_full_result_count = False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # JSON fields are shown through a bounded copy: Python's JSON printer recurses, and a
        # deeply nested value (stored before the ingest limits) would make the page fail.
        return [
            f"{name}_shown" if isinstance(name, str) and self._is_json(name) else name
            for name in super().get_fields(request, obj)
        ]

    def _is_json(self, name: str) -> bool:
        field = next((f for f in self.model._meta.fields if f.name == name), None)
        return isinstance(field, JSONField)

    def __getattr__(self, name: str) -> Any:
        if name.endswith("_shown") and self._is_json(name.removesuffix("_shown")):
            field = name.removesuffix("_shown")

            @admin.display(description=field.replace("_", " "))
            def shown(obj: Any) -> str:
                return json.dumps(json_bounded(getattr(obj, field)), indent=2, ensure_ascii=False)

            return shown
        raise AttributeError(name)

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
        user = form.instance
        before = _permission_names(user.user_permissions.all()) if change else set()
        super().save_related(request, form, formsets, change)
        if "groups" in form.changed_data:
            audit_record(
                AuditContext.from_request(request),
                action="staff.role_set",
                target=user,
                params={"to": user.role_names},
            )
        if "user_permissions" in form.changed_data:
            after = _permission_names(user.user_permissions.all())
            audit_record(
                AuditContext.from_request(request),
                action="staff.permissions_set",
                target=user,
                params={"added": sorted(after - before), "removed": sorted(before - after)},
            )


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(GroupAdmin):
    """Groups. The four roles are set from opsroom/core/roles.py on every migrate, so they are
    read-only here; any other group's change is audited with the permissions added and removed.
    """

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.name in ROLES:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.name in ROLES:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            audit_record(
                AuditContext.from_request(request),
                action="role.rename",
                target=obj,
                params={"from": form.initial.get("name"), "to": obj.name},
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        group = form.instance
        before = _permission_names(group.permissions.all()) if change else set()
        super().save_related(request, form, formsets, change)
        after = _permission_names(group.permissions.all())
        if not change or after != before:
            audit_record(
                AuditContext.from_request(request),
                action="role.permissions_set" if change else "role.create",
                target=group,
                params={"added": sorted(after - before), "removed": sorted(before - after)},
            )

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        audit_record(AuditContext.from_request(request), action="role.delete", target=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        for group in queryset:
            audit_record(AuditContext.from_request(request), action="role.delete", target=group)
        super().delete_queryset(request, queryset)


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
