"""The feature catalog the feature-availability automation answers from."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema, Status

from opsroom.core.auth import staff_or_key
from opsroom.core.errors import NotFound
from opsroom.core.schemas import Text
from opsroom.core.services.audit import AuditContext
from opsroom.support.api.access import ERRORS, WRITE, _require, router
from opsroom.support.models import FeatureAccess
from opsroom.support.services.automations import feature_access_delete, feature_access_save


class FeatureIn(Schema):
    name: Text = Field(..., max_length=120)
    aliases: list[Text] = Field([], description="words customers use for it")
    plans: list[Text] = Field([], description="plan codes or tiers; empty: every plan")
    where: Text = Field("", max_length=1000, description="how to find it, for the reply")


class FeatureOut(Schema):
    key: str
    name: str
    aliases: list[str]
    plans: list[str]
    where: str
    updated_at: datetime


def _out(feature: FeatureAccess) -> FeatureOut:
    return FeatureOut(
        key=feature.key,
        name=feature.name,
        aliases=list(feature.aliases),
        plans=list(feature.plans),
        where=feature.where,
        updated_at=feature.updated_at,
    )


@router.get(
    "/support/features",
    response=list[FeatureOut],
    auth=staff_or_key("read"),
    operation_id="support_features_list",
    summary="The features by plan that availability questions are answered from",
)
def features_list(request: HttpRequest) -> list[FeatureOut]:
    """Every feature of the catalog."""
    return [_out(f) for f in FeatureAccess.objects.all()]


@router.put(
    "/support/features/{key}",
    response={200: FeatureOut, **ERRORS},
    auth=WRITE,
    operation_id="support_feature_put",
    summary="Add or change a feature of the catalog",
)
def feature_put(request: HttpRequest, key: Text, data: FeatureIn) -> Status[Any]:
    """Add the feature under this key, or change it."""
    _require(request, ["support.manage_automations"])
    feature = feature_access_save(key=key, audit=AuditContext.from_request(request), **data.dict())
    return Status(200, _out(feature))


@router.delete(
    "/support/features/{key}",
    response={204: None, **ERRORS},
    auth=WRITE,
    operation_id="support_feature_delete",
    summary="Take a feature out of the catalog",
)
def feature_delete(request: HttpRequest, key: Text) -> Status[Any]:
    """Remove the feature under this key."""
    _require(request, ["support.manage_automations"])
    feature = FeatureAccess.objects.filter(key=key[:64]).first()
    if feature is None:
        raise NotFound(f"No feature '{key[:64]}'.")
    feature_access_delete(feature=feature, audit=AuditContext.from_request(request))
    return Status(204, None)
