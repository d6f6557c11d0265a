"""Saved segments (search presets): private to their owner, or shared with all staff."""

from django.db import transaction

from opsroom.analytics.selectors import funnel_step_dropped
from opsroom.core import clock
from opsroom.core.errors import Forbidden, InvalidInput, NotFound
from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.user360.filters import PeopleQuery, condition_parse, people_query_build
from opsroom.user360.models import Segment

SHARE_PERMISSION = "user360.share_segment"
FUNNEL_PERMISSION = "analytics.view_funnel"


class SegmentRefused(InvalidInput):
    """The segment cannot be saved or changed by this user; the message says why."""


class SegmentForbidden(Forbidden):
    """The user's role does not allow this change to a segment."""


@transaction.atomic
def segment_save(
    *,
    name: str,
    query: PeopleQuery,
    is_shared: bool,
    audit: AuditContext,
    segment: Segment | None = None,
) -> Segment:
    """Save a people query under a name (a new segment, or over one the user may change)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise SegmentRefused("A segment needs a name of 1 to 100 characters.")
    owner = audit.actor
    if segment is not None and not segment_may_change(segment=segment, user=owner):
        raise SegmentRefused("Only its owner (or an admin) may change this segment.")
    if owner is None:
        is_shared = True  # saved by an API key: nobody owns it, so everyone sees it
    elif is_shared and not owner.has_perm(SHARE_PERMISSION):
        raise SegmentForbidden(
            "Your role may save private segments only; sharing one with all staff needs "
            f"the permission {SHARE_PERMISSION}."
        )
    clash = Segment.objects.filter(name__iexact=name, owner=owner)
    if segment is not None:
        clash = clash.exclude(pk=segment.pk)
    if clash.exists():
        raise SegmentRefused(f"You already have a segment named '{name}'.")
    segment = segment or Segment(owner=owner)
    segment.name = name
    segment.is_shared = is_shared
    segment.query = query.text
    segment.quick = query.quick
    segment.conditions = [condition.as_dict() for condition in query.conditions]
    segment.sort = query.sort
    segment.updated_at = clock.now()
    segment.save()
    audit_record(
        audit,
        action="people.segment_save",
        target=segment,
        params={"shared": is_shared, "query": query.as_dict()},
    )
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment, audit: AuditContext) -> None:
    """Delete a segment the user may change."""
    if not segment_may_change(segment=segment, user=audit.actor):
        raise SegmentForbidden(
            "Only its owner (while their role may share segments) or an admin may delete "
            "this segment."
        )
    audit_record(audit, action="people.segment_delete", target=segment)
    segment.delete()


def segment_may_change(*, segment: Segment, user: User | None) -> bool:
    """Owners change their private segments, and their shared ones while their role may share;
    admins (change_segment) change any."""
    if user is None:
        return segment.owner_id is None
    if user.has_perm("user360.change_segment"):
        return True
    if segment.owner_id != user.pk:
        return False
    return not segment.is_shared or user.has_perm(SHARE_PERMISSION)


def segment_from_funnel_drop(
    *, funnel_id: int, step: int, name: str, is_shared: bool, audit: AuditContext
) -> Segment:
    """Save the people who reached a funnel's step (1-based) and went no further as a segment:
    a saved filter that follows the funnel's hourly figures (audited as any segment save)."""
    if audit.actor is not None and not audit.actor.has_perm(FUNNEL_PERMISSION):
        raise SegmentForbidden(f"Your role may not read funnels ({FUNNEL_PERMISSION}).")
    dropped = funnel_step_dropped(funnel_id=funnel_id, step=step)
    if dropped is None:
        raise NotFound(f"No funnel {funnel_id} with a step {step} to drop at (not its last).")
    condition = condition_parse(
        {"field": "funnel_dropped", "op": "eq", "key": str(funnel_id), "value": step}
    )
    funnel_name = dropped[0]
    return segment_save(
        name=name.strip() or f"Dropped after step {step} of {funnel_name}"[:100],
        query=people_query_build(conditions=[condition]),
        is_shared=is_shared,
        audit=audit,
    )
